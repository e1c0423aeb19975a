package serve

import (
	"io"

	"github.com/kubelab/kubelab/report"
)

// writeHTMLReport renders the downloadable HTML report: the same
// self-contained page `kubelab check -o html` writes, its step titles
// linking back to this server's lesson pages.
func writeHTMLReport(w io.Writer, r *report.Report) error {
	return report.WriteHTML(w, r, report.HTMLOptions{LessonURL: func(step string) string {
		return "/" + r.Lang + "/step/" + step
	}})
}
