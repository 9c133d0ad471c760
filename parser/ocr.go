package parser

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text read by OCR from a scan or an image (issue 9). OCR adds noise that
// clean text never has: stray quote marks and bullets before an item's
// number ("“5 12.", "‘6."), a degree sign or a doubled stop after it ("2°.",
// "5.."), a stop lost ("5 12."), a URL split by a space ("https://host/
// path"), and letters read for digits (I/l/1, O/0, S/5, B/8, "I/" read as
// "V"). The rules below are applied only to text that came from OCR, where
// they cannot misfire on clean text; and a value that OCR may have misread
// is not given as a value but left unanswered with its words and a warning.

// reOCRLabel is a line that may start with an item's number in OCR noise:
// leading marks, an optional "Question"/"Q" word with stray punctuation
// ("Question:5"), the number, then any run of stops, colons, degree signs,
// quote marks or a closing bracket.
var reOCRLabel = regexp.MustCompile(`^\s*((?:[“”"'‘’´` + "`" + `•·*°º■●▪◦,.:;~_\-–—]\s*)*)((?i:question|q)\s*[.:;,°º]*\s*)?(\d{1,2})((?:\s*[.,:;)°º'"‘’“”´])*)(.*)$`)

// ocrLabel is a line of OCR text that may be item num.
type ocrLabel struct {
	line  int
	num   int
	weak  bool   // no punctuation after the number: "5 12."
	glued bool   // the stop glued to a number: "2.0", "3.56"
	rest  string // the line after the label
}

// ocrLabelAt reads a possible item label at the start of line l.
func ocrLabelAt(l string) (ocrLabel, bool) {
	m := reOCRLabel.FindStringSubmatch(l)
	if m == nil {
		return ocrLabel{}, false
	}
	n, _ := strconv.Atoi(m[3])
	word, punct, rest := m[2] != "", strings.TrimSpace(m[4]), m[5]
	glued := false
	if n == 0 {
		return ocrLabel{}, false
	}
	switch {
	case punct == "":
		// "5 12.", "Question:5 The ...": the number must stand apart
		// from what follows.
		if rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
			return ocrLabel{}, false
		}
	case rest != "" && rest[0] >= '0' && rest[0] <= '9':
		// "1.5 million", "5.12"; or item 2 whose stop OCR glued to its
		// value ("2.0", "3.56"), which repairOCRLabels takes only between
		// items 1 and 3.
		if punct != "." || word {
			return ocrLabel{}, false
		}
		glued = true
	}
	rest = strings.TrimLeft(rest, " \t.,:;")
	if strings.TrimSpace(rest) == "" {
		return ocrLabel{}, false // a number alone on its line is an answer
	}
	return ocrLabel{num: n, weak: punct == "" && !word, glued: glued, rest: rest}, true
}

// maxOCRRepairLines bounds the OCR text repairOCRLabels mends: a scanned
// letter has a few hundred lines a page, and a text longer than this is
// left as read rather than searched for labels line by line.
const maxOCRRepairLines = 20000

// repairOCRLabels rewrites the item labels of OCR text that noise hides
// ("“5 12.", "5.. 12", "2°. None", "Question:5 ...") as "5. 12". A label is
// taken only where its number continues the items around it: one with
// punctuation when it follows the item before or is followed by the next
// (or is item 1); one without punctuation ("5 12.") only when it follows
// the item before and the next label, if close, is the item after.
func repairOCRLabels(text string) string {
	lines := strings.Split(text, "\n")
	if len(lines) > maxOCRRepairLines {
		return text
	}
	var cands []ocrLabel
	for i, l := range lines {
		if c, ok := ocrLabelAt(l); ok {
			c.line = i
			cands = append(cands, c)
		}
	}
	taken := make([]bool, len(cands))
	write := func(c ocrLabel, num int) {
		// On a line laid out in columns (extract's parseTSV writes a
		// scanned table as pdftotext -layout would), the rest stays at its
		// column so that the table's cells stay in line.
		label := strconv.Itoa(num) + "."
		pad := 1
		if strings.Contains(c.rest, "   ") {
			pad = max(1, utf8.RuneCountInString(lines[c.line])-utf8.RuneCountInString(c.rest)-len(label))
		}
		lines[c.line] = label + strings.Repeat(" ", pad) + c.rest
	}
	prev, prevLine := 0, -1000
	for k, c := range cands {
		follows := prev > 0 && prev == c.num-1 && c.line-prevLine <= 40
		nextIsNext := k+1 < len(cands) && cands[k+1].num == c.num+1 && cands[k+1].line-c.line <= 40
		ok := false
		if c.glued {
			// Only where both the item before and the item after are
			// labels: "1. ...", "2.0", "3. 56".
			ok = follows && nextIsNext
		} else if c.weak {
			nextClose := k+1 < len(cands) && cands[k+1].line-c.line <= 3
			ok = follows && (nextIsNext || !nextClose)
		} else {
			ok = follows || nextIsNext || c.num == 1
		}
		if !ok {
			continue
		}
		write(c, c.num)
		taken[k] = true
		prev, prevLine = c.num, c.line
	}
	// A label with punctuation whose digit OCR misread ("“8." for "5.")
	// between items N-1 and N+1, each on the line next to it or the one
	// after, is item N.
	for k := 1; k+1 < len(cands); k++ {
		c, before, after := cands[k], cands[k-1], cands[k+1]
		if taken[k] || c.weak || c.glued || !taken[k-1] || after.weak || after.glued || after.num != before.num+2 ||
			c.line-before.line > 2 || after.line-c.line > 2 {
			continue
		}
		write(c, before.num+1)
		taken[k] = true
	}
	return strings.Join(lines, "\n")
}

var (
	reOCRScheme = regexp.MustCompile(`(?i)\b(https?)\s?:\s?/\s?/\s?`)
	reURLPiece  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9\-._~/%?=&#+]*$`)
	urlStops    = map[string]bool{"a": true, "an": true, "and": true, "or": true, "to": true, "the": true, "for": true, "which": true, "where": true, "in": true, "on": true, "at": true, "is": true, "are": true, "was": true, "this": true, "that": true, "please": true, "see": true, "if": true, "you": true, "we": true, "it": true, "of": true, "with": true, "by": true, "from": true, "as": true, "but": true, "not": true, "has": true, "have": true, "be": true}
	urlTLDs     = map[string]bool{"uk": true, "com": true, "org": true, "net": true, "gov": true, "nhs": true, "police": true, "co": true, "ac": true, "sch": true, "io": true}
)

// rejoinURLs joins a URL that OCR split with a space: "https://host/ path",
// "https: //host.gov. uk/x", "https://host/report-\n2023.pdf". The piece
// after the break must look like part of a URL, not a word of the sentence.
func rejoinURLs(text string) string {
	text = reOCRScheme.ReplaceAllString(text, "$1://")
	var b strings.Builder
	for n := 0; n < 200; n++ {
		loc := reURL.FindStringIndex(text)
		if loc == nil {
			break
		}
		end := loc[1]
		for j := 0; j < 5; j++ {
			e, ok := urlContinues(text, end)
			if !ok {
				break
			}
			text = text[:end] + text[e:] // drop the break
			loc2 := reURL.FindStringIndex(text[loc[0]:])
			if loc2 == nil || loc2[0] != 0 {
				break
			}
			end = loc[0] + loc2[1]
		}
		b.WriteString(text[:end])
		text = text[end:]
	}
	b.WriteString(text)
	return b.String()
}

// urlContinues tells whether the URL ending at end of s goes on after a
// break; it returns where the piece after the break starts.
func urlContinues(s string, end int) (int, bool) {
	if end == 0 || end >= len(s) {
		return 0, false
	}
	last := s[end-1]
	i := end
	newline := false
	for i < len(s) && (s[i] == ' ' || s[i] == '\n') {
		newline = newline || s[i] == '\n'
		i++
	}
	switch {
	case i >= len(s):
		return 0, false
	case !newline && i-end != 1:
		return 0, false // one space, no more
	case newline:
		// One line break, then the next line's indent, which must put the
		// piece under the start of the URL's cell: its line's start, or
		// where a run of three spaces or more (a column of a table laid
		// out by extract's parseTSV) ends before the URL.
		if strings.Count(s[end:i], "\n") != 1 {
			return 0, false
		}
		ls := strings.LastIndexByte(s[:end], '\n') + 1
		urlStart := strings.LastIndexAny(s[ls:end], " \t") + 1 + ls
		cellStart := ls + len(s[ls:urlStart]) - len(strings.TrimLeft(s[ls:urlStart], " "))
		if k := strings.LastIndex(s[ls:urlStart], "   "); k >= 0 {
			cellStart = ls + k + len(s[ls+k:urlStart]) - len(strings.TrimLeft(s[ls+k:urlStart], " "))
		}
		nl := strings.LastIndexByte(s[:i], '\n')
		indent := utf8.RuneCountInString(s[nl+1 : i])
		if d := indent - utf8.RuneCountInString(s[ls:cellStart]); d < -3 || d > 3 {
			return 0, false
		}
	}
	piece := s[i:]
	if k := strings.IndexAny(piece, " \n\t"); k >= 0 {
		piece = piece[:k]
	}
	piece = strings.TrimRight(piece, ".,;:)")
	if !reURLPiece.MatchString(piece) || urlStops[strings.ToLower(piece)] {
		return 0, false
	}
	urlish := strings.ContainsAny(piece, "/-_.=?0123456789")
	switch last {
	case '/', '-', '_', '=':
		// After a line break the piece must look like a URL's, or be a
		// lower-case word that ends its line or cell ("bspp-\nevaluation"
		// in a table cell), not the start of the next sentence.
		if newline && !urlish && !(unicode.IsLower(rune(piece[0])) && cellEnds(s, i+len(piece))) {
			return 0, false
		}
	case '.':
		// "https://www. example.gov.uk": a host that has no dot but the
		// last ends nowhere.
		url := s[strings.LastIndexAny(s[:end], " \t\n")+1 : end-1]
		if _, host, ok := strings.Cut(url, "://"); ok && !strings.Contains(host, "/") && !strings.Contains(host, ".") {
			break
		}
		top := strings.ToLower(piece)
		if k := strings.IndexAny(top, "/."); k >= 0 {
			top = top[:k]
		}
		if !urlTLDs[top] {
			return 0, false
		}
	default:
		return 0, false
	}
	return i, true
}

// cellEnds tells whether s ends at i, or its line or a table cell (a run of
// three spaces) does, after stops and brackets.
func cellEnds(s string, i int) bool {
	for i < len(s) && strings.IndexByte(".,;:)", s[i]) >= 0 {
		i++
	}
	return i >= len(s) || s[i] == '\n' || strings.HasPrefix(s[i:], "   ")
}

// repairOCR applies the repairs above to text read by OCR.
func repairOCR(text string) string {
	return rejoinURLs(repairOCRLabels(text))
}

// ocrFold is a reference as OCR may confuse it: I, l, 1 and | alike, O and
// 0, S and 5, B and 8, and "I/" or "/" read as "V".
func ocrFold(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case 'l', '1', '|', 'i', 'I', '!':
			return 'I'
		case 'o', 'O', '0':
			return '0'
		case 's', 'S', '5':
			return '5'
		case 'B', '8':
			return '8'
		case '\\':
			return '/'
		}
		return r
	}, s)
	s = strings.ToUpper(s)
	s = strings.ReplaceAll(s, "/", "V")
	return strings.ReplaceAll(s, "IV", "V")
}

// trustedForm returns the form of ref written in trusted text (not read by
// OCR) when the two differ only by what OCR confuses, else ref.
func trustedForm(ref, trusted string) string {
	f := ocrFold(ref)
	for _, m := range reRefBare.FindAllString(trusted, 200) {
		if m != ref && len(m) >= len(ref)-1 && len(m) <= len(ref)+1 && ocrFold(m) == f {
			return m
		}
	}
	return ref
}

// reOCRDigit is a token where OCR may have read a letter for a digit or a
// digit for a letter: digits mixed with O, o, I, i, l, |, !, S or B ("1O",
// "l2", "i1"), the letters ocrFold takes for digits.
var reOCRDigit = regexp.MustCompile(`(?:^|[\s£$€(])(\d+[OoIilSB|!][\dOoIilSB|!,]*|[OoIilSB|!]+\d[\dOoIilSB|!,]*)(?:$|[\s.,;:)])`)

// doubtfulNumber returns a token of s that holds a number OCR may have
// misread, "" when there is none.
func doubtfulNumber(s string) string {
	if m := reOCRDigit.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// ocrSource is the text of one attachment read by OCR, repaired.
type ocrSource struct {
	name string
	conf float64
	text string
}

// fromOCR tells an answer whose words were found in text read by OCR (and,
// unless they are short, not in the clean text).
func fromOCR(a Answer, clean string, srcs []ocrSource) (ocrSource, bool) {
	probe := strings.TrimSpace(a.Text)
	if i := strings.IndexByte(probe, '\n'); i >= 0 {
		probe = probe[:i]
	}
	if len(probe) > 60 {
		probe = probe[:60]
		for len(probe) > 0 && probe[len(probe)-1] >= 0x80 {
			probe = probe[:len(probe)-1]
		}
	}
	// A short answer ("12.") found in the clean text too may still have
	// come from the scan: warning once too often is the safer mistake.
	if probe == "" || (len(probe) >= 20 && strings.Contains(clean, probe)) {
		return ocrSource{}, false
	}
	for _, s := range srcs {
		if strings.Contains(s.text, probe) {
			return s, true
		}
	}
	return ocrSource{}, false
}

// scanWarning words the warning that values came from a scan.
func scanWarning(srcs []ocrSource, what string) string {
	var parts []string
	for _, s := range srcs {
		parts = append(parts, fmt.Sprintf("%s, OCR confidence %.0f", s.name, s.conf))
	}
	return what + " read from a scan (" + strings.Join(parts, "; ") + "): check the values against the letter"
}
