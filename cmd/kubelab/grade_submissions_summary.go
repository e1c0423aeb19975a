// grade_submissions_summary.go holds the summary kubelab grade --submissions
// prints at the end (text or -o json): held, refused and flagged hand-ins and
// the key history's path.

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/handin"
	"github.com/kubelab/kubelab/report"
)

func writeSubmissionsSummary(w io.Writer, format string, res *handin.Result, out string) error {
	if format == "json" {
		return writeSubmissionsJSON(w, res, out)
	}
	if err := grade.WriteSummary(w, "text", res.Class, out, nil); err != nil {
		return err
	}
	// Held grades first: each waits for the lecturer.
	nheld := 0
	for _, s := range res.Students {
		if len(s.Held) == 0 {
			continue
		}
		if nheld == 0 {
			fmt.Fprintln(w, "held (no grade in grades.csv or the LMS files until accepted with --accept):")
		}
		nheld++
		var parts []string
		for _, f := range s.Held {
			parts = append(parts, string(f))
		}
		fmt.Fprintf(w, "  %-14s %s  (%s)\n", s.ID, strings.Join(parts, ", "), printable(s.File))
	}
	for _, d := range res.Duplicates {
		fmt.Fprintf(w, "  %-14s files: %s\n", d.ID, printable(strings.Join(d.Files, ", ")))
	}
	if len(res.Refused) > 0 {
		fmt.Fprintln(w, "refused (no grade: the file cannot be graded; the student must hand in again):")
		for _, r := range res.Refused {
			fmt.Fprintf(w, "  %s\n", printable(r.String()))
		}
	}
	writeSubmissionsFlagged(w, res)
	_, err := fmt.Fprintf(w, "key history (student id -> key, for the next lab too): %s\n", res.KeysFile)
	return err
}

// writeSubmissionsJSON is the summary for -o json: the class summary
// and every student, refusal and duplicate, with empty lists kept as [].
func writeSubmissionsJSON(w io.Writer, res *handin.Result, out string) error {
	type student struct {
		ID        string        `json:"id"`
		File      string        `json:"file"`
		Score     float64       `json:"score"`
		Claimed   float64       `json:"handed_in_score"`
		MaxScore  float64       `json:"max_score"`
		KeyID     string        `json:"key_id,omitempty"`
		Flags     []handin.Flag `json:"flags"`
		Unchecked []handin.Flag `json:"unchecked,omitempty"`
		Held      []handin.Flag `json:"held,omitempty"`
	}
	type refusal struct {
		File   string `json:"file"`
		Reason string `json:"reason"`
	}
	type duplicate struct {
		ID    string   `json:"id"`
		Files []string `json:"files"`
	}
	v := struct {
		Lab        report.Lab    `json:"lab"`
		Summary    grade.Summary `json:"summary"`
		Students   []student     `json:"students"`
		Refused    []refusal     `json:"refused"`
		Duplicates []duplicate   `json:"duplicates"`
		KeysFile   string        `json:"keys_file"`
		Out        string        `json:"out"`
	}{Lab: res.Class.Lab, Summary: res.Class.Summary, Out: out, Students: []student{}, Refused: []refusal{}, Duplicates: []duplicate{}, KeysFile: res.KeysFile}
	for _, d := range res.Duplicates {
		v.Duplicates = append(v.Duplicates, duplicate{d.ID, d.Files})
	}
	for _, s := range res.Students {
		flags := s.Flags
		if flags == nil {
			flags = []handin.Flag{}
		}
		v.Students = append(v.Students, student{ID: s.ID, File: s.File, Score: s.Score, Claimed: s.Claimed, MaxScore: s.MaxScore, KeyID: s.KeyID, Flags: flags, Unchecked: s.Unchecked, Held: s.Held})
	}
	for _, r := range res.Refused {
		v.Refused = append(v.Refused, refusal{r.File, r.Reason})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeSubmissionsFlagged lists each student with flags or unchecked
// evidence, with the grade and the score they handed in, or says none is.
func writeSubmissionsFlagged(w io.Writer, res *handin.Result) {
	flagged := 0
	for _, s := range res.Students {
		if len(s.Flags) == 0 && len(s.Unchecked) == 0 {
			continue
		}
		if flagged == 0 {
			fmt.Fprintln(w, "flagged:")
		}
		flagged++
		var parts []string
		for _, f := range s.Flags {
			parts = append(parts, string(f))
		}
		for _, f := range s.Unchecked {
			parts = append(parts, "unchecked:"+string(f))
		}
		graded := "graded"
		if len(s.Held) > 0 {
			graded = "held; judged"
		}
		fmt.Fprintf(w, "  %-14s %s  (%s %s/%s, handed in %s)\n", s.ID, strings.Join(parts, ", "), graded, fmtNum(s.Score), fmtNum(s.MaxScore), fmtNum(s.Claimed))
	}
	if flagged == 0 {
		fmt.Fprintln(w, "no submission is flagged")
	}
}
