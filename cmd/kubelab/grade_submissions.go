package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/handin"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/report"
)

// submissionsFlags are kubelab grade's flags for work handed in with
// kubelab submit.
type submissionsFlags struct {
	Dir  string
	Keys string
}

func (s *submissionsFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.Dir, "submissions", "", "grade the submission files (kubelab submit) in this directory instead of a roster's clusters")
	f.StringVar(&s.Keys, "keys", "", "with --submissions: the key history (JSON: student id -> key id) to flag a student whose key changed; the updated history is written to --out/keys.json")
}

// gradeSubmissionsHelp is the part of kubelab grade's help about
// --submissions.
const gradeSubmissionsHelp = `
With --submissions DIR instead of --roster, grade reads the files students
handed in with kubelab submit (work done on their own machines) and, for each:
verifies its signature; judges its evidence again and compares it with the
report handed in; looks the image up on the registry (one HEAD once its
digest is in --cache-dir) and compares the digest; compares the submissions
with each other (the same cluster fingerprint or node, the same object UIDs,
the same key) and each student's key with the --keys history. Each result is
a flag: bad-signature, score-mismatch, image-changed, image-missing,
shared-cluster, shared-objects, key-changed, shared-key. The grade is the
score this kubelab judges from the evidence (not the score handed in); the
dashboard has a column per flag, grades.csv a flags column, and
--out/keys.json is the key history for the next lab. A file of another
schema version or another lab is refused with the reason (exit 2 after the
others are graded).`

// runSubmissions is kubelab grade --submissions.
func runSubmissions(cmd *cobra.Command, o *gradeOptions, sf *submissionsFlags, lab *labs.Lab) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if o.Roster != "" {
		return exitf(ExitUsage, "--roster grades clusters, --submissions grades handed-in files: choose one")
	}
	for _, name := range []string{"resume", "retry-errors", "shard", "run-images", "namespace-prefix", "kubeconfig", "context"} {
		if cmd.Flags().Changed(name) {
			return exitf(ExitUsage, "--%s does not apply to --submissions", name)
		}
	}
	if sf.Keys != "" {
		if _, err := handin.ReadKeyHistory(sf.Keys); err != nil {
			return exitf(ExitUsage, "--keys: %w", err)
		}
	}
	if st, err := os.Stat(sf.Dir); err != nil || !st.IsDir() {
		return exitf(ExitUsage, "--submissions %s: not a directory", sf.Dir)
	}
	opt, err := o.options(lab)
	if err != nil {
		return err
	}
	hopt := handin.Options{
		Lab: lab, Lang: o.g.Lang, Dir: sf.Dir, Out: o.Out, KeysFile: sf.Keys,
		ImageOpts: opt.ImageOpts, Jobs: o.Jobs, Deadline: opt.Deadline, LatePolicy: opt.LatePolicy,
		StudentHTML: studentHTML,
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := handin.Grade(ctx, hopt)
	if res != nil {
		for _, r := range res.Refused {
			fmt.Fprintf(stderr, "refused %s\n", r)
		}
		for _, r := range res.Superseded {
			fmt.Fprintf(stderr, "not graded: %s\n", r)
		}
	}
	if errors.Is(err, handin.ErrNoSubmissions) {
		return exitf(ExitUsage, "%w", err)
	}
	if err != nil {
		return exitf(ExitInternal, "%w", err)
	}
	if err := writeSubmissionsSummary(stdout, o.Output, res, o.Out); err != nil {
		return exitf(ExitInternal, "%w", err)
	}
	fmt.Fprintf(stderr, "graded %d submission(s) in %s (%d image(s) checked on the registry)\n", len(res.Students), res.Took.Round(1e6), res.ImageChecks)
	if len(res.Refused) > 0 {
		return exitf(ExitUsage, "%d file(s) in %s refused (see above); the others are graded", len(res.Refused), sf.Dir)
	}
	if o.Strict && res.Class.Summary.WithErrors > 0 {
		return silentExit(ExitEnv)
	}
	return nil
}

func writeSubmissionsSummary(w io.Writer, format string, res *handin.Result, out string) error {
	if format == "json" {
		type student struct {
			ID        string        `json:"id"`
			File      string        `json:"file"`
			Score     float64       `json:"score"`
			Claimed   float64       `json:"handed_in_score"`
			MaxScore  float64       `json:"max_score"`
			KeyID     string        `json:"key_id,omitempty"`
			Flags     []handin.Flag `json:"flags"`
			Unchecked []handin.Flag `json:"unchecked,omitempty"`
		}
		type refusal struct {
			File   string `json:"file"`
			Reason string `json:"reason"`
		}
		v := struct {
			Lab      report.Lab    `json:"lab"`
			Summary  grade.Summary `json:"summary"`
			Students []student     `json:"students"`
			Refused  []refusal     `json:"refused"`
			Out      string        `json:"out"`
		}{Lab: res.Class.Lab, Summary: res.Class.Summary, Out: out, Students: []student{}, Refused: []refusal{}}
		for _, s := range res.Students {
			flags := s.Flags
			if flags == nil {
				flags = []handin.Flag{}
			}
			v.Students = append(v.Students, student{ID: s.ID, File: s.File, Score: s.Score, Claimed: s.Claimed, MaxScore: s.MaxScore, KeyID: s.KeyID, Flags: flags, Unchecked: s.Unchecked})
		}
		for _, r := range res.Refused {
			v.Refused = append(v.Refused, refusal{r.File, r.Reason})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	if err := grade.WriteSummary(w, "text", res.Class, out, nil); err != nil {
		return err
	}
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
		fmt.Fprintf(w, "  %-14s %s  (graded %s/%s, handed in %s)\n", s.ID, strings.Join(parts, ", "), fmtNum(s.Score), fmtNum(s.MaxScore), fmtNum(s.Claimed))
	}
	if flagged == 0 {
		fmt.Fprintln(w, "no submission is flagged")
	}
	_, err := fmt.Fprintf(w, "key history for the next lab: %s\n", filepath.Join(out, handin.KeysFile))
	return err
}
