package labs

import (
	"strings"

	extast "github.com/yuin/goldmark/extension/ast"
)

// Tables on a terminal: columns that fit the width, or one record per row when they cannot.

// table lays a table out in columns that fit the width: a column keeps its
// natural width when it can, the widest ones share what is left and their
// cells wrap. When not even that fits, each row is shown as "header: value"
// lines.
func (r *termRenderer) table(t *extast.Table) {
	var rows [][]string
	for row := t.FirstChild(); row != nil; row = row.NextSibling() {
		var cells []string
		for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
			cells = append(cells, r.inline(cell))
		}
		rows = append(rows, cells)
	}
	if len(rows) == 0 {
		return
	}
	cols := 0
	for _, row := range rows {
		cols = max(cols, len(row))
	}
	natural := make([]int, cols)
	for _, row := range rows {
		for i, c := range row {
			natural[i] = max(natural[i], visibleLen(c))
		}
	}
	const gap, margin, minCol = 2, 2, 8
	longest := make([]int, cols) // the longest word of each column
	for _, row := range rows {
		for i, c := range row {
			for _, w := range strings.Fields(c) {
				longest[i] = max(longest[i], visibleLen(w))
			}
		}
	}
	widths := fitColumns(natural, longest, r.width-margin-gap*(cols-1), minCol)
	if widths == nil {
		r.records(rows)
		return
	}
	for ri, row := range rows {
		cellLines := make([][]string, cols)
		height := 1
		for i := 0; i < cols; i++ {
			c := ""
			if i < len(row) {
				c = row[i]
			}
			cellLines[i] = wrapWords(c, "", widths[i])
			height = max(height, len(cellLines[i]))
		}
		for h := 0; h < height; h++ {
			var parts []string
			for i := 0; i < cols; i++ {
				c := ""
				if h < len(cellLines[i]) {
					c = cellLines[i][h]
				}
				if ri == 0 {
					c = r.style(sBold, c)
				}
				parts = append(parts, c+strings.Repeat(" ", max(0, widths[i]-visibleLen(c))))
			}
			r.b.WriteString(strings.TrimRight("  "+strings.Join(parts, "  "), " ") + "\n")
		}
		if ri == 0 {
			var seps []string
			for i := 0; i < cols; i++ {
				seps = append(seps, strings.Repeat("─", widths[i]))
			}
			r.b.WriteString("  " + strings.Join(seps, "  ") + "\n")
		}
	}
	r.b.WriteString("\n")
}

// records writes each table row as "header: value" lines, for tables too
// wide for the terminal even with wrapped cells.
func (r *termRenderer) records(rows [][]string) {
	head := rows[0]
	for _, row := range rows[1:] {
		for i, c := range row {
			label := ""
			if i < len(head) {
				label = head[i] + ": "
			}
			bullet := "  "
			if i == 0 {
				bullet = "• "
			}
			for j, l := range wrapWords(r.style(sBold, label)+c, "", r.width-4) {
				if j == 0 {
					r.b.WriteString("  " + bullet + l + "\n")
				} else {
					r.b.WriteString("      " + l + "\n")
				}
			}
		}
	}
	r.b.WriteString("\n")
}

// fitColumns gives each column its natural width if all fit in avail;
// otherwise columns narrower than an equal share keep theirs and the others
// split the rest, then columns too narrow for their longest word take room
// from columns that have more than theirs (so words are cut only when
// nothing else fits). nil when even minCol per column does not fit.
func fitColumns(natural, longest []int, avail, minCol int) []int {
	widths := shareColumns(natural, avail, minCol)
	if widths == nil {
		return nil
	}
	for i := range widths {
		for widths[i] < min(longest[i], natural[i]) {
			donor, slack := -1, 0
			for j := range widths {
				if s := widths[j] - max(minCol, min(longest[j], natural[j])); j != i && s > slack {
					donor, slack = j, s
				}
			}
			if donor < 0 {
				break
			}
			widths[donor]--
			widths[i]++
		}
	}
	return widths
}

func shareColumns(natural []int, avail, minCol int) []int {
	total := 0
	for _, n := range natural {
		total += n
	}
	widths := append([]int(nil), natural...)
	if total <= avail {
		return widths
	}
	if avail < minCol*len(natural) {
		return nil
	}
	fixed := make([]bool, len(natural))
	for {
		left, open := avail, 0
		for i, n := range natural {
			if fixed[i] {
				left -= n
			} else {
				open++
			}
		}
		if open == 0 {
			return widths
		}
		share := left / open
		changed := false
		for i, n := range natural {
			if !fixed[i] && n <= share {
				fixed[i], changed = true, true
			}
		}
		if !changed {
			for i := range natural {
				if !fixed[i] {
					widths[i] = max(minCol, share)
				}
			}
			return widths
		}
	}
}
