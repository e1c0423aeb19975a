package serve

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/kubelab/kubelab/report"
)

// liveEvent is what /events sends the page after each watched change: every
// step's status for the contents list and, in the report's language, each
// step's results as the same HTML fragment "Check this step" returns.
type liveEvent struct {
	Lang    string            `json:"lang"`
	Marks   map[string]string `json:"marks"`
	Results map[string]string `json:"results"`
}

// Publish takes a report of the whole lab (from package watch) and pushes it
// to every open page, so a step turns green without a click.
func (s *Server) Publish(rep *report.Report) {
	ev := liveEvent{Lang: rep.Lang, Marks: map[string]string{}, Results: map[string]string{}}
	s.mu.Lock()
	for _, st := range s.Lab.Steps {
		if m := stepStatus(rep, st.ID); m != "" {
			s.marks[st.ID] = m
		}
	}
	for k, v := range s.marks {
		ev.Marks[k] = v
	}
	s.mu.Unlock()
	for _, st := range s.Lab.Steps {
		if len(st.Checks) == 0 {
			continue
		}
		step := *rep
		step.Checks = nil
		for _, c := range rep.Checks {
			if c.Step == st.ID {
				step.Checks = append(step.Checks, c)
			}
		}
		d := resultsData{Report: &step, Status: stepStatus(rep, st.ID), L: report.LabelsFor(rep.Lang), UI: uiIn(rep.Lang), Marks: ev.Marks}
		d.brief(rep.Lang, s.cachedEnv(), s.EnvOptions)
		var buf bytes.Buffer
		if err := s.tmpl.ExecuteTemplate(&buf, "results.html", d); err == nil {
			ev.Results[st.ID] = buf.String()
		}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.live = b
	for ch := range s.subs {
		select {
		case ch <- b:
		default: // a slow page gets the next one
		}
	}
	s.mu.Unlock()
}

// events streams Publish's reports (server-sent events). Guarded like the
// check: the session token (EventSource cannot set headers, so it is a query
// parameter), a same-origin fetch, and guard's Host check.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("token")), []byte(s.token)) != 1 {
		http.Error(w, "kubelab serve: missing or wrong session token; reload the page", http.StatusForbidden)
		return
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		http.Error(w, "kubelab serve: cross-site request refused", http.StatusForbidden)
		return
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
		http.Error(w, "kubelab serve: cross-origin request refused", http.StatusForbidden)
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "kubelab serve: streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch := make(chan []byte, 1)
	s.mu.Lock()
	if s.subs == nil {
		s.subs = map[chan []byte]bool{}
	}
	s.subs[ch] = true
	last := s.live
	s.mu.Unlock()
	defer func() { s.mu.Lock(); delete(s.subs, ch); s.mu.Unlock() }()
	w.Header().Set("Content-Type", "text/event-stream")
	fmt.Fprint(w, "retry: 2000\n\n")
	if last != nil {
		fmt.Fprintf(w, "data: %s\n\n", last)
	}
	fl.Flush()
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case b := <-ch:
			fmt.Fprintf(w, "data: %s\n\n", b)
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
		}
		fl.Flush()
	}
}
