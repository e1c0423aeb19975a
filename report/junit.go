package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",innerxml"`
}

type junitText struct {
	Body string `xml:",innerxml"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	ID         string          `xml:"id,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

// WriteJUnit renders the report as JUnit XML for CI systems: one testsuite
// per step, one testcase per check; fail and partial are failures, error is
// an error, skipped is skipped; a check not graded says so in its message
// (an error stays an error, a skip not graded is skipped). Points, hints and evidence are in the
// failure text and in system-out. encoding/xml escapes every text.
func WriteJUnit(w io.Writer, r *Report) error {
	r = sanitized(r)
	L := LabelsFor(r.Lang)
	title := r.Lab.Title
	if title == "" {
		title = r.Lab.ID
	}
	root := junitSuites{Name: fmt.Sprintf("kubelab %s: %s/%s", title, num(r.Score), num(r.MaxScore))}
	if n := scoreNote(r, L); n != "" {
		root.Name += " (" + n + ")"
	}
	if s := studentLine(r.Student); s != "" {
		root.Name += " (" + s + ")"
	}
	var total int64
	for _, g := range groups(r, L.OtherChecks) {
		s := junitSuite{Name: g.Step.Title, ID: g.Step.ID, Properties: []junitProperty{
			{Name: "lab", Value: r.Lab.ID + " " + r.Lab.Version},
			{Name: "step", Value: g.Step.ID},
			{Name: "points", Value: num(g.Step.Points)},
			{Name: "max_points", Value: num(g.Step.MaxPoints)},
		}}
		if g.Step.NotGradedPoints > 0 {
			s.Properties = append(s.Properties, junitProperty{Name: "not_graded_points", Value: num(g.Step.NotGradedPoints)})
		}
		if s.Name == "" {
			s.Name = g.Step.ID
		}
		if !r.StartedAt.IsZero() {
			s.Timestamp = r.StartedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		var ms int64
		for _, c := range g.Checks {
			ms += c.DurationMS
			tc := junitCase{Name: c.ID, Classname: r.Lab.ID + "." + g.Step.ID, Time: seconds(c.DurationMS)}
			detail := xmlText(checkDetail(L, c))
			msg := fmt.Sprintf("%s (%s %s): %s", statusName(L, c), pointsLine(c), strings.ToLower(L.Points), c.Message)
			switch {
			case c.NotGraded && c.Status != Error:
				// Not graded is no failure of the student's work:
				// skipped, saying so and why. (An error stays an
				// error, named not graded: the check could not run.)
				tc.Skipped = &junitMessage{Message: msg}
				s.Skipped++
			case c.Status == Fail || c.Status == Partial:
				tc.Failure = &junitMessage{Message: msg, Type: string(c.Status), Body: detail}
				s.Failures++
			case c.Status == Error:
				tc.Error = &junitMessage{Message: msg, Type: string(c.Status), Body: detail}
				s.Errors++
			case c.Status == Skipped:
				tc.Skipped = &junitMessage{Message: c.Message}
				s.Skipped++
			case c.Status == Pass:
				tc.SystemOut = &junitText{Body: detail}
			default:
				tc.Error = &junitMessage{Message: msg, Type: string(c.Status), Body: detail}
				s.Errors++
			}
			s.Cases = append(s.Cases, tc)
		}
		s.Tests = len(s.Cases)
		s.Time = seconds(ms)
		total += ms
		root.Tests += s.Tests
		root.Failures += s.Failures
		root.Errors += s.Errors
		root.Skipped += s.Skipped
		root.Suites = append(root.Suites, s)
	}
	root.Time = seconds(total)
	out, err := xml.MarshalIndent(root, "", "  ")
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	out = append(out, '\n')
	_, err = w.Write(out)
	return err
}

// checkDetail is a check's points, message, hints and evidence as plain
// text lines.
func checkDetail(L Labels, c Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n%s: %s\n", L.Points, pointsLine(c), L.Message, c.Message)
	if c.Hint != "" {
		fmt.Fprintf(&b, "%s: %s\n", L.Hint, c.Hint)
	}
	for _, h := range extraHints(c) {
		fmt.Fprintf(&b, "%s: %s\n", L.Hint, h)
	}
	if len(c.Evidence) > 0 {
		fmt.Fprintf(&b, "%s:\n", L.Evidence)
		for _, e := range evidenceLines(c.Evidence) {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	return b.String()
}

// xmlText escapes s for XML character data with encoding/xml (which also
// drops characters XML cannot hold), keeping newlines and tabs readable.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return strings.NewReplacer("&#xA;", "\n", "&#x9;", "\t").Replace(b.String())
}

func seconds(ms int64) string { return fmt.Sprintf("%.3f", float64(ms)/1000) }
