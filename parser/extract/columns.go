package extract

import (
	"strings"
	"unicode/utf8"
)

// A letter set in two columns of prose (a newsletter's layout, some
// disclosure notices) comes out of pdftotext -layout with the columns side
// by side on each line, so every line reads half of one sentence and half
// of another. unColumn finds such a run of lines on a page and gives its
// left column, then its right one.
//
// A table is not prose in columns, and must stay as it is. The run is
// taken for columns only when all of these hold:
//   - at least minColumnLines lines share one gutter: two spaces or more
//     at the same place, between 30% and 70% of the page's width, and no
//     other such gutter runs through them (a table of three columns has
//     two);
//   - half the lines or more have words on both sides of it;
//   - the left column's lines end near the gutter and start at one
//     margin, as wrapped prose does; a table's first column holds short
//     cells, or item numbers, that do not.

const (
	minColumnLines = 12
	maxColumnPage  = 300 // lines: a page of a letter has about 60
)

// unColumn rewrites the runs of two-column prose in the text of one page.
func unColumn(page string) string {
	lines := strings.Split(page, "\n")
	width := 0
	for _, l := range lines {
		width = max(width, utf8.RuneCountInString(l))
	}
	if width < 60 || width > 400 || len(lines) < minColumnLines || len(lines) > maxColumnPage {
		return page // too narrow for two columns, or too big to look through (the search costs lines² × width)
	}
	runes := make([][]rune, len(lines))
	for i, l := range lines {
		runes[i] = []rune(l)
	}
	var out []string
	for i := 0; i < len(lines); {
		g, end := gutterRun(runes, i, width)
		if g < 0 {
			out = append(out, lines[i])
			i++
			continue
		}
		var left, right []string
		for k := i; k < end; k++ {
			r := runes[k]
			l, rr := "", ""
			if len(r) > g {
				l, rr = string(r[:g]), string(r[g:])
			} else {
				l = string(r)
			}
			left = append(left, strings.TrimRight(l, " "))
			if t := strings.TrimSpace(rr); t != "" {
				right = append(right, t)
			} else {
				right = append(right, "")
			}
		}
		out = append(out, left...)
		out = append(out, "")
		out = append(out, right...)
		i = end
	}
	return strings.Join(out, "\n")
}

// gutterRun finds a run of two-column prose starting at line i: the
// gutter's column and the run's end; -1 when there is none.
func gutterRun(rs [][]rune, i, width int) (int, int) {
	for g := width * 3 / 10; g <= width*7/10; g++ {
		end := i
		both := 0
		for end < len(rs) && gap(rs[end], g) {
			if words(rs[end], 0, g) && words(rs[end], g+2, len(rs[end])) {
				both++
			}
			end++
		}
		if end-i < minColumnLines || both*2 < end-i {
			continue
		}
		if proseLeft(rs[i:end], g) && !otherGutter(rs[i:end], g, width) {
			return g, end
		}
	}
	return -1, i
}

// gap tells a line with spaces (or nothing) at columns g and g+1.
func gap(r []rune, g int) bool {
	for k := g; k <= g+1; k++ {
		if k < len(r) && r[k] != ' ' {
			return false
		}
	}
	return true
}

func words(r []rune, from, to int) bool {
	for k := from; k < min(to, len(r)); k++ {
		if r[k] != ' ' {
			return true
		}
	}
	return false
}

// proseLeft tells a left column of wrapped prose: its lines with words
// start at one margin and many (two in five: a paragraph's last line is
// short) end within eight columns of the gutter.
func proseLeft(rs [][]rune, g int) bool {
	margin, n, near, atMargin := -1, 0, 0, 0
	for _, r := range rs {
		l := strings.TrimRight(string(r[:min(g, len(r))]), " ")
		if strings.TrimSpace(l) == "" {
			continue
		}
		n++
		start := utf8.RuneCountInString(l) - utf8.RuneCountInString(strings.TrimLeft(l, " "))
		if margin < 0 {
			margin = start
		}
		if start == margin {
			atMargin++
		}
		if utf8.RuneCountInString(l) >= g-8 {
			near++
		}
		if f := strings.Fields(l); len(f) > 0 && isItemNumber(f[0]) && start == margin && (strings.ContainsAny(f[0], ".)") || strings.Contains(l, f[0]+"  ")) {
			return false // "1.  What was ...", "1      How many ...": a table's numbered rows
		}
	}
	return n > 0 && atMargin*10 >= n*9 && near*10 >= n*4
}

func isItemNumber(s string) bool {
	s = strings.TrimRight(s, ".)")
	if s == "" || len(s) > 2 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// otherGutter tells another gutter through the same lines, away from g:
// the mark of a table of more columns.
func otherGutter(rs [][]rune, g, width int) bool {
	for h := 4; h < width-4; h++ {
		if h >= g-6 && h <= g+6 {
			continue
		}
		all, both := true, 0
		for _, r := range rs {
			if !gap(r, h) {
				all = false
				break
			}
			if words(r, 0, h) && words(r, h+2, len(r)) {
				both++
			}
		}
		if all && both*2 >= len(rs) {
			return true
		}
	}
	return false
}
