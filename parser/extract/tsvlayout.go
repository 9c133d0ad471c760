package extract

// Laying out the words tesseract read (its TSV) as pdftotext -layout lays
// out a text PDF (parseTSV), leaving out what scanner dirt tesseract read
// as marks.

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tsvWord is a word of tesseract's TSV: its box in pixels, its confidence
// (0-100) and its text.
type tsvWord struct {
	left, top, width, height int
	conf                     float64
	text                     string
}

// parseTSV turns tesseract's TSV into text laid out the way `pdftotext
// -layout` lays out a text PDF, so that the parser reads a scan with the
// same rules as the PDF it was printed from; and sums the words'
// confidence.
//
// Implementation notes:
//   - Words of a line are joined by a space, except where the gap before a
//     word is two characters wide or more: there the word starts a new cell
//     (a table column), written at its column on a grid of the page's median
//     character width, at least three spaces after the cell before it.
//   - Lines tesseract split that sit on one baseline, side by side (a table
//     row's cells, the answer's sometimes read before the question's), are
//     put back together.
//   - A line is indented to the column of its first word, counted from the
//     page's leftmost word, so a cell that wraps stays under its cell's
//     first words.
//   - A blank line goes where the distance from one line's baseline to the
//     next is over 1.25 times the page's usual line pitch and tesseract
//     starts a new paragraph there, or over 1.4 times whatever tesseract
//     says, as pdftotext puts one where the PDF leaves vertical space
//     (between paragraphs, and between the rows of a table with cell
//     padding). Neither signal alone will do on a speckled scan: tesseract
//     starts paragraphs inside a table cell, and a speck that joins a
//     word's box moves a one-word line's baseline. A line's baseline is
//     the median of where its words sit (the bottom of a word without
//     descenders, the top and a word's height for one with capitals and
//     descenders; not a box a speck made taller), corrected for the
//     page's skew (the median slope of lines' baselines), so that a page
//     fed a degree askew, or a line whose first word is "to" rather than
//     "The", does not count. The usual pitch is that of lines set close
//     (usualPitch). Tesseract's own paragraphs are used only on a page of
//     too few lines to measure.
//   - Specks: a word with no letter or digit whose box is tiny (under a
//     third of the page's median word height both ways) or whose confidence
//     is under 50 is scanner dirt, not text, and is dropped; a word read
//     with less than 90 confidence loses marks a speck glued before its
//     first letter ("_Borsetshire", ".None", "—_Borsetshire"; not a
//     hyphen), and the quote marks before its first letter when nothing
//     after it on the line closes a quotation ("‘Fenland OPCC"). A mark
//     half as tall again as the page's words, or alone in the white space
//     between two columns ("|", "_", most of a character's width from its
//     neighbours; not a dash, which stands between words) and read with
//     less than 90 confidence, is dropped too, and so is a letter or two
//     alone in white space between two words read with less than 50
//     confidence (a speck tesseract took for a "7").
func parseTSV(tsv []byte) pageOut {
	lines := readTSVLines(tsv)
	wordH, cw := wordMetrics(lines)
	var o pageOut
	lines, o.confSum, o.words = dropSpecks(lines, wordH, cw)
	margin := leftMargin(lines)
	baselines := lineBaselines(lines, skew(lines), wordH)
	lines, baselines = joinSplitLines(lines, baselines, wordH)
	pitch := usualPitch(baselines, wordH, cw)
	o.text = layOut(lines, baselines, pitch, margin, cw)
	return o
}

// tsvLine is a line as tesseract read it: its words in order across the
// page, and the paragraph tesseract put it in ("page.block.par").
type tsvLine struct {
	par   string
	words []tsvWord
}

// readTSVLines reads the words (level 5) of tesseract's TSV into lines.
// A row that is not a word, has no text or no confidence is left out; a
// word whose box does not read has a box of zeros (no geometry).
func readTSVLines(tsv []byte) []tsvLine {
	var lines []tsvLine
	var lastLine string
	for row := range strings.SplitSeq(string(tsv), "\n") {
		f := strings.Split(strings.TrimRight(row, "\r"), "\t")
		// level page block par line word left top width height conf text
		if len(f) < 12 || f[0] != "5" {
			continue
		}
		w := tsvWord{text: strings.TrimSpace(f[11])}
		var err error
		w.conf, err = strconv.ParseFloat(f[10], 64)
		if w.text == "" || err != nil || w.conf < 0 {
			continue
		}
		box := [4]int{}
		for k := range box {
			if box[k], err = strconv.Atoi(f[6+k]); err != nil || box[k] < 0 {
				box = [4]int{}
				break
			}
		}
		w.left, w.top, w.width, w.height = box[0], box[1], box[2], box[3]
		par, ln := f[1]+"."+f[2]+"."+f[3], f[1]+"."+f[2]+"."+f[3]+"."+f[4]
		if ln != lastLine || len(lines) == 0 {
			lines = append(lines, tsvLine{par: par})
			lastLine = ln
		}
		l := &lines[len(lines)-1]
		l.words = append(l.words, w)
	}
	for _, l := range lines {
		slices.SortStableFunc(l.words, func(a, b tsvWord) int { return a.left - b.left })
	}
	return lines
}

// median is the median of v, 0 for none; it sorts v.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// wordMetrics measures the page: the median height of its words (those
// with a letter or a digit) and its character width, the median width
// per character of its words of three characters or more, in pixels. A
// page without geometry measures 0.
func wordMetrics(lines []tsvLine) (wordH, cw float64) {
	var heights, widths []float64
	for _, l := range lines {
		for _, w := range l.words {
			if wordy(w.text) && w.height > 0 {
				heights = append(heights, float64(w.height))
			}
			if n := utf8.RuneCountInString(w.text); n >= 3 && w.width > 0 && wordy(w.text) {
				widths = append(widths, float64(w.width)/float64(n))
			}
		}
	}
	return median(heights), median(widths)
}

// dropSpecks drops the words that are scanner dirt and the marks a speck
// glued before a word (see parseTSV), then the lines left empty, in place;
// it sums the confidence of the words kept.
func dropSpecks(lines []tsvLine, wordH, cw float64) (kept []tsvLine, confSum float64, words int) {
	kept = lines[:0]
	for _, l := range lines {
		ws := make([]tsvWord, 0, len(l.words))
		for j, w := range l.words {
			// The white space before and after the word, in characters;
			// infinite at the ends of the line.
			before, after := math.Inf(1), math.Inf(1)
			if cw > 0 && j > 0 {
				before = float64(w.left-(l.words[j-1].left+l.words[j-1].width)) / cw
			}
			if cw > 0 && j < len(l.words)-1 {
				after = float64(l.words[j+1].left-(w.left+w.width)) / cw
			}
			if isSpeck(w, j, len(l.words), before, after, wordH, cw) {
				continue
			}
			if w.conf < 90 {
				w.text = trimSpeckMarks(w.text)
				if t := trimOpeningQuote(w.text); t != w.text && !closesQuote(l.words[j+1:]) {
					w.text = t
				}
			}
			ws = append(ws, w)
			confSum += w.conf
			words++
		}
		if len(ws) > 0 {
			l.words = ws
			kept = append(kept, l)
		}
	}
	return kept, confSum, words
}

// isSpeck tells whether w, word j of a line of n, with before and after
// characters of white space on either side, is scanner dirt.
func isSpeck(w tsvWord, j, n int, before, after, wordH, cw float64) bool {
	// Alone in white space between two words, one or two characters read
	// with less than 50 confidence: tesseract made a letter or digit of a
	// speck ("7" between a question and its answer "22"). (An item's
	// number at the start of a line is often read with less confidence,
	// and stays.)
	if w.conf < 50 && utf8.RuneCountInString(w.text) <= 2 && cw > 0 && j > 0 && j < n-1 && before >= 1 && after >= 1 {
		return true
	}
	if wordy(w.text) {
		return false
	}
	tiny := wordH > 0 && float64(w.width) < wordH/3 && float64(w.height) < wordH/3
	// No mark of a font is half as tall again as the words: tesseract saw
	// a shape in the white space between two columns.
	tall := wordH > 0 && float64(w.height) > 1.5*wordH
	// Alone in the white space between two columns, most of a character's
	// width from its neighbours: a speck or a cell's edge read as "|" or
	// "_". (A dash stands alone between two words.)
	alone := cw > 0 && !strings.ContainsAny(w.text, "-–—") && before >= 0.8 && after >= 0.8
	return w.conf < 50 || tiny || tall || alone && w.conf < 90
}

// leftMargin is the left edge of the page's leftmost word, in pixels.
func leftMargin(lines []tsvLine) int {
	margin := math.MaxInt
	for _, l := range lines {
		for _, w := range l.words {
			margin = min(margin, w.left)
		}
	}
	return margin
}

// skew is the page's skew: the median slope of the baselines of lines at
// least 200 pixels long, measured from their first to their last word
// without descenders.
func skew(lines []tsvLine) float64 {
	var slopes []float64
	for _, l := range lines {
		var first, last *tsvWord
		for k := range l.words {
			if w := &l.words[k]; !descends(w.text) && w.height > 0 {
				if first == nil {
					first = w
				}
				last = w
			}
		}
		if first != nil && last.left-first.left >= 200 {
			slopes = append(slopes, float64(last.top+last.height-first.top-first.height)/float64(last.left-first.left))
		}
	}
	return median(slopes)
}

// lineBaselines is where each line sits: the median of where its words
// sit, corrected for the page's skew (slope).
func lineBaselines(lines []tsvLine, slope, wordH float64) []float64 {
	baselines := make([]float64, len(lines))
	for i, l := range lines {
		var ys, all []float64
		for _, w := range l.words {
			// Where the word sits: the bottom of a word without
			// descenders; the top and a word's height down from it for
			// one with capitals or ascenders ("https://x/bspp-"); else
			// the bottom less a descender.
			y := float64(w.top + w.height)
			switch {
			case !descends(w.text):
			case ascends(w.text):
				y = float64(w.top) + wordH
			default:
				y -= 0.2 * wordH
			}
			y -= slope * float64(w.left)
			// A box taller than the page's words took in a speck (one
			// with descenders and capitals may be a half taller), above
			// or below it: unless all of the line's words are such, they
			// do not count; if they are, half way between where the top
			// and the bottom put them.
			tall := 1.2
			if descends(w.text) {
				tall = 1.6
			}
			if wordH == 0 || float64(w.height) <= tall*wordH {
				ys = append(ys, y)
			} else if ascends(w.text) {
				y = (y + float64(w.top) + wordH - slope*float64(w.left)) / 2
			}
			all = append(all, y)
		}
		if len(ys) > 0 {
			baselines[i] = median(ys)
		} else {
			baselines[i] = median(all)
		}
	}
	return baselines
}

// joinSplitLines puts back together lines tesseract split that sit on one
// baseline (a table row's cells read as lines of their own, the answer's
// sometimes before the question's): one line, its words in order across
// the page. Only lines up to four apart that share none of the page's
// width are joined.
func joinSplitLines(lines []tsvLine, baselines []float64, wordH float64) ([]tsvLine, []float64) {
	if wordH <= 0 {
		return lines, baselines
	}
	for i := 0; i < len(lines); i++ {
		for j := i + 1; j < len(lines) && j <= i+4; j++ {
			if math.Abs(baselines[j]-baselines[i]) >= 0.5*wordH || overlaps(lines[i].words, lines[j].words) {
				continue
			}
			lines[i].words = append(lines[i].words, lines[j].words...)
			slices.SortStableFunc(lines[i].words, func(a, b tsvWord) int { return a.left - b.left })
			lines = slices.Delete(lines, j, j+1)
			baselines = slices.Delete(baselines, j, j+1)
			j--
		}
	}
	return lines, baselines
}

// usualPitch is the page's usual line pitch: the pitch of lines set
// close, not the median, for on a page of two-line table rows half the
// pitches are row gaps. The fifth-shortest in five, at most 2.2 word
// heights (a page whose every line stands apart); 0 on a page of too few
// lines to measure, or without geometry.
func usualPitch(baselines []float64, wordH, cw float64) float64 {
	var pitches []float64
	for i := 1; i < len(baselines); i++ {
		if d := baselines[i] - baselines[i-1]; d > 0 {
			pitches = append(pitches, d)
		}
	}
	pitch := 0.0
	if len(pitches) >= 3 && cw > 0 {
		slices.Sort(pitches)
		pitch = pitches[len(pitches)/5]
		if wordH > 0 {
			pitch = min(pitch, 2.2*wordH)
		}
	}
	return pitch
}

// layOut writes the lines as pdftotext -layout would (see parseTSV): a
// blank line where the space between two lines says so, each line
// indented to its first word's column counted from margin, a cell at its
// column on a grid of cw pixels, at least three spaces after the cell
// before it. Columns are clamped to 0-400 characters whatever the boxes
// say.
func layOut(lines []tsvLine, baselines []float64, pitch float64, margin int, cw float64) string {
	var b strings.Builder
	for i, l := range lines {
		switch {
		case i == 0:
		case pitch > 0 && baselines[i]-baselines[i-1] > 1.25*pitch && l.par != lines[i-1].par,
			pitch > 0 && baselines[i]-baselines[i-1] > 1.4*pitch,
			pitch > 0 && baselines[i] < baselines[i-1], // a new column or block above
			pitch == 0 && l.par != lines[i-1].par:
			b.WriteString("\n\n")
		default:
			b.WriteByte('\n')
		}
		col := 0 // runes written on this line
		for j, w := range l.words {
			at := 0
			if cw > 0 {
				at = int(min(max(math.Round(float64(w.left-margin)/cw), 0), 400))
			}
			switch {
			case j == 0:
				col = min(at, 400)
				b.WriteString(strings.Repeat(" ", col))
			case cw > 0 && float64(w.left-(l.words[j-1].left+l.words[j-1].width)) >= 2*cw:
				pad := max(3, min(at-col, 400))
				b.WriteString(strings.Repeat(" ", pad))
				col += pad
			default:
				b.WriteByte(' ')
				col++
			}
			b.WriteString(w.text)
			col += utf8.RuneCountInString(w.text)
		}
	}
	return b.String()
}

// trimSpeckMarks drops the marks a speck, or the white space between two
// columns, may be read as ("_", ".", ",", ":", ";", "|", "~", "^", "—",
// "–") from the start of a word that goes on with a letter.
func trimSpeckMarks(s string) string { return trimBeforeLetter(s, "_.,:;|~^—–") }

// trimOpeningQuote drops the quote marks that start s when a letter
// follows them.
func trimOpeningQuote(s string) string { return trimBeforeLetter(s, "“‘\"'`") }

// trimBeforeLetter drops the characters of cutset that start s when a
// letter follows them; else it returns s.
func trimBeforeLetter(s, cutset string) string {
	t := strings.TrimLeft(s, cutset)
	if t == s || t == "" {
		return s
	}
	if r, _ := utf8.DecodeRuneInString(t); !unicode.IsLetter(r) {
		return s
	}
	return t
}

// closesQuote tells whether one of ws ends a quotation.
func closesQuote(ws []tsvWord) bool {
	for _, w := range ws {
		if strings.ContainsAny(w.text, "”\"") || strings.HasSuffix(strings.TrimRight(w.text, ".,;:)"), "’") || strings.HasSuffix(strings.TrimRight(w.text, ".,;:)"), "'") {
			return true
		}
	}
	return false
}

// overlaps tells whether the words of a and b share some of the page's
// width.
func overlaps(a, b []tsvWord) bool {
	span := func(ws []tsvWord) (int, int) {
		lo, hi := math.MaxInt, math.MinInt
		for _, w := range ws {
			lo, hi = min(lo, w.left), max(hi, w.left+w.width)
		}
		return lo, hi
	}
	alo, ahi := span(a)
	blo, bhi := span(b)
	return alo < bhi && blo < ahi
}

// ascends reports whether s has a capital, a digit or a letter that goes
// up to the capitals' height, so that its box's top is the line's cap
// height.
func ascends(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune("bdfhklt/", r)
	}) >= 0
}

// descends reports whether s has a letter or mark that goes below the
// baseline, so that its box's bottom is not the line's baseline.
func descends(s string) bool { return strings.ContainsAny(s, "gjpqyQJ,;()[]{}|@$") }

// wordy reports whether s holds a letter or a digit.
func wordy(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}
