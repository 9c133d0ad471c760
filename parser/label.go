package parser

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Labels at the start of a line: the number of an item ("5.", "Q5",
// "Question 5:", "(5)", "5 –"), the letter of a part ("(b)", "b)"), the
// label of an answer ("Answer:", "Response", "A5."), a bullet. Hand-written
// rather than one pattern: a label is a few bytes at the start of a line,
// and the cases that look alike ("1.5 million", "Q1 2024/25", "A good
// question") are told apart by what follows.

// lineLabel is what starts a line.
type lineLabel struct {
	num    int    // the item's number (a letter's place: "(b)" is 2); 0 none
	letter bool   // the item is lettered
	style  string // how the number is written: "n." "n)" "(n)" "n:" "n -" "Qn" "Question n" ...
	rest   string // the line after the label
	bullet bool   // the line is a bulleted line without a number
	more   []int  // further numbers of one label: "Questions 2, 3 and 4"
	sub    byte   // the letter of a part the reply numbered itself: "1a.", "1(b)"
}

// bulletRunes are the marks of a bulleted line.
const bulletRunes = "-–•*·▪◦➢►■□●○"

// cutBullet returns s without a leading bullet mark and the space after it.
func cutBullet(s string) (string, bool) {
	t := strings.TrimLeft(s, " \t")
	for _, b := range bulletRunes {
		bs := string(b)
		if strings.HasPrefix(t, bs) {
			r := t[len(bs):]
			if strings.TrimSpace(r) == "" {
				return s, false // "*" alone: a mark, not a bullet
			}
			if r[0] == ' ' || r[0] == '\t' || b == '•' || b == '·' || b == '▪' || b == '◦' || b == '●' || b == '■' {
				if b == '-' && strings.HasPrefix(r, "-") {
					return s, false // "--" a rule, not a bullet
				}
				return strings.TrimLeft(r, " \t"), true
			}
		}
	}
	if strings.HasPrefix(t, "o ") || strings.HasPrefix(t, "o\t") {
		return strings.TrimLeft(t[2:], " \t"), true // Outlook's Courier New "o"
	}
	return s, false
}

var itemWords = []string{"questions", "question", "requests", "request", "items", "item", "parts", "part", "points", "point", "q"}

// itemLabel reads the label at the start of s.
func itemLabel(s string) lineLabel {
	t := strings.TrimLeft(s, " \t")
	if t == "" {
		return lineLabel{}
	}
	if r, ok := cutBullet(t); ok {
		if l := numberLabel(r); l.num > 0 {
			return l // "- 1. The name of ..."
		}
		return lineLabel{bullet: true, rest: r}
	}
	if l := numberLabel(t); l.num > 0 {
		return l
	}
	if l, ok := romanLabel(t); ok {
		return l
	}
	return letterLabel(t)
}

// romanLabel reads "(ii)", "iv)", "vii." at the start of t: a lettered item
// at the roman numeral's place (so "(ii)" answers the second numbered
// question, as "(b)" would). "(i)" alone reads as the letter i; the
// segmenter makes it the first when "(ii)" follows.
func romanLabel(t string) (lineLabel, bool) {
	var r, rest string
	switch {
	case strings.HasPrefix(t, "("):
		end := strings.IndexByte(t, ')')
		if end < 2 {
			return lineLabel{}, false
		}
		r, rest = t[1:end], t[end+1:]
	default:
		end := strings.IndexAny(t, ").")
		if end < 1 {
			return lineLabel{}, false
		}
		r, rest = t[:end], t[end+1:]
	}
	n := romanValue(r)
	if n == 0 || len(r) < 2 && r != "v" && r != "x" || rest == "" || rest[0] != ' ' || strings.TrimSpace(rest) == "" {
		return lineLabel{}, false
	}
	return lineLabel{num: n, letter: true, style: "(i)", rest: strings.TrimLeft(rest, " \t")}, true
}

// romanValue is the value of a lower-case roman numeral from i to xx; 0
// for anything else.
func romanValue(s string) int {
	for n, r := range romans {
		if s == r {
			return n + 1
		}
	}
	return 0
}

var romans = strings.Fields("i ii iii iv v vi vii viii ix x xi xii xiii xiv xv xvi xvii xviii xix xx")

// wordedLabel reads a label that says its word: "Question 5:", "Q5.",
// "Request 3 -", "Questions 2 and 3", "Q1 & Q2 -".
func wordedLabel(t string) (lineLabel, bool) {
	lower := asciiLower(firstChars(t, 24))
	// "Question 5:", "Q5.", "Request 3 -", "Cwestiwn 1 / Question 1"
	for _, w := range itemWords {
		if !strings.HasPrefix(lower, w) {
			continue
		}
		p := len(w)
		if p < len(t) && isLetterByte(t[p]) {
			continue // "Quarterly", "Items"
		}
		q := p
		for q < len(t) && (t[q] == ' ' || t[q] == '.' || t[q] == '\t') {
			q++
		}
		n, e := readNum(t, q)
		if n <= 0 {
			continue
		}
		if w == "q" {
			if l, ok := qRange(n, t[e:]); ok {
				return l, true // "Q1 & Q2 - ...", "Q1-Q3:"
			}
		}
		if w == "q" && e < len(t) && (t[e] == '/' || t[e] == '-') {
			continue // "Q1-Q4 2024", "Q1/2"
		}
		rest := strings.TrimLeft(t[e:], " ")
		if t[0] >= 'a' && t[0] <= 'z' && rest != "" && rest[0] >= 'a' && rest[0] <= 'z' {
			continue // "question 6 of your request)": words of a sentence
		}
		if w == "q" && strings.HasPrefix(rest, "(") && (reMonthWord.MatchString(firstChars(rest, 40)) || reYearIn.MatchString(firstChars(rest, 40))) {
			continue // "Q1 (April to June 2024)": a quarter
		}
		if w == "q" && isPeriodLabel(firstField(rest)) {
			continue // "Q1 2024/25": a quarter
		}
		if e < len(t) && t[e] >= 'a' && t[e] <= 'z' {
			continue
		}
		style := "Q"
		if w != "q" {
			style = "Question"
		}
		l := lineLabel{num: n, style: style, rest: trimLabelSep(rest)}
		if strings.HasSuffix(w, "s") {
			// "Questions 2, 3 and 4", "Parts 1 to 3": one answer to several.
			more, after := moreNumbers(n, rest)
			if len(more) == 0 {
				continue // "Questions 1" is no label we know
			}
			l.more, l.rest = more, trimLabelSep(after)
		}
		return l, true
	}
	return lineLabel{}, false
}

// numberLabel reads a numbered label at the start of t (no leading space).
func numberLabel(t string) lineLabel {
	if t == "" {
		return lineLabel{}
	}
	if l, ok := wordedLabel(t); ok {
		return l
	}
	if l, ok := bilingualLabel(t); ok {
		return l
	}
	// "(5)", "(5 )"
	if t[0] == '(' {
		n, e := readNum(t, 1)
		for e < len(t) && t[e] == ' ' {
			e++
		}
		if n > 0 && e < len(t) && t[e] == ')' {
			return lineLabel{num: n, style: "(n)", rest: strings.TrimLeft(t[e+1:], " \t")}
		}
		return lineLabel{}
	}
	n, e := readNum(t, 0)
	if n <= 0 {
		return lineLabel{}
	}
	rest := t[e:]
	if l, ok := compoundLabel(n, rest); ok {
		return l
	}
	switch {
	case rest == "":
		return lineLabel{num: n, style: "n", rest: ""}
	case rest[0] == '.':
		if len(rest) > 1 && rest[1] >= '0' && rest[1] <= '9' {
			return lineLabel{} // "1.5 million", "2.0"
		}
		return lineLabel{num: n, style: "n.", rest: strings.TrimLeft(rest[1:], " \t")}
	case rest[0] == ')':
		return lineLabel{num: n, style: "n)", rest: strings.TrimLeft(rest[1:], " \t")}
	case rest[0] == ':' && (len(rest) == 1 || rest[1] == ' '):
		return lineLabel{num: n, style: "n:", rest: strings.TrimLeft(rest[1:], " \t")}
	case rest[0] == '\t' || strings.HasPrefix(rest, "   "):
		return lineLabel{num: n, style: "n\t", rest: strings.TrimLeft(rest, " \t")}
	case strings.HasPrefix(rest, " | "):
		return lineLabel{num: n, style: "n|", rest: rest[3:]}
	}
	r := strings.TrimLeft(rest, " ")
	for _, d := range []string{"-", "–", "—"} {
		if strings.HasPrefix(r, d) && len(r) > len(d) && r[len(d)] == ' ' && len(rest) > len(r) {
			return lineLabel{num: n, style: "n -", rest: strings.TrimLeft(r[len(d):], " ")}
		}
	}
	return lineLabel{}
}

var reMonthWord = regexp.MustCompile(`(?i)\b` + monthRe + `\b`)

// moreNumbers reads the numbers after the first of a plural label:
// ", 3 and 4", " to 3", "-4", " & 5"; it returns them and the rest.
func moreNumbers(first int, rest string) ([]int, string) {
	m := reMoreNumbers.FindStringSubmatch(rest)
	if m == nil {
		return nil, rest
	}
	var out []int
	prev := first
	for _, t := range reNumberStep.FindAllStringSubmatch(m[0], 20) {
		n, _ := strconv.Atoi(t[2])
		if n <= 0 {
			continue // "Questions 2, 00": no question 0
		}
		if t[1] == "to" || t[1] == "-" || t[1] == "–" {
			for k := prev + 1; k < n && k-prev < 20; k++ {
				out = append(out, k)
			}
		}
		out = append(out, n)
		prev = n
	}
	return out, rest[len(m[0]):]
}

// compoundLabel reads a number's label of more than the number: one for
// several questions ("1-3.", "4) & 5)") or a part the reply numbered
// itself ("1a. The number of ...", "1(b) ...").
func compoundLabel(n int, rest string) (lineLabel, bool) {
	if l, ok := numberRange(n, rest); ok {
		return l, true
	}
	if m := reSubPart.FindStringSubmatch(rest); m != nil {
		letter := m[1] + m[2]
		return lineLabel{num: n, sub: letter[0], style: "na.", rest: strings.TrimLeft(rest[len(m[0]):], " \t")}, true
	}
	return lineLabel{}, false
}

// numberRange reads the rest of "1-3. ...", "1 & 2: ...", "2 and 3) ...":
// one answer numbered for several questions. The numbers must rise, by
// at most ten, and a label's stop must follow ("2-3 weeks" is no label).
func numberRange(n int, rest string) (lineLabel, bool) {
	if m := reStopAnd.FindStringSubmatch(rest); m != nil && m[1] == m[3] {
		// "4) & 5) None", "2. and 3. ..."
		k, _ := strconv.Atoi(m[2])
		if risesFrom(n, []int{k}) {
			style := "n" + m[1]
			return lineLabel{num: n, style: style, more: []int{k}, rest: strings.TrimLeft(rest[len(m[0]):], " \t")}, true
		}
		return lineLabel{}, false
	}
	if rest == "" || !strings.ContainsRune("-–&a ", rune(rest[0])) && !strings.HasPrefix(rest, "–") {
		return lineLabel{}, false
	}
	more, after := moreNumbers(n, rest)
	if after == "" || !risesFrom(n, more) {
		return lineLabel{}, false
	}
	var style string
	switch {
	case after[0] == '.' && (len(after) == 1 || after[1] == ' ' || after[1] == '\t'):
		style = "n."
	case after[0] == ')':
		style = "n)"
	case after[0] == ':' && (len(after) == 1 || after[1] == ' '):
		style = "n:"
	default:
		return lineLabel{}, false
	}
	return lineLabel{num: n, style: style, more: more, rest: strings.TrimLeft(after[1:], " \t")}, true
}

// risesFrom tells the further numbers of a label of several questions:
// some, each above the one before, the last at most ten above n ("1-3",
// not "3-1" or "2-40").
func risesFrom(n int, more []int) bool {
	if len(more) == 0 || more[len(more)-1]-n > 10 {
		return false
	}
	prev := n
	for _, m := range more {
		if m <= prev {
			return false
		}
		prev = m
	}
	return true
}

// reQRange is the rest of "Q1 & Q2", "Q1-Q3", "Q2/Q3", "Q1 and Q2":
// every number with its Q.
var reQRange = regexp.MustCompile(`(?i)^(?:\s*(?:,|and|&|to|-|–|/)\s*q\s*\d{1,2}\b)+`)

// qRange reads the rest of a label of several questions by their Qs, up to
// the label's stop (":", ".", ")", a dash, or the line's end). Quarters
// ("Q1-Q4 2024/25") have a year or a period after them, not a stop.
func qRange(n int, rest string) (lineLabel, bool) {
	m := reQRange.FindString(rest)
	if m == "" {
		return lineLabel{}, false
	}
	after := strings.TrimLeft(rest[len(m):], " \t")
	switch {
	case after == "":
	case after[0] == ':' || after[0] == '.' || after[0] == ')':
		after = after[1:]
	case strings.HasPrefix(after, "- ") || strings.HasPrefix(after, "– ") || strings.HasPrefix(after, "— "):
		_, size := utf8.DecodeRuneInString(after)
		after = after[size:]
	default:
		return lineLabel{}, false
	}
	if isPeriodLabel(firstField(strings.TrimSpace(after))) {
		return lineLabel{}, false
	}
	more, _ := moreNumbers(n, strings.ReplaceAll(asciiLower(m), "/", "&"))
	if !risesFrom(n, more) {
		return lineLabel{}, false
	}
	return lineLabel{num: n, style: "Q", more: more, rest: strings.TrimLeft(after, " \t")}, true
}

// reSubPart is the rest of "1a. ", "1a) ", "1(a) ": a part's letter and
// its stop.
var reSubPart = regexp.MustCompile(`^(?:([a-h])[.):]|\(([a-h])\))(?:\s|$)`)

// reStopAnd is the rest of "4) & 5)", "2. and 3.": two labels of one answer.
var reStopAnd = regexp.MustCompile(`^([.)])\s*(?:&|and|,)\s*(\d{1,2})([.)])(?:\s|$)`)

// reMoreNumbers is the rest of "Questions 2, 3 and 4", "Parts 1 to 3".
var reMoreNumbers = regexp.MustCompile(`^(?:\s*(?:,|and|&|to|-|–)\s*(?:q\s*)?\d{1,2}\b)+`)

// bilingualLabel reads "Cwestiwn 1 / Question 1": a label in another
// language, then the English one.
func bilingualLabel(t string) (lineLabel, bool) {
	i := strings.Index(firstChars(t, 40), "/")
	if i <= 0 {
		return lineLabel{}, false
	}
	left := strings.TrimSpace(t[:i])
	f := strings.Fields(left)
	if len(f) != 2 || !isDigits(f[1]) {
		return lineLabel{}, false
	}
	l := numberLabel(strings.TrimLeft(t[i+1:], " "))
	if l.num <= 0 || l.style != "Question" && l.style != "Q" {
		return lineLabel{}, false
	}
	return l, true
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// trimLabelSep drops what separates "Question 5" from its text: ":", ".",
// ")", "-", "–".
func trimLabelSep(s string) string {
	s = strings.TrimLeft(s, " \t")
	for _, p := range []string{":", ".", ")", "-", "–", "—", "|"} {
		if strings.HasPrefix(s, p) {
			return strings.TrimLeft(s[len(p):], " \t")
		}
	}
	return s
}

// readNum reads a number of one or two digits at t[i:], not followed by
// another digit or a comma and digits ("1,206" is a figure).
func readNum(t string, i int) (n, end int) {
	j := i
	for j < len(t) && j < i+3 && t[j] >= '0' && t[j] <= '9' {
		n = n*10 + int(t[j]-'0')
		j++
	}
	if j == i || j-i > 2 {
		return 0, i
	}
	if j < len(t) && t[j] == ',' && j+1 < len(t) && t[j+1] >= '0' && t[j+1] <= '9' {
		return 0, i
	}
	if j < len(t) && (t[j] == '/' || t[j] == '%') {
		return 0, i // "06/05/2025", "50%"
	}
	return n, j
}

func isLetterByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// letterLabel reads "(b)", "b)", "b." at the start of t: the lettered parts
// of a request, lower case a to l.
func letterLabel(t string) lineLabel {
	if len(t) < 3 {
		return lineLabel{}
	}
	var c byte
	var rest string
	switch {
	case t[0] == '(' && len(t) >= 4 && t[2] == ')':
		c, rest = t[1], t[3:]
	case t[1] == ')' || t[1] == '.':
		c, rest = t[0], t[2:]
	default:
		return lineLabel{}
	}
	if c < 'a' || c > 'l' || rest == "" || rest[0] != ' ' {
		return lineLabel{}
	}
	rest = strings.TrimLeft(rest, " \t")
	if rest == "" {
		return lineLabel{}
	}
	return lineLabel{num: int(c-'a') + 1, letter: true, style: "(a)", rest: rest}
}

// reAnswerLabel is the label of an answer at the start of a line: "Answer:",
// "Response -", "Our response:", "A5.", "A5", "Ateb / Answer:", or
// "Response" alone on its line (a heading).
var reAnswerLabel = regexp.MustCompile(`(?i)^\s*(?:[-–•*]\s*)?(?:\p{L}+\s*/\s*)?(?:(?:the\s+)?(?:our|council'?s?|trust'?s?|force'?s?|authority'?s?|commissioner'?s?|university'?s?|service'?s?)\s+)?(?:(?:answer|response|reply)(?:\s+(?:to\s+)?(?:question\s+|q\s*)?\d{1,2})?\s*(?:[:.\-–—)]\s*|$)|a\d{1,2}\b\s*[:.\-–—)]?\s*|a \d{1,2}\s*[:.\-–—)]\s*)`)

// answerLabel returns where the answer begins in s when s starts with the
// label of an answer; -1 otherwise. A label in another language before
// the English one ("Ateb: ... / Answer: ...") gives the English one.
func answerLabel(s string) int {
	if !mayBeAnswerLabel(s) {
		return -1
	}
	if m := reAnswerLabel.FindStringIndex(s); m != nil {
		if e := strings.Index(asciiLower(s[m[1]:]), " / answer:"); e >= 0 {
			return m[1] + e + len(" / answer:")
		}
		return m[1]
	}
	if i := strings.Index(asciiLower(firstChars(s, 80)), "/ answer:"); i > 0 && i < 40 && !strings.ContainsAny(s[:i], ".?") {
		return i + len("/ answer:")
	}
	return -1
}

// mayBeAnswerLabel is a cheap test before reAnswerLabel: every label the
// pattern reads holds "answer", "respon" or "reply" in its first 60 bytes,
// or is "A" and a figure (TestAnswerLabels tries every form).
func mayBeAnswerLabel(s string) bool {
	head := asciiLower(firstChars(s, 60))
	if strings.Contains(head, "answer") || strings.Contains(head, "respon") || strings.Contains(head, "reply") {
		return true
	}
	t := strings.TrimLeft(head, " \t-–•*")
	return len(t) >= 2 && t[0] == 'a' && (t[1] >= '0' && t[1] <= '9' || t[1] == ' ' && len(t) > 2 && t[2] >= '0' && t[2] <= '9')
}

// isAnswerHeading tells a line that is only an answer's label: "Response",
// "Answer:", "Our response".
func isAnswerHeading(s string) bool {
	t := strings.TrimSpace(s)
	if t == "" || len(t) > 30 {
		return false
	}
	at := answerLabel(t)
	return at >= 0 && strings.TrimSpace(t[at:]) == ""
}
