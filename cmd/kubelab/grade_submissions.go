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
	Dir     string
	Keys    string
	Accept  []string
	MaxSize int64
}

func (s *submissionsFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.Dir, "submissions", "", "grade the submission files (kubelab submit) in this directory instead of a roster's clusters")
	f.StringVar(&s.Keys, "keys", "", "with --submissions: the key history binding each student id to its key (JSON: student id -> key id), read and updated (default: "+handin.HistoryFile+" beside --out); a copy goes to --out/keys.json")
	f.StringArrayVar(&s.Accept, "accept", nil, "with --submissions: release grades held by a flag: FLAG (every student), ID (every flag of one student) or ID:FLAG; repeatable. Accepting other-key binds the id to its new key")
	f.Int64Var(&s.MaxSize, "max-submission-size", handin.DefaultMaxSize, "with --submissions: the largest submission file read, in bytes (a larger one is refused unread)")
}

// parseAccept reads the --accept values: a flag name for every student, a
// student id for all of that student's flags, or ID:FLAG.
func parseAccept(vals []string) (map[string][]handin.Flag, error) {
	out := map[string][]handin.Flag{}
	for _, v := range vals {
		id, name, hasFlag := strings.Cut(v, ":")
		if !hasFlag {
			if f, ok := handin.ParseFlag(v); ok {
				out[""] = append(out[""], f)
				continue
			}
			id = v
		}
		if err := grade.CheckStudentID(id); err != nil {
			return nil, fmt.Errorf("--accept %q: neither a flag (%s) nor a student id: %v", v, flagNames(), err)
		}
		if !hasFlag {
			out[id] = []handin.Flag{}
			continue
		}
		f, ok := handin.ParseFlag(name)
		if !ok {
			return nil, fmt.Errorf("--accept %q: %q is not a flag (%s)", v, name, flagNames())
		}
		if cur, seen := out[id]; !seen || len(cur) > 0 {
			out[id] = append(cur, f)
		}
	}
	return out, nil
}

func flagNames() string {
	var names []string
	for _, f := range handin.Flags {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
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
the same key, the same image) and each student's key with the key history.
Each result is a flag: bad-signature, score-mismatch, image-changed,
image-missing, shared-cluster, shared-objects, shared-image, other-key,
duplicate, shared-key. The grade is the score this kubelab judges from the
evidence (not the score handed in).

A student id is bound to the key of its first valid hand-in, in the key
history beside --out (` + handin.HistoryFile + `, or --keys FILE). A hand-in for
that id signed with another key is flagged other-key; two files for one id
with different keys are both named and flagged duplicate. Those flags,
bad-signature and score-mismatch hold the grade: grades.csv and the LMS
files get no grade for the student, the dashboard lists them first, and the
command exits 1, until the lecturer accepts the flag (--accept FLAG,
--accept ID or --accept ID:FLAG; accepting other-key binds the id to the new
key). Only regular files of at most --max-submission-size bytes are read; a
symbolic link only to a file inside DIR. A file of another schema version
or another lab, or one that cannot be read, is refused with the reason
(exit 2 after the others are graded).`

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
	accept, err := parseAccept(sf.Accept)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	if sf.MaxSize <= 0 {
		return exitf(ExitUsage, "--max-submission-size must be positive")
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
		StudentHTML: studentHTML, Accept: accept, MaxSize: sf.MaxSize,
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := handin.Grade(ctx, hopt)
	if res != nil {
		// File names and reasons come from the hand-in folder: printed as
		// one clean line each (no escape sequence, no bidi override).
		for _, r := range res.Refused {
			fmt.Fprintf(stderr, "refused %s\n", printable(r.String()))
		}
		for _, r := range res.Superseded {
			fmt.Fprintf(stderr, "not graded: %s\n", printable(r.String()))
		}
		for _, d := range res.Duplicates {
			fmt.Fprintf(stderr, "held: %s\n", printable(d.String()))
		}
		if res.Interrupted {
			fmt.Fprintf(stderr, "interrupted: nothing of this run's class files or key history was written; the reports written so far are in %s. Run the same command again to grade everyone.\n",
				filepath.Join(o.Out, grade.StudentsDir))
			return silentExit(exitInterrupted)
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
	if path, err := o.LMS.exportAfterGrade(o.Out, o.g.Lang, stderr); err != nil {
		return err
	} else if path != "" {
		fmt.Fprintf(stderr, "wrote %s\n", path)
	}
	fmt.Fprintf(stderr, "graded %d submission(s) in %s (%d image(s) checked on the registry)\n", len(res.Students), res.Took.Round(1e6), res.ImageChecks)
	if len(res.Refused) > 0 {
		return exitf(ExitUsage, "%d file(s) in %s refused (see above); the others are graded", len(res.Refused), sf.Dir)
	}
	held := 0
	for _, s := range res.Students {
		if len(s.Held) > 0 {
			held++
		}
	}
	if held > 0 {
		return exitf(ExitNotPassed, "%d student(s) held (see above): no grade for them in grades.csv or the LMS files until you accept the flags (--accept)", held)
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
	_, err := fmt.Fprintf(w, "key history (student id -> key, for the next lab too): %s\n", res.KeysFile)
	return err
}
