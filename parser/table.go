package parser

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/foiwatch/foiwatch/parser/extract"
)

// Tables, part of the second stage (segment): rows of cells found in the
// text, however they were written, turned into one row per line with a
// label cell and a value cell:
//
//   - " | " rows, as package extract writes HTML and Word tables (a cell's
//     own line breaks are U+2028);
//   - tab-separated rows, as mail clients write a table's plain-text part,
//     a row whose first cell is empty continuing the row above;
//   - columns laid out with spaces, as pdftotext -layout prints a PDF table
//     or a scan's word boxes are laid out: columns are where cells start on
//     two lines or more, a cell's wrapped words continue under it, and rows
//     start at an item label ("Q1.", "3.") in the first column, else at a
//     blank line, else at each line with a value.
//
// A table whose heads are periods (2022/23 | 2023/24 | 2024/25) gives the
// column of the period asked; one whose rows are periods gives, for each
// column, the row of the period asked; quarters or months give their total
// row or column where there is one, else their sum. Every choice made is
// noted on the row, for the answer's `why` where a person should look.

// cellBreak separates the lines of one cell.
const cellBreak = extract.CellBreak

// tline is a line of a document after tables are found: a line of text, or
// a table row with its cells.
type tline struct {
	text  string   // the line; for a row, its cells joined by " | "
	cells []string // a row's cells, label first; nil for a line of text
	table int      // 1 + the number of the table it is in; 0 for text
	note  string   // how a value cell was chosen, when it was a choice
	check bool     // the choice is a guess: a person should look
	// summary: a line the reader added after a table's rows (a column's
	// total or names), not one the table has.
	summary bool
}

// tabulate finds the tables among lines.
func tabulate(lines []string, asked period) []tline {
	out := make([]tline, 0, len(lines))
	tables := 0
	for i := 0; i < len(lines); {
		end, rows, kind := tableAt(lines, i)
		if kind == 0 {
			out = append(out, tline{text: lines[i]})
			i++
			continue
		}
		tables++
		for _, r := range shapeTable(rows, asked) {
			r.table = tables
			if r.text == "" {
				r.text = strings.Join(r.cells, " | ")
			}
			out = append(out, r)
		}
		if end == i {
			end = i + 1
		}
		i = end
	}
	return out
}

const (
	tabNone = iota
	tabPipe
	tabTab
	tabLayout
)

func isPipeRow(s string) bool {
	return strings.Contains(s, " | ") || strings.HasPrefix(s, "| ") || strings.HasSuffix(s, " |") || isPipeRule(s)
}

// isPipeRule tells "|---|:---:|", the rule Markdown puts under a head.
func isPipeRule(s string) bool {
	t := strings.TrimSpace(s)
	return len(t) >= 3 && t[0] == '|' && t[len(t)-1] == '|' && strings.Contains(t, "-") && strings.Trim(t, "|-: ") == ""
}

// tableAt tells whether a table starts at line i; it returns the line after
// it and its rows, each a list of cells.
func tableAt(lines []string, i int) (end int, rows [][]string, kind int) {
	switch l := lines[i]; {
	case isPipeRow(l):
		k := i
		for ; k < len(lines) && isPipeRow(lines[k]); k++ {
			row := strings.TrimSpace(lines[k])
			if strings.HasPrefix(row, "|") && strings.HasSuffix(row, "|") {
				row = strings.TrimPrefix(row, "|") // "| a | b |" as Markdown writes it
			}
			cells := strings.Split(row, "|")
			rule := true
			for c := range cells {
				cells[c] = strings.TrimSpace(cells[c])
				if strings.Trim(cells[c], "-:= ") != "" {
					rule = false
				}
			}
			if rule {
				continue // "|---|---|": a rule under the head
			}
			rows = append(rows, trimEmptyTail(cells))
		}
		if k-i < 2 && !strings.Contains(l, " | ") {
			return i, nil, tabNone
		}
		return k, rows, tabPipe
	case strings.Contains(strings.TrimRight(l, "\t "), "\t"):
		k := i
		isTabRow := func(t string) bool { return strings.Contains(strings.TrimRight(t, "\t "), "\t") }
		for ; k < len(lines); k++ {
			if !isTabRow(lines[k]) {
				// A cell's own lines, as a plain part writes a table whose
				// cells hold line breaks: no tab, and the table goes on
				// after them. They go on the row's last cell.
				j := k
				for j < len(lines) && j < k+30 && strings.TrimSpace(lines[j]) != "" && !isTabRow(lines[j]) {
					j++
				}
				if len(rows) == 0 || j == k || j >= len(lines) || !isTabRow(lines[j]) {
					break
				}
				prev := rows[len(rows)-1]
				for c := k; c < j; c++ {
					prev[len(prev)-1] += cellBreak + strings.TrimSpace(lines[c])
				}
				k = j - 1
				continue
			}
			cells := strings.Split(strings.TrimRight(lines[k], " "), "\t")
			for c := range cells {
				cells[c] = strings.TrimSpace(cells[c])
			}
			if len(rows) == 0 || len(cells) != len(rows[0]) {
				// Tabs that only space the cells out; a row as wide as the
				// head keeps its empty cells in their places.
				cells = dropInnerEmpty(cells)
			}
			if len(rows) > 0 && len(cells) > 0 && cells[0] == "" {
				// "\tTamar Aerial Systems": the cell above goes on.
				prev := rows[len(rows)-1]
				for c := 1; c < len(cells); c++ {
					if cells[c] == "" {
						continue
					}
					for len(prev) <= c {
						prev = append(prev, "")
					}
					if prev[c] != "" {
						prev[c] += cellBreak
					}
					prev[c] += cells[c]
				}
				rows[len(rows)-1] = prev
				continue
			}
			rows = append(rows, cells)
		}
		return k, rows, tabTab
	}
	if l := strings.TrimLeft(lines[i], " "); !strings.Contains(l, "   ") {
		return i, nil, tabNone // no gap between cells
	}
	if end, rows := layoutTable(lines, i); rows != nil {
		return end, rows, tabLayout
	}
	return i, nil, tabNone
}

// dropInnerEmpty removes empty cells made by runs of tabs, keeping an empty
// first cell (a continuation row).
func dropInnerEmpty(cells []string) []string {
	out := cells[:0:0]
	for i, c := range cells {
		if c != "" || i == 0 {
			out = append(out, c)
		}
	}
	return out
}

func trimEmptyTail(cells []string) []string {
	for len(cells) > 1 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	return cells
}

// A cell laid out with spaces: its first rune's column and its text.
type layoutCell struct {
	col  int
	text string
}

// layoutCells splits a line at runs of three spaces or more (or a tab).
func layoutCells(s string) []layoutCell {
	var out []layoutCell
	start, spaces, col := -1, 0, 0
	var cur strings.Builder
	flush := func() {
		if start >= 0 {
			out = append(out, layoutCell{start, strings.TrimSpace(cur.String())})
		}
		cur.Reset()
		start = -1
	}
	for _, r := range s {
		if r == ' ' || r == '\t' {
			if r == '\t' {
				spaces += 3
				col += 4 - col%4
			} else {
				spaces++
				col++
			}
			continue
		}
		if start >= 0 && (spaces >= 3 || spaces == 2 && figureEnd(cur.String()) && figureStart(r)) {
			flush() // "2021/22  2022/23", "7  9": two spaces part figures
		}
		if start < 0 {
			start = col
		} else if spaces > 0 {
			cur.WriteString(strings.Repeat(" ", min(spaces, 2)))
		}
		spaces = 0
		cur.WriteRune(r)
		col++
	}
	flush()
	// "  •     Skyward Optics": a bullet and its text, not two cells; but
	// "–   question   answer" is a row marked as having no number.
	if len(out) >= 2 && isBulletMark(out[0].text) && (len(out) == 2 || !isDashMark(out[0].text)) {
		out[1].col = out[0].col
		out[1].text = out[0].text + " " + out[1].text
		out = out[1:]
	}
	return splitFigures(out)
}

// splitFigures cuts a cell of figures two spaces apart ("£455,130
// £433,207.55", where a wide figure left only two) into one cell each.
func splitFigures(cells []layoutCell) []layoutCell {
	var out []layoutCell
	for _, c := range cells {
		if !strings.Contains(c.text, "  ") {
			out = append(out, c)
			continue
		}
		parts := strings.Split(c.text, "  ")
		ok := true
		for _, p := range parts {
			if _, fig := plainFigure(strings.TrimSpace(p)); !fig && !suppressed(p) {
				ok = false
				break
			}
		}
		if !ok {
			out = append(out, c)
			continue
		}
		col := c.col
		for _, p := range parts {
			if t := strings.TrimSpace(p); t != "" {
				out = append(out, layoutCell{col + utf8.RuneCountInString(p) - utf8.RuneCountInString(strings.TrimLeft(p, " ")), t})
			}
			col += utf8.RuneCountInString(p) + 2
		}
	}
	return out
}

// isBulletMark tells text that is only a bullet's mark.
func isBulletMark(s string) bool {
	if s == "o" {
		return true
	}
	return len([]rune(s)) == 1 && strings.ContainsAny(s, bulletRunes)
}

// layoutTable reads a table laid out with spaces starting at line i, nil
// when there is none: two lines or more whose cells fall in the same
// columns. A column is the span its cells cover: a figure aligned right
// under its head still overlaps it. A first line that starts far from the
// margin (heads over figures, the row labels' column left blank) gets a
// column at the margin.
//
// It is over 100 lines: one scan of the lines that grows the columns as it
// goes; its state (the columns so far) is what every step reads.
func layoutTable(lines []string, i int) (int, [][]string) {
	first := layoutCells(lines[i])
	if len(first) < 2 || utf8.RuneCountInString(lines[i]) > 400 {
		return i, nil
	}
	var cols []span1
	// "        Measure      2022/23   2023/24": the head of the labels,
	// centred over them, heads the column from the margin.
	labelsHead := len(first) >= 3 && !isPeriodLabel(first[0].text)
	for _, c := range first[1:] {
		labelsHead = labelsHead && isPeriodLabel(c.text)
	}
	// Or the next row's label starts left of that head and runs under it
	// ("      Quarter        False alarms" over " Q1 (April to June)   412").
	for k := i + 1; k < len(lines) && k < i+3 && !labelsHead; k++ {
		if strings.TrimSpace(lines[k]) == "" {
			continue
		}
		if next := layoutCells(lines[k]); len(next) >= 2 && next[0].col < first[0].col && next[0].col+utf8.RuneCountInString(next[0].text) > first[0].col {
			labelsHead = true
		}
		break
	}
	if first[0].col >= 8 && !labelsHead {
		cols = append(cols, span1{0, first[0].col - 2})
	}
	for k, c := range first {
		x := span1{c.col, c.col + utf8.RuneCountInString(c.text)}
		if k == 0 && labelsHead {
			x.a = 0
		}
		cols = append(cols, x)
	}
	end, multi, blanks := i+1, 1, 0
	var placed [][]int         // per line from i: the column of each cell
	var cellsOf [][]layoutCell // per line from i: its cells
	p0, _ := placeCells(first, cols)
	placed = append(placed, p0)
	cellsOf = append(cellsOf, first)
	for k := i + 1; k < len(lines) && k < i+400; k++ {
		l := lines[k]
		if l == extract.PageBreak {
			// A table goes on over a page: the break is no blank line.
			placed = append(placed, nil)
			cellsOf = append(cellsOf, nil)
			continue
		}
		if strings.TrimSpace(l) == "" {
			blanks++
			if blanks > 1 {
				break
			}
			placed = append(placed, nil)
			cellsOf = append(cellsOf, nil)
			continue
		}
		cells := layoutCells(l)
		if len(cells) == 1 && blanks == 0 && multi >= 2 && wrapsInto(cells[0], cols) {
			// A wrapped line of a column run into the next, in a table
			// under way.
			cells = splitOverflow(cells, cols)
		}
		cells = mergeInLastColumn(cells, cols)
		p, ok := placeCells(cells, cols)
		if !ok || blanks > 0 && len(cells) < 2 {
			break // after a blank line, only a row of cells goes on
		}
		if len(cells) >= 2 {
			multi++
		} else if cells[0].col < 2 && utf8.RuneCountInString(l) > cols[len(cols)-1].b+20 {
			break // a line of prose from the margin past the last column
		}
		for ci, c := range cells {
			x := &cols[p[ci]]
			x.a = min(x.a, c.col)
			x.b = max(x.b, c.col+utf8.RuneCountInString(c.text))
		}
		placed = append(placed, p)
		cellsOf = append(cellsOf, cells)
		blanks = 0
		end = k + 1
	}
	if multi < 2 {
		return i, nil
	}
	placed, cellsOf = placed[:end-i], cellsOf[:end-i]
	// Rows: at an item label in the first column, else at blank lines,
	// else at each line with a cell past the first column.
	labelled, hasBlank := false, false
	for k := i; k < end; k++ {
		if strings.TrimSpace(lines[k]) == "" {
			hasBlank = true
			continue
		}
		if c := cellsOf[k-i]; len(c) > 0 && placed[k-i][0] == 0 && startsItemLabel(c[0].text) {
			labelled = true
		}
	}
	var rows [][]string
	var cur []string
	prevBlank := false
	for k := i; k < end; k++ {
		p := placed[k-i]
		if p == nil {
			prevBlank = prevBlank || lines[k] != extract.PageBreak
			continue
		}
		cells := cellsOf[k-i]
		startsRow := cur == nil || k == i || k == i+1 && len(rows) == 0 && !labelled
		switch {
		case labelled:
			// A row without a number, after a blank line, its first
			// column and another begun on one line ("Policy on placing
			// households ...   The Council's policy is published at").
			startsRow = startsRow || p[0] == 0 && (startsItemLabel(cells[0].text) || isDashMark(cells[0].text) || (isTotalLabel(cells[0].text) || prevBlank) && len(cells) >= 2)
		case hasBlank:
			startsRow = startsRow || prevBlank
		default:
			startsRow = startsRow || p[0] > 0 || len(cells) >= 2
		}
		if startsRow {
			if cur != nil {
				rows = append(rows, cur)
			}
			cur = make([]string, len(cols))
		}
		for ci, c := range cells {
			col := p[ci]
			if cur[col] != "" {
				// The first column (a label, a question) wraps; a value's
				// lines are kept apart (a list one per line, an address
				// cut at the column's edge), for the reader to join.
				if col == 0 {
					cur[col] += " "
				} else {
					cur[col] += cellBreak
				}
			}
			cur[col] += c.text
		}
		prevBlank = false
	}
	if cur != nil {
		rows = append(rows, cur)
	}
	return end, rows
}

// wrapsInto tells a cell that starts in a column before the last (the
// first, or one off the margin: not a line of prose) and runs past the
// next column's start.
func wrapsInto(c layoutCell, cols []span1) bool {
	end := c.col + utf8.RuneCountInString(c.text)
	for k := 0; k+1 < len(cols); k++ {
		if c.col >= cols[k].a-2 && c.col < cols[k+1].a-2 && (k == 0 || c.col >= 2) {
			return end > cols[k+1].a+1
		}
	}
	return false
}

// span1 is the span of columns a table column covers.
type span1 struct{ a, b int }

// splitOverflow cuts a cell that runs on past the start of the next
// column, where pdftotext left one space between two cells ("in the
// financial number of false alarms"), at the last space before that
// column's start.
func splitOverflow(cells []layoutCell, cols []span1) []layoutCell {
	if len(cols) < 2 {
		return cells
	}
	var out []layoutCell
	for _, c := range cells {
		r := []rune(c.text)
		for k := 1; k < len(cols); k++ {
			at := cols[k].a - c.col // where column k starts within the cell
			if at <= 2 || at >= len(r)-1 || c.col >= cols[k].a-1 {
				continue
			}
			cut := -1
			for i := at; i >= at-2 && i > 0; i-- {
				if r[i] == ' ' {
					cut = i
					break
				}
			}
			if cut < 0 {
				continue
			}
			out = append(out, layoutCell{c.col, strings.TrimSpace(string(r[:cut]))})
			c = layoutCell{c.col + cut + 1, strings.TrimSpace(string(r[cut+1:]))}
			r = []rune(c.text)
		}
		out = append(out, c)
	}
	return out
}

// placeCells puts each cell in the column it overlaps most (or, overlapping
// none, the nearest within three characters); ok is false when a cell fits
// no column or two cells fall in one.
func placeCells(cells []layoutCell, cols []span1) ([]int, bool) {
	out := make([]int, len(cells))
	used := map[int]bool{}
	for ci, c := range cells {
		a, b := c.col, c.col+utf8.RuneCountInString(c.text)
		best, bestOv := -1, 0
		for k, x := range cols {
			if ov := min(b, x.b) - max(a, x.a); ov > bestOv {
				best, bestOv = k, ov
			}
		}
		if best < 0 {
			d := 4
			for k, x := range cols {
				if dd := min(abs(a-x.a), abs(a-x.b), abs(b-x.a)); dd < d {
					best, d = k, dd
				}
			}
		}
		if best < 0 || used[best] && len(cells) > 1 {
			return nil, false
		}
		used[best] = true
		out[ci] = best
	}
	return out, true
}

// mergeInLastColumn joins the cells of a line that all fall in the
// table's last column into one: a cell that holds a small table of its own
// ("April – June 2024      9", under "Our response"), kept as written.
func mergeInLastColumn(cells []layoutCell, cols []span1) []layoutCell {
	if len(cells) < 2 || len(cols) < 2 {
		return cells
	}
	last := cols[len(cols)-1]
	k := len(cells)
	for k > 0 && cells[k-1].col >= last.a-2 {
		k--
	}
	if k >= len(cells)-1 || k == 0 && cells[0].col < last.a {
		return cells // one cell there, or the whole line is the column's
	}
	merged := cells[k]
	for _, c := range cells[k+1:] {
		gap := c.col - (merged.col + utf8.RuneCountInString(merged.text))
		merged.text += strings.Repeat(" ", max(gap, 3)) + c.text
	}
	return append(cells[:k:k], merged)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// startsItemLabel tells text that starts with an item label: "1.", "Q1.",
// "(2)", "3)".
func startsItemLabel(s string) bool {
	l := itemLabel(s)
	return l.num > 0 && !l.letter
}

// shapeTable turns a table's rows into label/value rows, choosing the
// column or row of the period asked.
//
// It is over 100 lines: one decision over a table's shape (which row or
// column is the label, which the period asked), whose cases share the
// table's measures; the parser's issue owns splitting it.
func shapeTable(rows [][]string, asked period) []tline {
	if len(rows) == 0 {
		return nil
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	for i := range rows {
		for len(rows[i]) < width {
			rows[i] = append(rows[i], "")
		}
	}
	head := rows[0]
	if !isHeadRow(head) && !headOverFigures(rows) && !headOverFigureColumn(rows) {
		head = nil
	} else {
		rows = rows[1:]
	}
	if width <= 1 {
		var out []tline
		for _, r := range rows {
			out = append(out, tline{cells: []string{r[0], ""}})
		}
		return out
	}
	// Columns of periods: the one asked.
	if head != nil {
		var cols, parts []int
		total := -1
		for c := 1; c < width; c++ {
			switch h := head[c]; {
			case isPeriodLabel(h):
				cols = append(cols, c)
			case isSubPeriodLabel(h):
				parts = append(parts, c)
			case isTotalLabel(h):
				total = c
			}
		}
		if len(cols) >= 1 && len(cols)+1 >= width-1 {
			c, note, check := pickPeriod(head, cols, total, asked)
			return valueColumn(rows, c, note, check)
		}
		if len(parts) >= 2 && total > 0 {
			return valueColumn(rows, total, "the "+head[total]+" column", false)
		}
		if len(parts) >= 2 && len(parts)+1 == width {
			return sumColumns(rows, parts, head)
		}
	}
	// Rows of periods: for each column, the row asked.
	var prow, parts []int
	trow := -1
	for k, r := range rows {
		switch {
		case isPeriodLabel(r[0]):
			prow = append(prow, k)
		case isSubPeriodLabel(r[0]):
			parts = append(parts, k)
		case isTotalLabel(r[0]):
			trow = k
		}
	}
	if head != nil && (len(prow) >= 2 || len(parts) >= 2) && len(prow)+len(parts)+1 >= len(rows) && figureRows(rows, append(append([]int{}, prow...), parts...)) {
		k, note, check := -1, "", false
		if len(prow) > 0 {
			var labels []string
			for _, x := range prow {
				labels = append(labels, rows[x][0])
			}
			var i int
			i, note, check = choosePeriod(labels, asked)
			k = prow[i]
		} else if trow >= 0 {
			k, note = trow, "the "+rows[trow][0]+" row"
		}
		var out []tline
		for c := 1; c < width; c++ {
			if k >= 0 {
				label := head[c]
				if l := strings.ToLower(strings.Trim(strings.TrimSpace(label), ":*")); l == "total" || l == "totals" || l == "grand total" {
					// The grand total: what the other columns add up
					// to, labelled by their heads ("Face-to-face
					// Telephone Video"); "Total income" says its own.
					var heads []string
					for c2 := 1; c2 < width; c2++ {
						if c2 != c {
							heads = append(heads, head[c2])
						}
					}
					label = strings.Join(heads, " ") + " " + label
				}
				out = append(out, tline{cells: []string{label, rows[k][c]}, note: note, check: check})
				continue
			}
			var cells []string
			for _, x := range parts {
				cells = append(cells, rows[x][c])
			}
			v, ok := sumCells(cells)
			out = append(out, tline{cells: []string{head[c], v}, note: "the sum of " + fmt.Sprint(len(parts)) + " rows (" + rows[parts[0]][0] + " to " + rows[parts[len(parts)-1]][0] + ")", check: !ok || true})
		}
		return out
	}
	// A table of records under a head ("Product | Site | Litres | Cost",
	// a row a product and a site, a total row): a question may ask for a
	// column, its total or its names. Each column says so on a line of
	// its own, after the rows.
	var summary []tline
	if head != nil && width >= 3 {
		summary = columnSummaries(head, rows)
	}
	// A table of questions and answers, or of labels and values: the
	// first cell is the label, the last the value; a first column of item
	// numbers goes with the question beside it.
	var out []tline
	numbered := false // a first column of item numbers
	ans := answerColumn(head)
	for k, r := range rows {
		label, value := r[0], r[len(r)-1]
		mid := r[1 : len(r)-1]
		if ans > 0 && ans < len(r)-1 && strings.TrimSpace(r[ans]) != "" {
			// "Question | Response | Notes": the answer is the column
			// headed so; the notes after it are not.
			value, mid = r[ans], r[1:ans]
		}
		if len(mid) > 0 {
			if n := strings.Trim(label, ".)( "); isDigits(n) || isDashMark(n) {
				// "1 | question | answer", "– | question | answer": the
				// question beside its number (or its mark of no number).
				if isDigits(n) {
					label = n + ". " + mid[0]
				} else {
					label = mid[0]
				}
				mid = mid[1:]
				numbered = true
			}
		}
		if numbered && len(mid) > 0 {
			// "4 | Spend on stock | Budget | £412,000": the answer's
			// columns, all of them.
			value = strings.Join(append(nonEmpty(mid), value), " ")
			mid = nil
		}
		if strings.TrimSpace(value) == "" && len(mid) > 0 {
			value = lastNonEmpty(mid) // a merged cell left the last column empty
		}
		if numbered && k > 0 && len(out) > 0 && strings.TrimSpace(r[0]) == "" && len(r) > 2 && strings.TrimSpace(r[1]) == "" {
			// "| | Actual spend | £398,716.40": the row above goes on (a
			// cell merged down, as Word's vMerge writes it).
			more := strings.Join(nonEmpty(r[2:]), " ")
			if ans > 0 && ans < len(r) {
				more = strings.TrimSpace(r[ans]) // not the notes beside it
			}
			if more != "" {
				prev := &out[len(out)-1]
				prev.cells[1] += cellBreak + more
				prev.text = ""
			}
			continue
		}
		if strings.TrimSpace(label) == "" && strings.TrimSpace(value) == "" {
			continue
		}
		t := tline{cells: []string{label, value}}
		if len(mid) > 0 {
			// A row of several columns ("Provider | Service | Amount"):
			// its text keeps them all, its first cell the name.
			t.text = strings.Join(append(append([]string{label}, mid...), value), " | ")
		}
		out = append(out, t)
	}
	return append(out, summary...)
}

func nonEmpty(cells []string) []string {
	var out []string
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			out = append(out, strings.TrimSpace(c))
		}
	}
	return out
}

func lastNonEmpty(cells []string) string {
	for i := len(cells) - 1; i >= 0; i-- {
		if strings.TrimSpace(cells[i]) != "" {
			return cells[i]
		}
	}
	return ""
}

// columnSummaries gives, for each column of figures, its total (the total
// row's cell, else the sum of the column, to check), and for a first column
// of names, the names once each: "Litres | 865", "Product | Glyphomax 360 ⏎
// Vanguard Weedkill 480".
func columnSummaries(head []string, rows [][]string) []tline {
	total := -1
	for k, r := range rows {
		if isTotalLabel(r[0]) {
			total = k
		}
	}
	var out []tline
	for c := 1; c < len(head); c++ {
		if strings.TrimSpace(head[c]) == "" || !figureColumn(rows, c, total) {
			continue
		}
		if total >= 0 && strings.TrimSpace(rows[total][c]) != "" {
			out = append(out, tline{cells: []string{head[c], rows[total][c]}, note: "the " + rows[total][0] + " row of the " + head[c] + " column", summary: true})
			continue
		}
		var cells []string
		for _, r := range rows {
			cells = append(cells, r[c])
		}
		if v, ok := sumCells(cells); ok {
			out = append(out, tline{cells: []string{head[c], v}, note: "the sum of the " + head[c] + " column", check: true, summary: true})
		}
	}
	if len(out) == 0 || strings.TrimSpace(head[0]) == "" {
		return out
	}
	seen := map[string]bool{}
	var names []string
	for k, r := range rows {
		n := strings.TrimSpace(r[0])
		if _, fig := plainFigure(n); k == total || n == "" || seen[n] || fig || isPeriodLabel(n) || isSubPeriodLabel(n) {
			continue
		}
		seen[n] = true
		names = append(names, n)
	}
	if len(names) >= 1 {
		out = append(out, tline{cells: []string{head[0], strings.Join(names, "; ")}, note: "the names of the " + head[0] + " column", summary: true}) // "; ": a list whose items the semicolons end, commas and all
	}
	return out
}

// figureColumn tells a column whose cells, the total row's aside, are
// figures (two in three at least).
func figureColumn(rows [][]string, c, total int) bool {
	figs, all := 0, 0
	for k, r := range rows {
		v := strings.TrimSpace(r[c])
		if k == total || v == "" {
			continue
		}
		all++
		if _, ok := plainFigure(strings.TrimSuffix(v, "*")); ok || suppressed(v) {
			figs++
		}
	}
	return all >= 2 && figs*3 >= all*2
}

// headOverFigureColumn tells a first row of short words over rows of which
// at least one column holds figures: "Product | Used by | Where | Litres".
func headOverFigureColumn(rows [][]string) bool {
	if len(rows) < 3 || len(rows[0]) < 3 {
		return false
	}
	for _, c := range rows[0] {
		c = strings.TrimSpace(stripUnit(c))
		if _, fig := plainFigure(c); c == "" || len(strings.Fields(c)) > 8 || fig || hasDigitFigure(c) && !wordyHead(c) {
			return false
		}
	}
	for c := 1; c < len(rows[0]); c++ {
		if figureColumn(rows[1:], c, -1) {
			return true
		}
	}
	return false
}

// figureEnd tells text that ends with a figure or a period: "2021/22",
// "212,500", "*".
func figureEnd(s string) bool {
	i := strings.LastIndexByte(s, ' ')
	last := s[i+1:]
	if last == "" {
		return false
	}
	for _, r := range last {
		if !strings.ContainsRune("0123456789/,.*%£-–<>", r) {
			return false
		}
	}
	return strings.ContainsAny(last, "0123456789*")
}

func figureStart(r rune) bool {
	return r >= '0' && r <= '9' || r == '£' || r == '*' || r == '<'
}

// wordyHead tells a head of words with a figure among them: "Handovers
// over 60 minutes", "Hours lost (over 15 minutes)".
func wordyHead(c string) bool {
	words := 0
	for _, w := range strings.Fields(c) {
		if len(strings.Trim(w, "()")) >= 3 && !strings.ContainsAny(w, "0123456789£") {
			words++
		}
	}
	return words >= 2
}

// stripUnit takes a unit off a column's head: "Cost (£)", "Spend £000".
func stripUnit(s string) string {
	for _, u := range []string{"(£)", "(£000)", "(£k)", "(£m)", "£000", "(%)", "£"} {
		s = strings.ReplaceAll(s, u, "")
	}
	return s
}

// isDashMark tells a cell that only marks a row without a number.
func isDashMark(s string) bool {
	switch strings.TrimSpace(s) {
	case "-", "–", "—", "•", "*", "n/a", "N/A":
		return true
	}
	return false
}

// isHeadRow tells a table's first row that names its columns: short cells
// without figures other than periods ("Question | Response", "Measure |
// 2022/23 | 2023/24").
func isHeadRow(r []string) bool {
	named := 0
	for i, c := range r {
		c = strings.TrimSpace(c)
		if m := reHeadNote.FindStringIndex(c); m != nil && m[0] > 0 && isPeriodLabel(c[:m[0]]) {
			c = c[:m[0]] // "2025/26 (to 30 April)": a period and its note
		}
		if c == "" {
			if i == 0 {
				continue
			}
			return false
		}
		if len(strings.Fields(c)) > 6 {
			return false
		}
		if hasDigitFigure(c) {
			return false
		}
		if strings.ContainsAny(stripUnit(c), "£$€@") || reURL.MatchString(c) {
			return false
		}
		named++
	}
	if named < 2 {
		return false
	}
	// "Question | Response", "Measure | 2023/24": a head; "Police | Yes":
	// a row. A head's cells are headings: periods, totals, or words that
	// head columns.
	for _, c := range r[1:] {
		if isPeriodLabel(c) || isSubPeriodLabel(c) || isTotalLabel(c) {
			return true
		}
	}
	if answerColumn(r) > 0 {
		return true // "No. | Information requested | Response | Notes"
	}
	return isColumnWords(r)
}

// answerColumn is the column a head names as the answer's ("Response",
// "Answer", "Our response"), when a column follows it; 0 none.
func answerColumn(head []string) int {
	for c := 1; c+1 < len(head); c++ {
		switch strings.ToLower(strings.Trim(strings.TrimSpace(head[c]), ":*")) {
		case "response", "responses", "answer", "answers", "reply", "our response", "council response", "information", "information provided", "disclosure":
			return c
		}
	}
	return 0
}

// reHeadNote is a note in brackets after a column's head.
var reHeadNote = regexp.MustCompile(`\s*\([^()]*\)\s*$`)

// headOverFigures tells a first row of short words without figures over
// rows whose other cells are mostly figures: the heads of columns of
// figures ("Month | Claims received | Claims paid").
func headOverFigures(rows [][]string) bool {
	if len(rows) < 2 || len(rows[0]) < 2 {
		return false
	}
	for _, c := range rows[0][1:] {
		if strings.TrimSpace(c) == "" || len(strings.Fields(c)) > 8 || hasDigitFigure(c) {
			return false
		}
	}
	figs, all := 0, 0
	for _, r := range rows[1:] {
		for _, c := range r[1:] {
			if strings.TrimSpace(c) == "" {
				continue
			}
			all++
			if _, ok := plainFigure(strings.TrimSuffix(strings.TrimSpace(c), "*")); ok || suppressed(c) || strings.HasPrefix(strings.TrimSpace(c), "<") {
				figs++
			}
		}
	}
	return all > 0 && figs*3 >= all*2
}

// hasDigitFigure tells text with a digit outside a period or sub-period
// ("Amount paid 2023/24" has none).
func hasDigitFigure(s string) bool {
	if isPeriodLabel(s) || isSubPeriodLabel(s) {
		return false
	}
	s = reFinYearIn.ReplaceAllString(s, "")
	s = reYearIn.ReplaceAllString(s, "")
	return strings.ContainsAny(s, "0123456789")
}

// isColumnWords tells a row of column headings: every cell a short phrase
// with a capital and no sentence punctuation.
func isColumnWords(r []string) bool {
	for _, c := range r {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if strings.ContainsAny(c, ".,;?!") || len(strings.Fields(c)) > 4 {
			return false
		}
		if f := c[0]; !(f >= 'A' && f <= 'Z') {
			return false
		}
	}
	w := strings.ToLower(strings.Join(r, " "))
	for _, h := range []string{"question", "response", "answer", "request", "reply", "information", "description", "value", "item", "detail", "measure", "category", "type", "amount", "total", "number", "name", "provider", "supplier", "organisation", "service", "year", "month", "quarter", "period", "cost", "date"} {
		if strings.Contains(w, h) {
			return true
		}
	}
	return false
}

// pickPeriod chooses the column of the period asked among cols.
func pickPeriod(head []string, cols []int, total int, asked period) (int, string, bool) {
	labels := make([]string, len(cols))
	for i, c := range cols {
		labels[i] = head[c]
	}
	i, note, check := choosePeriod(labels, asked)
	if check && total > 0 {
		return total, "the " + head[total] + " column", true
	}
	return cols[i], note, check
}

// choosePeriod chooses among the labels of periods the one asked; when
// none is, the latest, with a note that a person should check.
func choosePeriod(labels []string, asked period) (int, string, bool) {
	latest, latestYear := len(labels)-1, -1
	for i, l := range labels {
		ps := periodsIn(l)
		if len(ps) == 0 {
			continue
		}
		if ps[0].matches(asked) {
			if len(labels) == 1 {
				return i, "", false
			}
			return i, "the " + strings.TrimSpace(l) + " figure of " + strings.Join(labels, ", "), false
		}
		if ps[0].to > latestYear {
			latest, latestYear = i, ps[0].to
		}
	}
	if asked.zero() {
		return latest, "the latest of " + strings.Join(labels, ", ") + " (the campaign names no period)", true
	}
	return latest, "the period asked is not among " + strings.Join(labels, ", ") + ": the latest was taken", true
}

func valueColumn(rows [][]string, c int, note string, check bool) []tline {
	var out []tline
	for _, r := range rows {
		if strings.TrimSpace(r[0]) == "" && strings.TrimSpace(r[c]) == "" {
			continue
		}
		out = append(out, tline{cells: []string{r[0], r[c]}, note: note, check: check})
	}
	return out
}

func sumColumns(rows [][]string, parts []int, head []string) []tline {
	var out []tline
	for _, r := range rows {
		var cells []string
		for _, c := range parts {
			cells = append(cells, r[c])
		}
		v, _ := sumCells(cells)
		out = append(out, tline{cells: []string{r[0], v}, note: "the sum of the " + head[parts[0]] + " to " + head[parts[len(parts)-1]] + " columns", check: true})
	}
	return out
}

// sumCells adds up cells that each hold one count or one amount of money;
// it returns the sum written as the cells write it, or the cells joined
// when they are not all figures.
func sumCells(cells []string) (string, bool) {
	var total float64
	money := false
	for _, c := range cells {
		c = strings.TrimSpace(c)
		if strings.HasPrefix(c, "£") {
			money = true
		}
		v, ok := plainFigure(c)
		if !ok {
			return strings.Join(cells, "; "), false
		}
		total += v
	}
	s := formatFigure(total)
	if money {
		s = "£" + s
	}
	return s, true
}

// figureRows tells rows whose values are figures ("412", "£1,250", "<5",
// "*"), as a table of periods holds: "Q1 | Withheld. The number of
// officers ..." is a question's row, not a quarter's.
func figureRows(rows [][]string, ks []int) bool {
	for _, k := range ks {
		for _, c := range rows[k][1:] {
			c = strings.TrimSpace(c)
			if c == "" {
				continue
			}
			if _, ok := plainFigure(c); ok {
				continue
			}
			if len(c) <= 24 && (suppressed(c) || c[0] >= '0' && c[0] <= '9' || strings.HasPrefix(c, "£")) {
				continue
			}
			return false
		}
	}
	return true
}

// plainFigure reads a cell that is one figure: "1,284", "£96,310", "0",
// "12.5".
func plainFigure(s string) (float64, bool) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "£"))
	if s == "" || s == "-" || s == "–" {
		return 0, s != ""
	}
	var v float64
	dot := 0.0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			if dot > 0 {
				v += float64(r-'0') * dot
				dot /= 10
			} else {
				v = v*10 + float64(r-'0')
			}
		case r == ',':
		case r == '.' && dot == 0:
			dot = 0.1
		default:
			return 0, false
		}
	}
	return v, true
}

func formatFigure(v float64) string {
	if v == float64(int64(v)) {
		s := fmt.Sprint(int64(v))
		var b strings.Builder
		for i, r := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	return fmt.Sprintf("%.2f", v)
}
