package grade

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// Moodle's CSV grade import, as moodle/moodle reads a file (at commit
// 6374475dc3cf, 4.4dev: lib/csvlib.class.php "CSV" and
// grade/import/csv/classes/load_data.php "LD" below;
// grade/testdata/lms/moodle_import.php is the transcription
// grade/lms_conformance_test.go runs on our files):
//
//   - csv_import_reader::load_csv_content (CSV 92-188) reads the file with
//     PHP's fgetcsv($fp, 0, $delimiter, '"') (CSV 129): the escape
//     character is the default backslash, so inside a quoted cell a
//     backslash keeps the next character from ending it. A feedback with
//     \" or ending in \ makes the row's cells run together, and one row
//     with another number of cells than the header rejects the whole file
//     (csvweirdcolumns, CSV 164-173);
//   - prepare_import_grade_data trims every cell (LD 505-506), then
//     check_user_exists (LD 221-264) matches the chosen identifier to
//     exactly one user (email and username case-insensitively, ID number
//     exactly); no user, or more than one, cancels the whole import;
//   - a blank identifier is looked up like any other (LD 402-407; Moodle
//     skipped it before MDL-52052, 2020): it matches the accounts whose
//     field is blank, so the row's grade goes to the one account without
//     an email (or ID number), or the import is cancelled;
//   - an empty grade cell stores no grade (NULL, LD 336-337), removing the
//     one there;
//   - insert_grade_record (LD 156-175) cancels the import for a grade over
//     100 unless the site allows unlimited grades (gradepointmax).

// MoodleGradeMax is the highest grade Moodle imports unless "Unlimited
// grades" is on.
const MoodleGradeMax = 100

// moodleCell makes a cell read the same by PHP's fgetcsv (backslash
// escape) as by RFC 4180: a backslash before a double quote or at the end
// of the cell gets a space after it, so it escapes nothing that matters.
// At the end that space is trimmed by Moodle again; before a quote it
// stays.
func moodleCell(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '\\' && (i+1 == len(s) || s[i+1] == '"') {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// moodleIdentifier returns the student's identifier for MoodleID and the
// header of its column.
func moodleIdentifier(e StudentEntry, opt ExportOptions) (header, value string) {
	switch opt.MoodleID {
	case MoodleByIDNumber:
		return "ID number", firstColumn(e, opt.SISUserID)
	case MoodleByUsername:
		return "Username", firstColumn(e, opt.Username)
	}
	return "Email address", e.Email
}

// moodleKey is the identifier as Moodle compares it: email and username
// without regard to case, the ID number exactly.
func moodleKey(opt ExportOptions, v string) string {
	if opt.MoodleID == MoodleByIDNumber {
		return v
	}
	return strings.ToLower(v)
}

// moodleUnusable says why Moodle cannot match the identifier v, "" when
// it can.
func moodleUnusable(header, v string) string {
	switch {
	case strings.TrimSpace(v) == "" || strings.TrimSpace(v) == "0":
		// PHP's empty(): Moodle skips the identifier and gives the
		// grade to the previous row's student.
		return fmt.Sprintf("no %s in the roster: Moodle would give this row's grade to the student above it, or cancel the import", strings.ToLower(header))
	case strings.TrimSpace(moodleCell(v)) != v || strings.ContainsAny(v, "\r\n"):
		return fmt.Sprintf("%s %q cannot be written so that Moodle reads it back (a backslash before a quote, a line break, or spaces around it)", strings.ToLower(header), v)
	}
	return ""
}

func writeMoodle(cw *csv.Writer, results io.ReadSeeker, opt ExportOptions, sum *ExportSummary) error {
	// First pass: every identifier, to leave out those two students share
	// (Moodle would cancel the whole import on them).
	owners := map[string][]string{}
	err := ScanClass(results, nil, func(e StudentEntry) error {
		if e.LMSWithheld(opt.Provisional) != "" {
			return nil
		}
		h, v := moodleIdentifier(e, opt)
		if moodleUnusable(h, v) == "" {
			k := moodleKey(opt, v)
			owners[k] = append(owners[k], e.ID+" "+e.Name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if _, err := results.Seek(0, io.SeekStart); err != nil {
		return err
	}
	head := func(c *Class) error {
		h, _ := moodleIdentifier(StudentEntry{}, opt)
		row := []string{h, "Full name", moodleCell(freeText(assignmentName(c, opt)))}
		if !opt.NoFeedback {
			row = append(row, "Feedback")
		}
		if c.Summary.MaxScore > MoodleGradeMax {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("the lab's maximum is %s, over %d: Moodle cancels the whole import on a grade over %d unless Site administration > Grades > General settings > Unlimited grades is on (and the grade item's maximum is %s)", num(c.Summary.MaxScore), MoodleGradeMax, MoodleGradeMax, num(c.Summary.MaxScore)))
		}
		return cw.Write(row)
	}
	each := func(e StudentEntry) error {
		if why := e.LMSWithheld(opt.Provisional); why != "" {
			sum.LeftOut = append(sum.LeftOut, LeftOut{e.ID, e.Name, why})
			return nil
		}
		h, v := moodleIdentifier(e, opt)
		v = cleanIdentifier(&sum.Warnings, e, strings.ToLower(h), v)
		if why := moodleUnusable(h, v); why != "" {
			sum.LeftOut = append(sum.LeftOut, LeftOut{e.ID, e.Name, why})
			return nil
		}
		if o := owners[moodleKey(opt, v)]; len(o) > 1 {
			sum.LeftOut = append(sum.LeftOut, LeftOut{e.ID, e.Name, fmt.Sprintf("%s %q is shared by %s: Moodle would cancel the whole import", strings.ToLower(h), v, strings.Join(o, ", "))})
			return nil
		}
		if looksLikeFormula(v) {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s (%s): %s %q starts like a spreadsheet formula; written as is (Moodle matches it exactly): do not open and save the file in a spreadsheet", e.ID, e.Name, strings.ToLower(h), v))
		}
		row := []string{moodleCell(v), moodleCell(freeText(e.Name)), num(e.Score)}
		if !opt.NoFeedback {
			row = append(row, moodleCell(freeText(Feedback(e, opt.Lang))))
		}
		sum.Rows++
		return cw.Write(row)
	}
	return ScanClass(results, head, each)
}
