package main

import (
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/grade"
)

// exportFlags are the LMS export's options, shared by kubelab grade export
// and kubelab grade --lms.
type exportFlags struct {
	Format, Assignment, AssignmentID  string
	IDCols, SISUserCols, SISLoginCols string
	UsernameCols                      string
	NoPointsPossible, NoFeedback      bool
	OutputFile, LeftOutFile           string
	NotesColumn, MoodleID             string
	Provisional                       bool
}

// exportAfterGrade writes out/lms-FORMAT.csv from out/results.json
// (kubelab grade --lms FORMAT), and beside it the students left out
// (lms-FORMAT-left-out.csv), which it lists on stderr with the warnings;
// nothing without --lms.
func (x *exportFlags) exportAfterGrade(out, lang string, stderr io.Writer) (string, error) {
	if x.Format == "" {
		return "", nil
	}
	d := grade.DefaultExportColumns
	for _, c := range []struct {
		v   *string
		def []string
	}{{&x.IDCols, d.ID}, {&x.SISUserCols, d.SISUserID}, {&x.SISLoginCols, d.SISLoginID}, {&x.UsernameCols, grade.DefaultUsernameColumns}} {
		if *c.v == "" {
			*c.v = strings.Join(c.def, ",")
		}
	}
	opt, err := x.options(lang)
	if err != nil {
		return "", err
	}
	path := filepath.Join(out, grade.LMSFile(opt.Format))
	leftOut := grade.LeftOutFile(path)
	sum, err := grade.ExportFile(filepath.Join(out, grade.ResultsFile), path, leftOut, nil, opt)
	if err != nil {
		return "", exitf(ExitInternal, "--lms: %w", err)
	}
	sum.Report(stderr, leftOut)
	return path, nil
}

func (x *exportFlags) add(cmd *cobra.Command, withFormat bool) {
	f := cmd.Flags()
	if withFormat {
		f.StringVar(&x.Format, "format", "", "the LMS: canvas, moodle or csv")
		f.StringVar(&x.OutputFile, "output-file", "", "write the export here (default: stdout)")
		f.StringVar(&x.LeftOutFile, "left-out-file", "", "write the students left out (student_id, name, reason) here (default: beside --output-file, NAME-left-out.csv)")
		_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(grade.ExportFormats, cobra.ShellCompDirectiveNoFileComp))
	}
	_ = cmd.RegisterFlagCompletionFunc("moodle-id", cobra.FixedCompletions(grade.MoodleIDs, cobra.ShellCompDirectiveNoFileComp))
	f.StringVar(&x.Assignment, "assignment", "", "the gradebook column's name (default: the lab's title)")
	f.StringVar(&x.AssignmentID, "assignment-id", "", `Canvas's id of the assignment: the column is then "NAME (ID)", which Canvas matches exactly`)
	f.StringVar(&x.IDCols, "id-column", strings.Join(grade.DefaultExportColumns.ID, ","), "roster column(s) for Canvas's ID, first with a value wins (none: leave it empty)")
	f.StringVar(&x.SISUserCols, "sis-user-id-column", strings.Join(grade.DefaultExportColumns.SISUserID, ","), "roster column(s) for Canvas's SIS User ID and Moodle's ID number")
	f.StringVar(&x.SISLoginCols, "sis-login-id-column", strings.Join(grade.DefaultExportColumns.SISLoginID, ","), "roster column(s) for Canvas's SIS Login ID")
	f.StringVar(&x.UsernameCols, "username-column", strings.Join(grade.DefaultUsernameColumns, ","), "roster column(s) for Moodle's Username (--moodle-id username)")
	f.StringVar(&x.NotesColumn, "notes-column", "Notes", "Canvas: the title of the course's notes column (it must match exactly, e.g. Catatan)")
	f.StringVar(&x.MoodleID, "moodle-id", grade.MoodleByEmail, "Moodle: the user field rows are matched by, and the one identifier column written: "+strings.Join(grade.MoodleIDs, ", "))
	f.BoolVar(&x.NoPointsPossible, "no-points-possible", false, "Canvas: leave out the Points Possible row")
	f.BoolVar(&x.NoFeedback, "no-feedback", false, "leave out the feedback column (Canvas: Notes, Moodle: Feedback)")
	f.BoolVar(&x.Provisional, "provisional", false, "also export incomplete grades (points not graded); without it their grade cell is empty, as for a student not graded. Held grades are never exported")
}

func (x *exportFlags) options(lang string) (grade.ExportOptions, error) {
	opt := grade.ExportOptions{Format: strings.ToLower(x.Format), Assignment: x.Assignment, AssignmentID: x.AssignmentID,
		NoPointsPossible: x.NoPointsPossible, NoFeedback: x.NoFeedback, Lang: lang,
		ID: grade.ParseColumns(x.IDCols), SISUserID: grade.ParseColumns(x.SISUserCols), SISLoginID: grade.ParseColumns(x.SISLoginCols),
		Username: grade.ParseColumns(x.UsernameCols), Provisional: x.Provisional, NotesColumn: x.NotesColumn, MoodleID: strings.ToLower(x.MoodleID)}
	if opt.MoodleID != "" && !slices.Contains(grade.MoodleIDs, opt.MoodleID) {
		return opt, exitf(ExitUsage, "--moodle-id %q: use %s", x.MoodleID, strings.Join(grade.MoodleIDs, ", "))
	}
	if x.NotesColumn != "" && strings.TrimSpace(x.NotesColumn) != x.NotesColumn {
		return opt, exitf(ExitUsage, "--notes-column %q: Canvas matches the title exactly; leave out the spaces around it", x.NotesColumn)
	}
	valid := false
	for _, f := range grade.ExportFormats {
		valid = valid || f == opt.Format
	}
	if !valid {
		return opt, exitf(ExitUsage, "--format %q: use %s", x.Format, strings.Join(grade.ExportFormats, ", "))
	}
	return opt, nil
}

func newGradeExportCmd(g *globalOptions) *cobra.Command {
	x := &exportFlags{}
	cmd := &cobra.Command{
		Use:   "export --format canvas|moodle|csv RESULTS.json",
		Short: "Write a Canvas or Moodle gradebook import (with feedback per student) from a results.json",
		Long: `export turns the results.json of kubelab grade into the file an LMS imports:

  canvas  Student, ID, SIS User ID, SIS Login ID, Section, Notes (the
          feedback, at most 255 characters), the assignment, after a
          Points Possible row (--notes-column: your course's title for
          its notes column)
  moodle  the identifier Moodle matches users by (--moodle-id: Email
          address, ID number or Username), Full name, the grade, Feedback
  csv     student_id, name, email, sis_id, section, score, max_score, percent,
          late, incomplete, feedback

A student without a grade to send (grading failed) is left out of the
Canvas and Moodle files, never written with a blank (both LMSs read a blank
as "remove the grade"), and so is one Moodle could not match (no or a shared
identifier). They are listed on stderr with why, and in NAME-left-out.csv
beside --output-file (or --left-out-file). Warnings name identifiers the LMS
would misread.

The identifiers come from the roster's columns (email, sis_id, section and
any other column the roster had); --id-column, --sis-user-id-column,
--sis-login-id-column and --username-column say which. The feedback is one
line in the student's language (the roster's lang column, else the
report's): the score, what did not pass and the first hint that fixes it.
A held grade (a hand-in flag not accepted) is never exported, and an
incomplete one (points not graded) only with --provisional. Names and
feedback are safe to open in a spreadsheet; identifiers are
written as they are, because the LMS matches them exactly. docs/lms.md says
how to import each file.`,
		Example: `  kubelab grade export --format canvas results/results.json --assignment "Lab 1" --assignment-id 4711 --output-file canvas.csv
  kubelab grade export --format canvas results/results.json --notes-column Catatan --output-file canvas.csv
  kubelab grade export --format moodle results/results.json --moodle-id idnumber --output-file moodle.csv
  kubelab grade export --format canvas results/results.json --sis-user-id-column student_id --sis-login-id-column none`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt, err := x.options(g.Lang)
			if err != nil {
				return err
			}
			leftOut := x.LeftOutFile
			if leftOut == "" && x.OutputFile != "" && x.OutputFile != "-" {
				leftOut = grade.LeftOutFile(x.OutputFile)
			}
			// A results.json that is missing or not kubelab's is a
			// grade.InputError (exit 2); failing to write is exit 4.
			sum, err := grade.ExportFile(args[0], x.OutputFile, leftOut, cmd.OutOrStdout(), opt)
			if err != nil {
				return err
			}
			sum.Report(cmd.ErrOrStderr(), leftOut)
			return nil
		},
	}
	x.add(cmd, true)
	_ = cmd.MarkFlagRequired("format")
	return cmd
}
