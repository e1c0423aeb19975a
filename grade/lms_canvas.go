package grade

import (
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Canvas's gradebook import, as instructure/canvas-lms reads a file
// (lib/gradebook_importer.rb at 00b222d7, "GI" below;
// grade/testdata/lms/canvas_import.rb is the transcription
// grade/lms_conformance_test.go runs on our files, and names every
// version it cites):
//
//   - the header must start Student, ID; "SIS User ID", "SIS Login ID" and
//     Section follow, and the course's custom columns (its Notes column
//     when shown) are counted as student information that sits between
//     Section and the assignments (update_column_count, GI 432-458;
//     last_student_info_column, GI 422-425): a notes column after the
//     assignment makes Canvas take the assignment for student information
//     and import no grade at all;
//   - every field, quoted or not, goes through the decimal_comma_to_period
//     converter (GI 110-124, applied by csv_stream, GI 749-762): a cell of
//     digits, dots and commas loses all separators but the last, which
//     becomes a dot ("22.01.234" -> "2201.234");
//   - a custom column cell holds at most 255 characters
//     (app/models/custom_gradebook_column_datum.rb at 0a84c350, lines
//     22-23, validates_length_of with maximum_string_length; saved with
//     save! in process_bulk_update_custom_columns, lines 41-63): a longer
//     one fails the whole bulk save;
//   - a row whose first cell includes "Points Possible" is read as the
//     points row (check_for_non_student_row, GI 727-747);
//   - an empty grade cell that differs from the grade Canvas has is sent
//     as posted_grade null and removes it
//     (ui/features/gradebook_uploads/jquery/process_gradebook_upload.js at
//     0a4d8b88, populateGradeDataPerSubmission, lines 250-266).

// CanvasNotesMax is the most characters a Canvas custom column cell holds.
const CanvasNotesMax = 255

var canvasNumberRe = regexp.MustCompile(`^-?[0-9.,]+%?$`)

// CanvasNumber is what Canvas's decimal_comma_to_period CSV converter makes
// of a cell.
func CanvasNumber(field string) string {
	if !canvasNumberRe.MatchString(field) {
		return field
	}
	// Ruby's field.split(/[,.]/): empty fields kept, except trailing ones.
	parts := canvasSepRe.Split(field, -1)
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 0 {
		return "" // Ruby: nil
	}
	last := parts[len(parts)-1]
	if len(parts) == 1 {
		return last
	}
	return strings.Join(parts[:len(parts)-1], "") + "." + last
}

var canvasSepRe = regexp.MustCompile(`[,.]`)

func writeCanvas(cw *csv.Writer, results io.Reader, opt ExportOptions, sum *ExportSummary) error {
	notes := !opt.NoFeedback
	warnOnce := map[string]bool{}
	head := func(c *Class) error {
		col := assignmentName(c, opt)
		if opt.AssignmentID != "" {
			col = fmt.Sprintf("%s (%s)", col, opt.AssignmentID)
		}
		row := []string{"Student", "ID", "SIS User ID", "SIS Login ID", "Section"}
		if notes {
			row = append(row, freeText(opt.NotesColumn))
		}
		// The assignment's title is free text; Canvas matches it (or its
		// id in parentheses) exactly, so a guarded title would not match:
		// warn instead.
		if looksLikeFormula(col) {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("the assignment column %q starts like a spreadsheet formula; written as is, because Canvas matches it exactly", col))
		}
		row = append(row, col)
		if err := cw.Write(row); err != nil {
			return err
		}
		if opt.NoPointsPossible {
			return nil
		}
		row = []string{"Points Possible", "", "", "", ""}
		if notes {
			row = append(row, "")
		}
		return cw.Write(append(row, num(c.Summary.MaxScore)))
	}
	each := func(e StudentEntry) error {
		if why := e.LMSWithheld(opt.Provisional); why != "" {
			sum.LeftOut = append(sum.LeftOut, LeftOut{e.ID, e.Name, why})
			return nil
		}
		if strings.Contains(e.Name, "Points Possible") {
			sum.LeftOut = append(sum.LeftOut, LeftOut{e.ID, e.Name, `the name contains "Points Possible": Canvas would read the row as the points row; enter this grade by hand`})
			return nil
		}
		ids := []struct{ col, v string }{
			{"ID", firstColumn(e, opt.ID)},
			{"SIS User ID", firstColumn(e, opt.SISUserID)},
			{"SIS Login ID", firstColumn(e, opt.SISLoginID)},
		}
		none := true
		for i, id := range ids {
			if id.v == "" {
				continue
			}
			if c := cleanIdentifier(&sum.Warnings, e, id.col, id.v); c != id.v {
				ids[i].v, id.v = c, c
			}
			none = false
			if looksLikeFormula(id.v) {
				sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s (%s): %s %q starts like a spreadsheet formula; written as is (Canvas matches it exactly): do not open and save the file in a spreadsheet", e.ID, e.Name, id.col, id.v))
			}
			if got := CanvasNumber(id.v); got != id.v {
				msg := fmt.Sprintf("%s (%s): Canvas reads %s %q as %q (its number converter drops all but the last dot or comma), so it matches no one", e.ID, e.Name, id.col, id.v, got)
				if !warnOnce["number"] {
					warnOnce["number"] = true
					msg += "; give Canvas's own user id instead: a roster column canvas_id (--id-column canvas_id), from a Canvas gradebook export's ID column"
				}
				sum.Warnings = append(sum.Warnings, msg)
			}
			if id.col == "ID" && strings.Trim(id.v, "0123456789") != "" {
				sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s (%s): ID %q is not a number; Canvas's ID column is its own numeric user id (the ID column of a Canvas gradebook export)", e.ID, e.Name, id.v))
			}
		}
		if none {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s (%s): no ID, SIS User ID or SIS Login ID; Canvas can only match the name, or asks you to", e.ID, e.Name))
		}
		row := []string{freeText(e.Name), ids[0].v, ids[1].v, ids[2].v, freeText(e.Section)}
		if notes {
			row = append(row, freeText(ShortFeedback(e, opt.Lang, CanvasNotesMax)))
		}
		sum.Rows++
		return cw.Write(append(row, num(e.Score)))
	}
	return ScanClass(results, head, each)
}
