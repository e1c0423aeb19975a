package serve

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

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

// download serves the last report in a format (json, html) as a file.
func (s *Server) download(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.serveReport(w, r, format) }
}

func (s *Server) serveReport(w http.ResponseWriter, r *http.Request, format string) {
	s.mu.Lock()
	rep := s.last
	s.mu.Unlock()
	if rep == nil {
		http.Error(w, "no report yet: press \"Check everything\" on the last page first", http.StatusNotFound)
		return
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "json":
		err = report.WriteJSON(&buf, rep)
		w.Header().Set("Content-Type", "application/json")
	case "html":
		err = writeHTMLReport(&buf, rep)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "kubelab-"+rep.Lab.ID+"-report."+format))
	_, _ = w.Write(buf.Bytes())
}
