package main

import (
	"io"

	"github.com/kubelab/kubelab/report"
)

// studentHTML renders a student's HTML report in kubelab grade (the same
// page as kubelab check -o html). When it is nil, grade writes only the JSON
// reports, says so on stderr, and the dashboard links to the JSON.
var studentHTML = func(w io.Writer, r *report.Report) error {
	return report.WriteHTML(w, r, report.HTMLOptions{})
}
