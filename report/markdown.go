package report

import (
	"fmt"
	"io"
	"regexp"
	"strings"
)

// MarkdownOptions control the Markdown report.
type MarkdownOptions struct {
	// LessonURL links each step title to its lesson; nil: no links.
	LessonURL func(stepID string) string
}

var statusEmoji = map[Status]string{Pass: "✅", Partial: "🟡", Fail: "❌", Error: "⚠️", Skipped: "⏭️"}

// notGradedEmoji marks a check that was not graded, and a verdict that
// waits on one.
const notGradedEmoji = "⏸️"

// WriteMarkdown renders the report as GitHub-flavoured Markdown, for a pull
// request or issue comment: a header table, then per step a table of its
// checks, the hints and (folded) the evidence. Text from the report is
// escaped so it cannot add Markdown or HTML, break a table, mention people
// or reach a template engine ({{ ... }}).
func WriteMarkdown(w io.Writer, r *Report, opt MarkdownOptions) error {
	r = sanitized(r)
	L := LabelsFor(r.Lang)
	var b strings.Builder
	state, verdict := verdictOf(r, L)
	mark := map[string]string{verdictPassed: statusEmoji[Pass], verdictNotPassed: statusEmoji[Fail], verdictUndecided: notGradedEmoji}[state]
	title := r.Lab.Title
	if title == "" {
		title = r.Lab.ID
	}
	fmt.Fprintf(&b, "## %s %s: %s — %s/%s (%s)\n\n", mark, L.Title, mdText(title), num(r.Score), num(r.MaxScore), percentNote(r, L))
	mdNextSteps(&b, r, L)
	mdHeaderTable(&b, r, L, title, verdict)
	for _, g := range groups(r, L.OtherChecks) {
		mdStep(&b, g, L, opt)
	}
	fmt.Fprintf(&b, "\n<sub>%s %s %s · %s</sub>\n", L.GeneratedBy, mdText(r.Tool.Name), mdText(r.Tool.Version), mdText(r.Schema))
	_, err := io.WriteString(w, b.String())
	return err
}

// mdNextSteps writes what to fix first, with its hint, and how many more
// checks wait after it.
func mdNextSteps(b *strings.Builder, r *Report, L Labels) {
	next := NextSteps(r)
	if len(next) == 0 {
		return
	}
	first := next[0]
	fmt.Fprintf(b, "**%s:** %s — %s\n", L.NextSteps, mdCode(first.ID), mdText(first.Message))
	if h := nextHint(first); h != "" {
		fmt.Fprintf(b, "\n→ %s\n", mdText(h))
	}
	if more := andMore(L, next, mdCode); more != "" {
		b.WriteString("\n" + more + "\n")
	}
	b.WriteString("\n")
}

// mdHeaderTable writes the two-column table of who, what, where and the
// verdict; a row whose value is empty is left out.
func mdHeaderTable(b *strings.Builder, r *Report, L Labels, title, verdict string) {
	b.WriteString("| | |\n|---|---|\n")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(b, "| **%s** | %s |\n", k, v)
		}
	}
	row(L.Student, mdText(studentLine(r.Student)))
	row(L.Lab, mdText(title)+" ("+mdCode(r.Lab.ID)+" "+mdText(r.Lab.Version)+")")
	if r.Target.Image != "" {
		img := mdCode(r.Target.Image)
		if r.Target.Digest != "" {
			img += " " + mdCode(r.Target.Digest)
		}
		row(L.Image, img)
	}
	if r.Target.Server != "" || r.Target.Context != "" || r.Target.Namespace != "" {
		parts := []string{mdCode(r.Target.Server)}
		if r.Target.Context != "" {
			parts = append(parts, L.Context+" "+mdCode(r.Target.Context))
		}
		if r.Target.Namespace != "" {
			parts = append(parts, L.Namespace+" "+mdCode(r.Target.Namespace))
		}
		row(L.Cluster, strings.Join(parts, " · "))
	}
	if d := dateLine(r.StartedAt); d != "" {
		if du := durationLine(r); du != "" {
			d += " (" + du + ")"
		}
		row(L.Date, d)
	}
	var counts []string
	for _, s := range Statuses {
		counts = append(counts, fmt.Sprintf("%s %s %d", statusEmoji[s], L.StatusName[s], r.Counts[s]))
	}
	row(L.Status, strings.Join(counts, " · "))
	row(L.Result, verdict+" ("+L.PassMark+" "+num(r.PassPercent)+"%)")
	if ng := r.NotGradedChecks(); len(ng) > 0 {
		var ids []string
		for _, c := range ng {
			id := mdCode(c.ID)
			if c.MaxPoints > 0 {
				id += " (" + num(c.MaxPoints) + ")"
			}
			ids = append(ids, id)
		}
		row(notGradedEmoji+" "+L.NotGraded, strings.Join(ids, ", ")+" — "+L.NotGradedAdvice)
	}
	if r.Fingerprint != nil && r.Fingerprint.Cluster != "" {
		row(L.ClusterFingerprint, mdCode(r.Fingerprint.Cluster))
	}
	if r.Signature != nil {
		row(L.Signature, "ed25519, "+L.SignedWith+" "+mdCode(r.Signature.KeyID))
	}
}

// mdStep writes one step: its title (linked to its lesson), a table of its
// checks, their hints and, folded, their evidence.
func mdStep(b *strings.Builder, g stepGroup, L Labels, opt MarkdownOptions) {
	t := g.Step.Title
	if t == "" {
		t = g.Step.ID
	}
	head := mdText(t)
	if opt.LessonURL != nil {
		if u := opt.LessonURL(g.Step.ID); safeURL(u) {
			head = "[" + head + "](" + mdURL(u) + ")"
		}
	}
	pts := num(g.Step.Points) + "/" + num(g.Step.MaxPoints)
	if g.Step.NotGradedPoints > 0 {
		pts += " (" + fmt.Sprintf(L.NotGradedPoints, num(g.Step.NotGradedPoints)) + ")"
	}
	fmt.Fprintf(b, "\n### %s — %s\n\n", head, pts)
	fmt.Fprintf(b, "| %s | %s | %s | %s |\n|---|---|---|---|\n", L.Status, L.Check, L.Points, L.Message)
	for _, c := range g.Checks {
		req := ""
		if c.Required {
			req = " (" + L.Required + ")"
		}
		mark := statusEmoji[c.Status]
		if c.NotGraded {
			mark = notGradedEmoji
		}
		fmt.Fprintf(b, "| %s %s | %s%s | %s | %s |\n", mark, mdText(statusName(L, c)), mdCode(c.ID), req, pointsLine(c), mdText(c.Message))
	}
	var hints []string
	for _, c := range g.Checks {
		if c.Hint != "" {
			hints = append(hints, fmt.Sprintf("- %s: %s", mdCode(c.ID), mdText(c.Hint)))
		}
		for _, h := range extraHints(c) {
			hints = append(hints, fmt.Sprintf("  - %s", mdText(h)))
		}
	}
	if len(hints) > 0 {
		fmt.Fprintf(b, "\n**%s**\n\n%s\n", L.Hint, strings.Join(hints, "\n"))
	}
	var ev []string
	for _, c := range g.Checks {
		for _, e := range c.Evidence {
			ev = append(ev, fmt.Sprintf("- %s %s: %s", mdCode(c.ID), mdText(e.Name), mdText(e.Value)))
		}
	}
	if len(ev) > 0 {
		fmt.Fprintf(b, "\n<details><summary>%s</summary>\n\n%s\n\n</details>\n", L.Evidence, strings.Join(ev, "\n"))
	}
}

// mdText escapes text for Markdown: control characters and newlines go,
// &, < and > become entities (no HTML), and every character Markdown or a
// template engine gives a meaning to is backslash-escaped (tables: |,
// code: `, emphasis: * _ ~, links and images: [ ], mentions: @, issue
// references: #, math: $, autolinks and emoji: the colon, templates: { }).
func mdText(s string) string {
	var b strings.Builder
	for _, r := range clean(s) {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\\', '`', '*', '_', '{', '}', '[', ']', '#', '|', '~', '@', '$', ':':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

var plainCode = regexp.MustCompile(`^[A-Za-z0-9._/:@+-]+$`)

// mdCode shows an identifier as inline code when it is plain (letters,
// digits and . _ / : @ + -), else as escaped text.
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	if plainCode.MatchString(s) {
		return "`" + s + "`"
	}
	return mdText(s)
}

// safeURL allows http(s) and relative links only.
func safeURL(u string) bool {
	l := strings.ToLower(strings.TrimSpace(u))
	if l == "" {
		return false
	}
	if i := strings.IndexAny(l, ":/?#"); i >= 0 && l[i] == ':' {
		return strings.HasPrefix(l, "http:") || strings.HasPrefix(l, "https:")
	}
	return true
}

// mdURL escapes what would end a Markdown link destination.
func mdURL(u string) string {
	r := strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "\n", "", "|", "%7C", "`", "%60")
	return r.Replace(u)
}
