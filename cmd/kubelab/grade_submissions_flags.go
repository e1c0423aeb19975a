// grade_submissions_flags.go holds kubelab grade's flags for handed-in work
// (--submissions, --keys, --accept, --max-submission-size), the parsing of
// --accept and the help text about --submissions.

package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/handin"
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
