package parser

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Reading a count: digits ("1,206"), words ("forty-two", "twelve hundred
// and six"), and the ways of saying none ("nil", "zero", "no <noun>",
// "did not issue any", "0%"). Dates, years, periods, times, sections,
// phone numbers, money and percentages are not counts; nor are figures the
// question itself says ("at least one shift", "31 March 2025"). Where
// several figures remain, the one beside a word of the question wins
// ("318 placements involving 296 households" when households were asked),
// else the first, and the answer is marked for a person to check.

// numCand is a figure found in an answer.
type numCand struct {
	v          int64
	start, end int
	word       bool // written in words
	year       bool // a year, date, period or section: not a count
}

var (
	reDateSpan     = regexp.MustCompile(`(?i)\b\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\b|\b\d{1,2}-` + monthRe + `-\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}(?:st|nd|rd|th)?(?:\s+of)?\s+` + monthRe + `\b(?:,?\s+\d{4})?|\b` + monthRe + `\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b|\b` + monthRe + `\s+\d{4}\b|\b(?:19|20)\d\d\s*(?:/|-|–|to)\s*(?:19|20)?\d\d\b|\bfy\s?\d\d\s*/\s*\d\d\b|\b\d{1,2}[:.]\d{2}\s*(?:am|pm)?\b|\b\d{1,2}\s*(?:am|pm)\b|\b\d+(?:st|nd|rd|th)\b|\b24/7\b`)
	reSectionSpan  = regexp.MustCompile(`(?i)\b(?:s|ss|sec|section|sections|reg|regulation|regulations|article|paragraph|para|schedule|part|chapter|clause|question|questions|q|item|items|point|appendix|annex|annexe|page|pages|ref|reference|no|table|tables|figure|fig|chart|graph|tab|sheet|line|row|column)\s*\.?\s*\d{1,3}(?:\s*\(\s*\w{1,2}\s*\))*(?:\s*(?:and|to|-|–|,)\s*\d{1,3}(?:\s*\(\s*\w{1,2}\s*\))*)*`)
	rePhoneSpan    = regexp.MustCompile(`\b0\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}\b|\+44\s?\d[\d ]{8,12}\d`)
	reDigits       = regexp.MustCompile(`\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?`)
	rePostcodeSpan = regexp.MustCompile(`\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b`)
)

var numberWords = map[string]int64{
	"zero": 0, "nought": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
	"seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
	"sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}

// masked are byte spans of s not to read figures from.
type spans [][2]int

func (sp spans) covers(a, b int) bool {
	for _, x := range sp {
		if a < x[1] && b > x[0] {
			return true
		}
	}
	return false
}

// numberCandidates finds the figures of s, marking those that are not
// counts.
func numberCandidates(s string) []numCand {
	if len(s) > 4000 {
		s = s[:4000]
	}
	if !strings.ContainsAny(s, "0123456789") {
		return wordNumbers(s, nil) // no digits: no dates, sections or phone numbers either
	}
	runs := digitRuns(s, 50)
	var skip spans
	for _, w := range digitWindows(s, runs) {
		for _, re := range []*regexp.Regexp{reDateSpan, reSectionSpan, rePhoneSpan, rePostcodeSpan} {
			for _, m := range re.FindAllStringIndex(s[w[0]:w[1]], 50) {
				skip = append(skip, [2]int{w[0] + m[0], w[0] + m[1]})
			}
		}
	}
	if strings.Contains(s, "/") || strings.Contains(s, "@") || strings.Contains(asciiLower(s), "www.") {
		for _, re := range []*regexp.Regexp{reURL, reEmail} {
			for _, m := range re.FindAllStringIndex(s, 50) {
				skip = append(skip, [2]int{m[0], m[1]})
			}
		}
	}
	var out []numCand
	for _, m := range runs {
		a, b := m[0], m[1]
		if a > 0 && isLetterByte(s[a-1]) {
			continue // "Q1", "A5"
		}
		if before := strings.TrimRight(s[:a], " "); strings.HasSuffix(before, "£") || strings.HasSuffix(before, "$") || strings.HasSuffix(before, "€") {
			continue // money
		}
		if b < len(s) && (isLetterByte(s[b]) || s[b] == '%' && s[a:b] != "0") {
			continue // "5AF", "50%"
		}
		txt := strings.ReplaceAll(s[a:b], ",", "")
		if strings.Contains(txt, ".") {
			if f, err := strconv.ParseFloat(txt, 64); err == nil && f == float64(int64(f)) {
				txt = strconv.FormatInt(int64(f), 10)
			} else {
				out = append(out, numCand{start: a, end: b, year: true}) // a decimal is no count
				continue
			}
		}
		v, err := strconv.ParseInt(txt, 10, 64)
		if err != nil {
			continue
		}
		c := numCand{v: v, start: a, end: b}
		if reBoundBefore.MatchString(s[max(0, a-16):a]) {
			c.year = true // "fewer than 5": a bound, not a figure
		}
		if skip.covers(a, b) || v >= 1990 && v <= 2100 && !strings.Contains(s[a:b], ",") {
			c.year = true
		}
		out = append(out, c)
	}
	out = append(out, wordNumbers(s, skip)...)
	sortCands(out)
	return out
}

// digitRuns finds the figures of s as reDigits would, at most n: "1,234",
// "12.5", "2024". A scan by hand: the pattern stepped through every byte.
func digitRuns(s string, n int) [][2]int {
	var out [][2]int
	for i := 0; i < len(s) && len(out) < n; {
		if !isDigitByte(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigitByte(s[j]) {
			j++
		}
		end := j
		if j-i <= 3 { // \d{1,3}(?:,\d{3})+
			for k := j; k+4 <= len(s) && s[k] == ',' && isDigitByte(s[k+1]) && isDigitByte(s[k+2]) && isDigitByte(s[k+3]); k += 4 {
				end = k + 4
			}
		}
		if end+1 < len(s) && s[end] == '.' && isDigitByte(s[end+1]) { // (?:\.\d+)?
			end += 2
			for end < len(s) && isDigitByte(s[end]) {
				end++
			}
		}
		out = append(out, [2]int{i, end})
		i = end
	}
	return out
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// digitWindows returns the parts of s near its figures, where a date, a
// section, a phone number or a postcode can be: 48 bytes either side of
// each run, widened to whitespace so that a pattern reads the same there as
// in the whole of s, and merged. The span patterns read only these: most
// of a long answer is words.
func digitWindows(s string, runs [][2]int) [][2]int {
	var out [][2]int
	for _, r := range runs {
		a, b := max(0, r[0]-48), min(len(s), r[1]+48)
		for a > 0 && !isSpaceByte(s[a-1]) {
			a--
		}
		for b < len(s) && !isSpaceByte(s[b]) {
			b++
		}
		if n := len(out); n > 0 && a <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], b)
			continue
		}
		out = append(out, [2]int{a, b})
	}
	return out
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// reBoundBefore ends the words of a bound before a figure: "fewer than",
// "less than", "under", "more than", "up to".
var reBoundBefore = regexp.MustCompile(`(?i)\b(fewer than|less than|under|below|more than|over|greater than|up to|at most|in excess of|<|>)\s*$`)

var reEmail = regexp.MustCompile(`\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b`)

func sortCands(c []numCand) {
	for i := 1; i < len(c); i++ {
		for k := i; k > 0 && c[k].start < c[k-1].start; k-- {
			c[k], c[k-1] = c[k-1], c[k]
		}
	}
}

// wordNumbers reads figures written in words: "four", "forty-two",
// "twelve hundred and six", "two thousand".
func wordNumbers(s string, skip spans) []numCand {
	toks := words(s, 400)
	var out []numCand
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if _, ok := numberWords[t.w]; !ok {
			continue
		}
		v, end, k := readWordNumber(s, toks, i)
		if k == i+1 && t.w == "one" && !oneStandsAlone(s, t) {
			continue
		}
		if skip.covers(t.start, end) {
			i = k - 1
			continue
		}
		if reBoundBefore.MatchString(s[max(0, t.start-16):t.start]) {
			i = k - 1
			continue
		}
		out = append(out, numCand{v: v, start: t.start, end: end, word: true})
		i = k - 1
	}
	return out
}

// readWordNumber reads the number in words starting at token i; it returns
// the value, the byte end and the token after it.
func readWordNumber(s string, toks []token, i int) (int64, int, int) {
	var total, cur int64
	end, k := toks[i].end, i
	for ; k < len(toks); k++ {
		w := toks[k].w
		if k > i && toks[k].start-toks[k-1].end > 3 {
			break
		}
		if k > i && strings.ContainsAny(s[toks[k-1].end:toks[k].start], ".,;:()") {
			// "nine thousand, four hundred and six": the comma of a
			// figure written out goes on.
			_, isNum := numberWords[w]
			if !(strings.TrimSpace(s[toks[k-1].end:toks[k].start]) == "," && isNum && cur == 0 && (toks[k-1].w == "thousand" || toks[k-1].w == "million")) {
				break
			}
		}
		if n, ok := numberWords[w]; ok {
			if cur%100 >= 20 && cur%10 == 0 && n < 10 || cur%100 == 0 {
				cur += n
			} else if cur != 0 {
				break
			} else {
				cur = n
			}
			end = toks[k].end
			continue
		}
		switch w {
		case "hundred":
			if cur == 0 {
				cur = 1
			}
			cur *= 100
			end = toks[k].end
			continue
		case "thousand", "million":
			if cur == 0 {
				cur = 1
			}
			mul := int64(1000)
			if w == "million" {
				mul = 1_000_000
			}
			total += cur * mul
			cur = 0
			end = toks[k].end
			continue
		case "and":
			if k+1 < len(toks) && k > i && (toks[k-1].w == "hundred" || toks[k-1].w == "thousand") {
				if _, ok := numberWords[toks[k+1].w]; ok {
					continue
				}
			}
		}
		break
	}
	return total + cur, end, k
}

// oneStandsAlone tells "one" the number from "one of the ...", "no one",
// "at least one", "one-to-one".
func oneStandsAlone(s string, t token) bool {
	after := strings.ToLower(strings.TrimSpace(s[t.end:]))
	before := strings.ToLower(strings.TrimSpace(s[:t.start]))
	for _, p := range []string{"of", "-to-", "to one", "another", "or more", "off"} {
		if strings.HasPrefix(after, p) {
			return false
		}
	}
	for _, p := range []string{"no", "any", "this", "the", "least", "each", "every", "which", "that", "only", "than"} {
		if strings.HasSuffix(before, " "+p) || before == p {
			return false
		}
	}
	return true
}

// reZero is an answer that says none: "None", "Nil", "Zero", "Nothing",
// "No one", "Not any", "0%" at the start.
var reZero = regexp.MustCompile(`(?i)^\W*(none|nil|zero|nought|nothing|no ?one|nobody|not any|0\s*%|nil return)\b`)

// reNoNoun is "no <noun>" ("No prosecutions were brought", "No
// households."): none of what was asked, whatever it is.
var reNoNoun = regexp.MustCompile(`(?i)(?:^|[\s(])(?:no|nil|zero)\s+([a-z][a-z'’-]+)\b`)

// reNotAny is a verb said of none: "did not issue any", "have not made
// any", "has never used", "were not any".
var reNotAny = regexp.MustCompile(`(?i)\b(?:did|do|does|have|has|had|were|was|are|is)(?:\s+not|n't|\s+never)\s+(?:been\s+)?(?:[a-z]+\s+){0,2}?any\b|\b(?:have|has|had)\s+never\s+[a-z]+\b|\bthere (?:were|was|are|have been|has been) no(?:ne)?\b`)

// notCountNouns follow "no" without meaning zero of anything asked.
var notCountNouns = map[string]bool{"longer": true, "later": true, "more": true, "less": true, "fewer": true, "information": true, "data": true, "records": true, "record": true, "such": true, "charge": true, "cost": true, "further": true, "exact": true, "separate": true, "specific": true, "change": true, "changes": true, "need": true, "doubt": true, "reason": true, "longer,": true, "other": true, "one's": true, "means": true, "way": true, "figures": true, "figure": true, "details": true, "access": true, "relevant": true, "recorded": true}

// zeroSaid tells an answer that says none of what was asked.
func zeroSaid(s string) bool {
	lower := asciiLower(firstChars(s, 600))
	if kZero.match(s, lower) {
		return true
	}
	first := firstSentence(s)
	if strings.Contains(lower, "no") || strings.Contains(lower, "nil") || strings.Contains(lower, "zero") {
		for _, m := range reNoNoun.FindAllStringSubmatch(first, 5) {
			if !notCountNouns[strings.ToLower(m[1])] {
				return true
			}
		}
	}
	return kNotAny.match(first, asciiLower(first))
}

// The words of none (keyed_test.go checks each phrase holds one).
var (
	kZero   = newKeyed("zero", reZero, "none", "nil", "zero", "nought", "nothing", "no one", "noone", "nobody", "not any", "0")
	kNotAny = newKeyed("not-any", reNotAny, "not", "n't", "never", "there were no", "there was no", "there are no", "there is no", "there have been no", "there has been no")
)

// countIn reads the count an answer gives; masked are spans of the answer
// that say the question's own words. why is set when several figures
// competed.
func countIn(s string, masked spans, qstems map[string]bool) (v int64, ok bool, why string) {
	var cands []numCand
	for _, c := range numberCandidates(s) {
		if c.year || masked.covers(c.start, c.end) || durationAfter(s, c.end, qstems) || reHoursBefore.MatchString(s[max(0, c.start-16):c.start]) {
			continue // "14 hours 6 minutes (846 minutes)": 6 is a part of the time
		}
		cands = append(cands, c)
	}
	// "Nine (9)", "Twelve hundred and six (1,206)": one figure twice.
	cands = dedupePairs(s, cands)
	cands = dropWholes(s, cands)
	lead := strings.TrimSpace(s)
	if len(cands) == 0 {
		if zeroSaid(lead) {
			return 0, true, ""
		}
		// The restated question, then "Nil. The council does not ...".
		for _, l := range sentences(lead)[1:] {
			if zeroSaid(strings.TrimSpace(l)) {
				return 0, true, ""
			}
		}
		return 0, false, ""
	}
	// "None – the Trust did not use agency nurses in 2023/24": a word of
	// none before any figure.
	if zeroLeads(lead, cands[0].start) {
		return 0, true, ""
	}
	distinct := map[int64]bool{}
	for _, c := range cands {
		distinct[c.v] = true
	}
	if len(distinct) == 1 {
		return cands[0].v, true, ""
	}
	// Several figures: the one given as their total ("12 in total – 7
	// enforcement notices, 1 stop notice ..."); else one at the start of
	// the answer; else the first beside a word of the question ("attended
	// 2,164 false alarms"); else the first. A person should look unless the
	// choice was plain.
	if t, ok := totalFigure(s, cands); ok {
		return t.v, true, fmt.Sprintf("several figures given (%s): took %s, given as the total", figures(cands), fmtInt(t.v))
	}
	first := cands[0]
	// "12. This does not include the 4 community-managed libraries.": a
	// figure that is the first sentence alone, the rest a note.
	if lead := strings.TrimSpace(s[:first.start]); lead == "" {
		if rest := strings.TrimLeft(s[first.end:], " "); rest == "" || rest[0] == '.' || rest[0] == '\n' || strings.HasPrefix(rest, ";") {
			return first.v, true, ""
		}
	}
	var near []numCand
	for _, c := range cands {
		if nounAfter(s, c.end, qstems) {
			near = append(near, c)
		}
	}
	if startsAnswer(s, first.start) && (len(near) == 0 || near[0].start == first.start) {
		return first.v, true, ""
	}
	if len(near) > 0 {
		return near[0].v, true, fmt.Sprintf("several figures given (%s): took %s, beside the question's words", figures(cands), fmtInt(near[0].v))
	}
	if startsAnswer(s, first.start) {
		return first.v, true, ""
	}
	return first.v, true, fmt.Sprintf("several figures given (%s): took the first", figures(cands))
}

// totalFigure finds the one figure the words beside it call the total:
// "12 in total", "8 formal notices in total", "a total of 41", "totalling
// 1,204", "Total: 41".
func totalFigure(s string, cands []numCand) (numCand, bool) {
	var found []numCand
	for i, c := range cands {
		from := 0
		if i > 0 {
			from = cands[i-1].end
		}
		before := strings.ToLower(s[max(from, c.start-24):c.start])
		to := len(s)
		if i+1 < len(cands) {
			to = cands[i+1].start
		}
		after := strings.ToLower(s[c.end:min(to, c.end+40)])
		if j := strings.IndexAny(after, ".;–—"); j >= 0 {
			after = after[:j]
		}
		if hasAny(before, []string{"total of", "totalling", "totaling", "total:", "total is", "total was", "total were", "in total,", "in total:"}) ||
			hasAny(after, []string{"in total", "in all", "altogether", "in aggregate"}) {
			found = append(found, c)
		}
	}
	if len(found) == 0 {
		return numCand{}, false
	}
	for _, c := range found[1:] {
		if c.v != found[0].v {
			return numCand{}, false
		}
	}
	return found[0], true
}

// reHoursBefore ends "14 hours " before the minutes of one time.
var reHoursBefore = regexp.MustCompile(`(?i)\b\d+\s*(hours?|hrs?|h)\s*(and\s+)?$`)

// durationAfter tells a figure that counts time ("the last three years",
// "within 20 working days", "48 hours"), unless time is what the question
// counts ("flight hours").
func durationAfter(s string, end int, qstems map[string]bool) bool {
	ws := words(s[end:min(len(s), end+40)], 3)
	for i, t := range ws {
		if i > 1 {
			break
		}
		switch stemWord(t.w) {
		case "year", "month", "week", "day", "hour", "minut", "quarter", "working", "financial", "academic", "calendar":
			if t.w == "working" || t.w == "financial" || t.w == "academic" || t.w == "calendar" {
				continue
			}
			return !qstems[stemWord(t.w)]
		}
		if i == 0 {
			continue
		}
	}
	return false
}

// zeroLeads tells an answer starting with a word of none before the first
// figure, at position pos.
func zeroLeads(s string, pos int) bool {
	if pos > len(s) {
		pos = len(s)
	}
	return reZero.MatchString(s[:pos]) || reZero.MatchString(s) && reZero.FindStringIndex(s)[1] <= pos
}

// startsAnswer tells a figure at the start of the answer, or after a few
// words that lead to it ("There were 743", "The number is 11", "We filled
// 40,336"): the figure is the answer whatever follows it.
func startsAnswer(s string, pos int) bool {
	before := strings.TrimSpace(s[:pos])
	return len(strings.Fields(before)) <= 4 && !strings.ContainsAny(before, ".;:")
}

func dedupePairs(s string, c []numCand) []numCand {
	out := c[:0:0]
	for i := 0; i < len(c); i++ {
		if i+1 < len(c) && c[i].v == c[i+1].v && c[i].word != c[i+1].word {
			between := s[c[i].end:c[i+1].start]
			if strings.TrimSpace(strings.Trim(strings.TrimSpace(between), "(")) == "" || len(between) < 30 && strings.HasSuffix(strings.TrimSpace(between), "(") {
				out = append(out, c[i])
				i++
				continue
			}
		}
		out = append(out, c[i])
	}
	return out
}

// nounAfter tells a figure followed (within two words) by a word of the
// question.
func nounAfter(s string, end int, qstems map[string]bool) bool {
	if len(qstems) == 0 {
		return false
	}
	rest := s[end:min(len(s), end+60)]
	ws := words(rest, 2) // the noun after the figure, not a verb further on ("One scheme was completed")
	for i, t := range ws {
		if i > 0 && strings.ContainsAny(rest[ws[i-1].end:t.start], ".,;:()") {
			break
		}
		if qstems[stemWord(t.w)] {
			return true
		}
	}
	return false
}

func figures(c []numCand) string {
	var parts []string
	seen := map[int64]bool{}
	for _, x := range c {
		if !seen[x.v] {
			seen[x.v] = true
			parts = append(parts, fmtInt(x.v))
		}
		if len(parts) == 5 {
			break
		}
	}
	return strings.Join(parts, ", ")
}

func fmtInt(v int64) string { return formatFigure(float64(v)) }

// reOfThe is what stands between a part and its whole: "2,012 of the 2,240
// incidents", "two of the six agreements", "57 out of 412".
var reOfThe = regexp.MustCompile(`(?i)^\s+(?:out\s+)?of(?:\s+(?:the|these|those|all|all\s+the|a\s+total\s+of))?\s+$`)

// dropWholes leaves out a figure that is the whole another figure is a part
// of: the answer is the part.
func dropWholes(s string, cands []numCand) []numCand {
	if len(cands) < 2 {
		return cands
	}
	out := cands[:1:1]
	for i := 1; i < len(cands); i++ {
		if prev := cands[i-1]; prev.end <= cands[i].start && reOfThe.MatchString(s[prev.end:cands[i].start]) && cands[i].v >= prev.v {
			continue
		}
		out = append(out, cands[i])
	}
	return out
}

// periodClause picks, from an answer that gives a figure for each of
// several periods in sentences ("In 2023/24 we attended 2,118 and in
// 2024/25 we attended 2,240"; "2,012 in 2024/25 (1,905 in 2023/24)"), the
// clause of the period asked. Each clause counted names one period and
// holds a figure; at least two periods must be named, one of them the
// asked one.
func periodClause(s string, asked period) (string, bool) {
	if asked.zero() || !strings.Contains(s, "20") {
		return "", false
	}
	var hit []string
	periods := map[period]bool{}
	for _, cl := range clausesOf(strings.Split(reParenCut.ReplaceAllString(s, "; "), "\n")) {
		ps := periodsIn(cl.text)
		if len(ps) == 0 {
			continue
		}
		one := true
		for _, p := range ps[1:] {
			one = one && p == ps[0]
		}
		if !one || !hasCount(cl.text) {
			continue
		}
		periods[ps[0]] = true
		if ps[0].matches(asked) {
			hit = append(hit, cl.text)
		}
	}
	if len(periods) < 2 || len(hit) != 1 {
		return "", false
	}
	return hit[0], true
}

// reParenCut opens and closes a bracketed aside as a clause of its own.
var reParenCut = regexp.MustCompile(`\s*[()]\s*`)

// hasCount tells text that holds a figure other than a year.
func hasCount(s string) bool {
	for _, c := range numberCandidates(s) {
		if !c.year {
			return true
		}
	}
	return false
}
