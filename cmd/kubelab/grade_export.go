package main

import (
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/grade"
)

// exportFlags are the LMS export's options, shared by kubelab grade export
// and kubelab grade --lms.
type exportFlags struct {
	Format, Assignment, AssignmentID  string
	IDCols, SISUserCols, SISLoginCols string
	NoPointsPossible, NoFeedback      bool
	OutputFile                        string
}

// exportAfterGrade writes out/lms-FORMAT.csv from out/results.json
// (kubelab grade --lms FORMAT); nothing without --lms.
func (x *exportFlags) exportAfterGrade(out, lang string) (string, error) {
	if x.Format == "" {
		return "", nil
	}
	d := grade.DefaultExportColumns
	for _, c := range []struct {
		v   *string
		def []string
	}{{&x.IDCols, d.ID}, {&x.SISUserCols, d.SISUserID}, {&x.SISLoginCols, d.SISLoginID}} {
		if *c.v == "" {
			*c.v = strings.Join(c.def, ",")
		}
	}
	opt, err := x.options(lang)
	if err != nil {
		return "", err
	}
	path := filepath.Join(out, grade.LMSFile(opt.Format))
	if err := grade.ExportFile(filepath.Join(out, grade.ResultsFile), path, nil, opt); err != nil {
		return "", exitf(ExitInternal, "--lms: %w", err)
	}
	return path, nil
}

func (x *exportFlags) add(cmd *cobra.Command, withFormat bool) {
	f := cmd.Flags()
	if withFormat {
		f.StringVar(&x.Format, "format", "", "the LMS: canvas, moodle or csv")
		f.StringVar(&x.OutputFile, "output-file", "", "write the export here (default: stdout)")
		_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(grade.ExportFormats, cobra.ShellCompDirectiveNoFileComp))
	}
	f.StringVar(&x.Assignment, "assignment", "", "the gradebook column's name (default: the lab's title)")
	f.StringVar(&x.AssignmentID, "assignment-id", "", `Canvas's id of the assignment: the column is then "NAME (ID)", which Canvas matches exactly`)
	f.StringVar(&x.IDCols, "id-column", strings.Join(grade.DefaultExportColumns.ID, ","), "roster column(s) for Canvas's ID, first with a value wins (none: leave it empty)")
	f.StringVar(&x.SISUserCols, "sis-user-id-column", strings.Join(grade.DefaultExportColumns.SISUserID, ","), "roster column(s) for Canvas's SIS User ID and Moodle's ID number")
	f.StringVar(&x.SISLoginCols, "sis-login-id-column", strings.Join(grade.DefaultExportColumns.SISLoginID, ","), "roster column(s) for Canvas's SIS Login ID")
	f.BoolVar(&x.NoPointsPossible, "no-points-possible", false, "Canvas: leave out the Points Possible row")
	f.BoolVar(&x.NoFeedback, "no-feedback", false, "leave out the feedback column (Canvas: Notes, Moodle: Feedback)")
}

func (x *exportFlags) options(lang string) (grade.ExportOptions, error) {
	opt := grade.ExportOptions{Format: strings.ToLower(x.Format), Assignment: x.Assignment, AssignmentID: x.AssignmentID,
		NoPointsPossible: x.NoPointsPossible, NoFeedback: x.NoFeedback, Lang: lang,
		ID: grade.ParseColumns(x.IDCols), SISUserID: grade.ParseColumns(x.SISUserCols), SISLoginID: grade.ParseColumns(x.SISLoginCols)}
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

  canvas  Student, ID, SIS User ID, SIS Login ID, Section, the assignment, and
          Notes (the feedback), after a Points Possible row
  moodle  ID number, Email address, Full name, the grade and Feedback
  csv     student_id, name, email, sis_id, section, score, max_score, percent,
          late, incomplete, feedback

The identifiers come from the roster's columns (email, sis_id, section and
any other column the roster had); --id-column, --sis-user-id-column and
--sis-login-id-column say which. The feedback is one line in the student's
language (the roster's lang column, else the report's): the score, what did
not pass and the first hint that fixes it. Every cell is UTF-8 and safe to
open in a spreadsheet. The README says how to import each file.`,
		Example: `  kubelab grade export --format canvas results/results.json --assignment "Lab 1" --output-file canvas.csv
  kubelab grade export --format moodle results/results.json --output-file moodle.csv
  kubelab grade export --format canvas results/results.json --sis-user-id-column student_id --sis-login-id-column none`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt, err := x.options(g.Lang)
			if err != nil {
				return err
			}
			// A results.json that is missing or not kubelab's is a
			// grade.InputError (exit 2); failing to write is exit 4.
			return grade.ExportFile(args[0], x.OutputFile, cmd.OutOrStdout(), opt)
		},
	}
	x.add(cmd, true)
	_ = cmd.MarkFlagRequired("format")
	return cmd
}
