package grade

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"iter"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kubelab/kubelab/internal/htmlfrag"
	"github.com/kubelab/kubelab/internal/i18n"
	"github.com/kubelab/kubelab/report"
)

//go:embed dashboard.html
var dashboardSrc string

var dashboardTmpl = template.Must(template.New("dashboard").Funcs(template.FuncMap{"num": num}).Parse(dashboardSrc))

// DashboardCSP is the dashboard's Content-Security-Policy: nothing may be
// fetched, and the one script that may run is the page's own sorting
// script, allowed by its SHA-256 hash (as the students' pages are) rather
// than 'unsafe-inline': a student's name or message that slipped past the
// escaping could not run a script of its own.
var DashboardCSP = "default-src 'none'; style-src 'unsafe-inline'; script-src '" + dashboardScriptHash() + "'; img-src data:; form-action 'none'; base-uri 'none'"

// dashboardScriptHash hashes the text of dashboard.html's script element,
// which holds no template action: the bytes the browser hashes are these.
func dashboardScriptHash() string {
	_, rest, ok := strings.Cut(dashboardSrc, "<script>")
	js, _, ok2 := strings.Cut(rest, "</script>")
	if !ok || !ok2 || strings.Contains(js, "{{") || strings.Contains(rest[len(js):], "<script") {
		panic("dashboard.html must hold exactly one script element, without template actions")
	}
	sum := sha256.Sum256([]byte(js))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

type dashLabels struct {
	Title, Students, Passed, Mean, Median, Late, WithErrors, PassRate, Distribution,
	ID, Name, Score, Deadline, Yes, No, StatusPass, StatusPartial string
	// Incomplete heads the card of students with checks not graded,
	// NotGradedCol the column of their points not graded; IncompleteNote
	// says what to do about them.
	Incomplete, NotGradedCol, IncompleteNote string
}

// dashLabelsIn is the dashboard's words in lang, from the message catalog.
func dashLabelsIn(lang string) dashLabels {
	return dashLabels{
		Title:          i18n.Tr(lang, "Class results"),
		Students:       i18n.Tr(lang, "Students"),
		Passed:         i18n.TC("dashboard", "Lab passed").In(lang),
		Mean:           i18n.Tr(lang, "Mean score"),
		Median:         i18n.Tr(lang, "Median score"),
		Late:           i18n.Tr(lang, "Late"),
		WithErrors:     i18n.Tr(lang, "With errors"),
		PassRate:       i18n.Tr(lang, "Pass rate per check"),
		Distribution:   i18n.Tr(lang, "Score distribution (% of the maximum)"),
		ID:             i18n.Tr(lang, "Student ID"),
		Name:           i18n.Tr(lang, "Name"),
		Score:          i18n.Tr(lang, "Score"),
		Deadline:       i18n.Tr(lang, "deadline"),
		Yes:            i18n.Tr(lang, "yes"),
		No:             i18n.Tr(lang, "no"),
		StatusPass:     i18n.Tr(lang, "pass"),
		StatusPartial:  i18n.Tr(lang, "partial"),
		Incomplete:     i18n.Tr(lang, "Incomplete"),
		NotGradedCol:   i18n.Tr(lang, "Not graded (points)"),
		IncompleteNote: i18n.Tr(lang, "Students whose checks could not all be graded (the grading machine's problem, not theirs): the points not graded are left out of their maximum. Grade them again where the checks can run: kubelab grade --resume --retry-errors."),
	}
}

type barRow struct {
	ID                                               string
	Pass, Partial, Total                             int
	Pct                                              string
	LabelX, X, Y, H, Full, PassW, PartialX, PartialW float64
	TextY, PctX                                      float64
}

type histBar struct {
	I, Count                        int
	From, To                        float64
	Label                           string
	X, Y, W, BH, CX, CountY, LabelY float64
}

type dashCell struct {
	Status, Text, Title string
	V                   string
}

type dashRow struct {
	ID, Name, Href, Score, Max, Percent, Late, LateText string
	// NotGraded is the points not graded ("0" when none); Incomplete marks
	// the row for a regrade, and NotGradedText is what its cell shows.
	NotGraded, NotGradedText string
	Incomplete               bool
	// LateYes is Late == "yes" (the template reads a flag, no comparison).
	LateYes bool
	// Cells are the row's cells, one per check, each rendered by the
	// template's "cell" (dashCells).
	Cells template.HTML
}

// dashCells are the dashboard's cells as rendered: a class's rows repeat
// most of their cells word for word (a check passed, the same message),
// and twenty cells of four escaped values each made the dashboard of
// 10 000 students cost a second of reflection.
var dashCells htmlfrag.Cache

var marks = map[report.Status]string{report.Pass: "✔", report.Fail: "✘", report.Partial: "◐", report.Error: "!", report.Skipped: "–"}

// notGradedMark marks a check, or a student, with points not graded.
const notGradedMark = "○"

// WriteDashboard writes index.html: one self-contained page (inline CSS,
// SVG and a little JS; a CSP that forbids every fetch) with the class's
// numbers, the pass rate of each check, the score histogram and a sortable
// students × checks table linking to each student's report.
func (c *Class) WriteDashboard(w io.Writer) error {
	lang := "en"
	if len(c.Students) > 0 && c.Students[0].Report.Lang != "" {
		lang = c.Students[0].Report.Lang
	}
	L := dashLabelsIn(lang)
	ids := c.CheckIDs()
	data := struct {
		Lang, CSP, Tool, LabTitle, LabID, LabVersion, Deadline string
		L                                                      dashLabels
		S                                                      Summary
		Bars                                                   dashBars
		Hist                                                   dashHist
		Legend                                                 []struct{ Class, Name string }
		Checks                                                 []string
		Rows                                                   iter.Seq[dashRow]
		// Incomplete counts the students with checks not graded.
		Incomplete int
	}{Lang: lang, CSP: DashboardCSP, Tool: c.Tool.Version, LabTitle: c.Lab.Title, LabID: c.Lab.ID, LabVersion: c.Lab.Version,
		Deadline: c.Summary.Deadline, L: L, S: c.Summary, Checks: ids}

	data.Bars = checkBars(c.Summary)
	data.Hist = scoreHistogram(c.Summary)

	RL := report.LabelsFor(lang)
	names := RL.StatusName
	for _, st := range report.Statuses {
		data.Legend = append(data.Legend, struct{ Class, Name string }{string(st), marks[st] + " " + names[st]})
	}
	data.Legend = append(data.Legend, struct{ Class, Name string }{"notgraded", notGradedMark + " " + RL.NotGraded})

	ext := ".json"
	if c.HTMLReports {
		ext = ".html"
	}
	data.Incomplete = c.incomplete()
	// The rows are made one at a time as the template reaches them: a
	// class of 10 000 never holds all its rows (tens of MB) at once.
	// Held grades first: they wait for the lecturer's decision.
	order := heldFirst(c.Students)
	var rowErr error
	data.Rows = func(yield func(dashRow) bool) {
		for _, i := range order {
			row, err := dashboardRow(c.Students[i], ids, ext, L, RL)
			if err != nil {
				rowErr = err
				return
			}
			if !yield(row) {
				return
			}
		}
	}
	// Written through a buffer (thousands of small writes to a file cost
	// more than the rendering), not rendered whole in memory (32 MB for a
	// class of 10 000).
	out := bufio.NewWriterSize(w, 256<<10)
	if err := dashboardTmpl.Execute(out, data); err != nil {
		return err
	}
	if rowErr != nil {
		return rowErr
	}
	return out.Flush()
}

// dashBars is the chart of each check's pass rate.
type dashBars struct {
	W, H float64
	Rows []barRow
}

// checkBars is the pass rate per check: a horizontal bar per check, pass
// then partial.
func checkBars(s Summary) dashBars {
	var b dashBars
	const labelW, barW, rowH, barH, pad = 170.0, 300.0, 22.0, 14.0, 6.0
	b.W = labelW + barW + 60
	b.H = pad*2 + rowH*float64(len(s.Checks))
	for i, cs := range s.Checks {
		n := s.Students
		pass, part := cs.Counts[report.Pass], cs.Counts[report.Partial]
		y := pad + rowH*float64(i)
		row := barRow{ID: cs.ID, Pass: pass, Partial: part, Total: n, LabelX: labelW - 6, X: labelW, Y: y + (rowH-barH)/2, H: barH,
			Full: barW, TextY: y + rowH/2 + 4, PctX: labelW + barW + 6, Pct: "0"}
		if n > 0 {
			row.PassW = r1(barW * float64(pass) / float64(n))
			row.PartialW = r1(barW * float64(part) / float64(n))
			row.Pct = num(math.Round(100 * float64(pass) / float64(n)))
		}
		row.PartialX = r1(labelW + row.PassW)
		b.Rows = append(b.Rows, row)
	}
	return b
}

// dashHist is the histogram of scores.
type dashHist struct {
	W, H, X0, X1, Base float64
	Bars               []histBar
}

// scoreHistogram is the scores' histogram: ten vertical bars.
func scoreHistogram(s Summary) dashHist {
	var h dashHist
	const hx0, bw, gap, top, plotH = 24.0, 40.0, 8.0, 18.0, 150.0
	h.W = hx0 + (bw+gap)*10 + 10
	h.H = top + plotH + 24
	h.X0, h.X1, h.Base = hx0-4, hx0+(bw+gap)*10, top+plotH
	maxCount := 0
	for _, b := range s.Histogram {
		if b.Count > maxCount {
			maxCount = b.Count
		}
	}
	for i, b := range s.Histogram {
		bh := 0.0
		if maxCount > 0 {
			bh = r1(plotH * float64(b.Count) / float64(maxCount))
		}
		x := hx0 + (bw+gap)*float64(i)
		h.Bars = append(h.Bars, histBar{I: i, Count: b.Count, From: b.From, To: b.To,
			Label: fmt.Sprintf("%s–%s", num(b.From), num(b.To)),
			X:     x, Y: r1(top + plotH - bh), W: bw, BH: bh, CX: x + bw/2, CountY: r1(top + plotH - bh - 4), LabelY: top + plotH + 16})
	}
	return h
}

// heldFirst is the order of the dashboard's rows, as indexes into
// students: held grades first, each group in roster order (a stable sort).
func heldFirst(students []StudentEntry) []int {
	order := make([]int, len(students))
	for i := range order {
		order[i] = i
	}
	group := func(i int) int { // 0: held, 1: the others
		if len(students[i].Held) > 0 {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(group(a), group(b)) })
	return order
}

// dashboardRow is one student's row of the students × checks table.
func dashboardRow(e StudentEntry, ids []string, ext string, L dashLabels, RL report.Labels) (dashRow, error) {
	names := RL.StatusName
	row := dashRow{ID: e.ID, Name: e.Name, Href: StudentsDir + "/" + e.ID + ext, Score: num(e.Score), Max: num(e.MaxScore),
		Percent: num(e.Percent), Late: "", LateText: "–", NotGraded: num(e.Report.NotGradedPoints), NotGradedText: "–"}
	if e.Report.Incomplete {
		row.Incomplete = true
		row.NotGradedText = notGradedMark + " " + num(e.Report.NotGradedPoints)
	}
	if e.hasLateRe {
		row.Late, row.LateText = "no", L.No
		if e.Late {
			row.Late, row.LateYes, row.LateText = "yes", true, fmt.Sprintf("%s (%d)", L.Yes, e.LateDays)
		}
	}
	var cells strings.Builder
	for _, id := range ids {
		cell := dashboardCell(e.Report, id, names, RL.NotGraded)
		h, err := dashCells.Render(dashboardTmpl, "cell", htmlfrag.Key(cell.Status, cell.Text, cell.V, cell.Title),
			func() (any, error) { return cell, nil })
		if err != nil {
			return row, err
		}
		cells.WriteString(string(h))
	}
	row.Cells = template.HTML(cells.String())
	return row, nil
}

// dashboardCell is the cell of check id in r's row.
func dashboardCell(r *report.Report, id string, names map[report.Status]string, notGraded string) dashCell {
	ch, ok := findCheck(r, id)
	if !ok {
		return dashCell{Status: "skipped", Text: "", V: "-1"}
	}
	if ch.NotGraded {
		// Neither earned nor lost: sorts below every graded cell.
		return dashCell{Status: "notgraded", Text: notGradedMark, V: "-1",
			Title: id + ": " + notGraded + " — " + shorten(ch.Message, 200)}
	}
	text := marks[ch.Status]
	if ch.MaxPoints > 0 {
		text += " " + num(ch.Points)
	}
	return dashCell{Status: string(ch.Status), Text: text, V: num(ch.Points),
		Title: id + ": " + names[ch.Status] + " — " + shorten(ch.Message, 200)}
}

func r1(f float64) float64 { return math.Round(f*10) / 10 }

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
