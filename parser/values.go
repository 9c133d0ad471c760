package parser

import (
	"regexp"
	"strconv"
	"strings"
)

// Turning the words of one answer into a status and a typed value.

var (
	reNotHeld       = regexp.MustCompile(`(?i)\b(not held|(does|do|did) not (currently )?hold|doesn't hold|don't hold|holds? no (recorded )?(information|data|records?)|no (recorded )?(information|data|records?) (is |are )?(held|recorded|available)|(is|are) not recorded|not captured|no such (information|data|records?)|information (is )?not (held|available))\b`)
	reExemption     = regexp.MustCompile(`(?i)\b(?:s|ss|sec|section|sections)\s*\.?\s*(\d{1,2})\s*(?:\(\s*(\d{1,2})\s*\)|\s+subsection\s+(\d))?(?:\s*\(\s*([a-z])\s*\))?`)
	reExemptWords   = regexp.MustCompile(`(?i)\b(exempt|exemption|withh[eo]ld|withheld|redact|engaged?|applies|applied|applying|rely|relying|neither confirm nor deny)`)
	reRange         = regexp.MustCompile(`(?i)\b(fewer than|less than|under|below|up to|at most|more than|over|greater than|between)\s+(\d+|[a-z]+)\b|<\s*\d+|>\s*\d+|\b\d+\s*(?:-|–|to)\s*\d+\b`)
	reParen         = regexp.MustCompile(`\(([^()]*)(\)|$)`)
	reNumber        = regexp.MustCompile(`\b\d{1,3}(?:,\d{3})+\b|\b\d+\b`)
	reURL           = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"')\]]+|\bwww\.[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/[^\s<>"')\]]*)?`)
	reMoney         = regexp.MustCompile(`(?i)(£|gbp\s*|€|eur\s*|\$|usd\s*)\s*(\d[\d,]*(?:\.\d+)?)\s*(million|mil|m|bn|billion|k|thousand)?\b|\b(\d[\d,]*(?:\.\d+)?)\s*(million|m|k|thousand)?\s*(pounds|gbp)\b`)
	rePerYear       = regexp.MustCompile(`(?i)^[\s,.]*(per annum|per year|a year|each year|every year|annually|yearly|p\.?\s?a\.?\b|pa\b|per financial year|for the (financial )?year|for (the )?20\d\d\s*/\s*\d{2,4}|in 20\d\d\s*/\s*\d{2,4})`)
	reAnnual        = regexp.MustCompile(`(?i)\b(annual|yearly|per annum|per year|each year|a year)\b`)
	reZeroLead      = regexp.MustCompile(`(?i)^\W*(none|nil|zero|nothing|no one|nobody|no (referrals?|self[- ]referrals?|females?|males?|perpetrators?|people|persons?|individuals?|clients?|participants?|service users?|cases?|one)\b|not any)`)
	reZeroAny       = regexp.MustCompile(`(?i)\b(none|nil|zero|no (referrals?|self[- ]referrals?|one|individuals?|people|perpetrators?|participants?|clients?|cases?))\b`)
	reCalled        = regexp.MustCompile(`(?i)\b(?:is|was|are|were)\s+(?:called|named|titled|entitled|known as)\s+(?:the\s+)?(.+)`)
	reYearish       = regexp.MustCompile(`\b(19|20)\d\d\s*[/-]\s*\d{2,4}\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b`)
	reListLead      = regexp.MustCompile(`(?i)^.{0,120}?\b(are|were|is|was|include|includes|included|including|comprise|comprised|as follows|namely)\b\s*:?\s*`)
	reListLeadWords = regexp.MustCompile(`(?i)\b(organisations?|organizations?|agenc(y|ies)|referrers?|referrals?|names?|contributors?|funders?|funding|following|partners?|bodies|sources?)\b`)
)

var numberWords = map[string]int64{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
	"seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
	"sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}

// keyed matches re against s only when s holds one of keys (lower case):
// a cheap test first, the pattern after.
func keyed(re *regexp.Regexp, s string, keys ...string) bool {
	return hasAny(asciiLower(s), keys) && re.MatchString(s)
}

func notHeldIn(s string) bool {
	return keyed(reNotHeld, s, "held", "hold", "recorded", "captured", "no such", "available")
}

func zeroLead(s string) bool {
	return keyed(reZeroLead, s, "none", "nil", "zero", "nothing", "no", "not any")
}

func isRange(s string) bool {
	return keyed(reRange, s, "than", "under", "below", "up to", "at most", "over", "between", "<", ">", "-", "–", " to ")
}

// answerFor turns the words found for question q into an Answer.
func answerFor(q Question, text string) Answer {
	text = strings.TrimSpace(text)
	if text == "" || len(strings.Trim(text, " .,;:-–—?")) == 0 {
		return Answer{Status: StatusUnanswered}
	}
	main, note := splitNote(text)
	a := Answer{Status: StatusAnswered, Text: shorten(firstPara(main), 400), Note: note}
	first := firstPara(main)

	var value any
	switch q.Type {
	case TypeCount:
		if v, ok := parseCount(first); ok {
			value = v
		}
	case TypeMoney:
		if v, ok := parseMoney(first); ok {
			value = v
		}
	case TypeList:
		if l := parseList(first); len(l) > 0 {
			value = l
		}
	case TypeURL:
		if u := reURL.FindString(text); u != "" {
			u = strings.TrimRight(u, ".,;:")
			if !strings.HasPrefix(strings.ToLower(u), "http") {
				u = "https://" + u
			}
			value = u
		}
	default:
		if v := parseText(first); v != "" {
			value = v
		}
	}

	sents := sentences(main)
	notHeld := notHeldIn(main)
	if notHeld && value != nil && len(sents) > 1 && !notHeldIn(sents[0]) {
		notHeld = false // a value, and something else not held later on
	}
	if notHeld && (value == nil || q.Type == TypeText || q.Type == TypeList || notHeldIn(first)) {
		return Answer{Status: StatusNotHeld, Text: a.Text, Note: note}
	}
	if ex := exemption(text); ex != "" || (value == nil && keyed(reExemptWords, main, "exempt", "withh", "redact", "engage", "appl", "rely", "neither") && !zeroLead(main)) {
		if value == nil || isRange(first) {
			return Answer{Status: StatusExempt, Exemption: ex, Text: a.Text, Note: note}
		}
	}
	a.Value = value
	return a
}

// splitNote takes a caveat in parentheses (closed or not) out of the text.
func splitNote(s string) (main, note string) {
	m := reParen.FindStringSubmatchIndex(s)
	if m == nil {
		return s, ""
	}
	inner := strings.TrimSpace(s[m[2]:m[3]])
	words := len(strings.Fields(inner))
	if words < 4 {
		return s, "" // "(Leicestershire)", "(fourteen)": part of the value
	}
	main = strings.TrimSpace(s[:m[0]] + " " + s[m[1]:])
	return main, strings.TrimRight(inner, " .")
}

func firstPara(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	return strings.Join(strings.Fields(s), " ")
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// exemption returns the first FOIA exemption cited, as s.N(M).
func exemption(s string) string {
	if !hasAny(asciiLower(s), []string{"s.", "s ", "ss", "sec", "s4", "s3", "s2"}) {
		return ""
	}
	for _, m := range reExemption.FindAllStringSubmatch(s, 10) {
		n, _ := strconv.Atoi(m[1])
		if n < 21 || n > 44 {
			continue
		}
		out := "s." + m[1]
		if sub := m[2] + m[3]; sub != "" {
			out += "(" + sub + ")"
		}
		if m[4] != "" {
			out += "(" + strings.ToLower(m[4]) + ")"
		}
		return out
	}
	return ""
}

// parseCount reads a count: digits, number words, or words meaning none.
func parseCount(s string) (int64, bool) {
	if isRange(s) {
		return 0, false
	}
	if zeroLead(s) {
		return 0, true
	}
	clean := reYearish.ReplaceAllString(s, " ")
	type hit struct {
		pos int
		v   int64
	}
	var best *hit
	for _, loc := range reNumber.FindAllStringIndex(clean, 20) {
		v, err := strconv.ParseInt(strings.ReplaceAll(clean[loc[0]:loc[1]], ",", ""), 10, 64)
		if err != nil {
			continue
		}
		// Skip a year standing alone ("in 2022 there were 12").
		if v >= 1990 && v <= 2100 && len(reNumber.FindAllString(clean, 3)) > 1 {
			continue
		}
		// Skip a section number: "s.40(2)".
		if loc[0] > 0 && strings.HasSuffix(strings.ToLower(strings.TrimRight(clean[:loc[0]], " .")), "s") && loc[0] >= 1 && isSectionLead(clean[:loc[0]]) {
			continue
		}
		best = &hit{loc[0], v}
		break
	}
	for _, t := range words(clean, 200) {
		if best != nil && t.start > best.pos {
			break
		}
		if v, ok := wordNumber(clean, t); ok {
			best = &hit{t.start, v}
			break
		}
	}
	if best != nil {
		if m := reZeroAny.FindStringIndex(clean); m != nil && m[0] < best.pos {
			return 0, true
		}
		return best.v, true
	}
	if reZeroAny.MatchString(clean) {
		return 0, true
	}
	return 0, false
}

func isSectionLead(s string) bool {
	s = strings.ToLower(strings.TrimRight(s, " ."))
	return strings.HasSuffix(s, " s") || s == "s" || strings.HasSuffix(s, "section") || strings.HasSuffix(s, "(s")
}

// wordNumber reads "eleven", "twenty-one", "twenty one" at token t.
func wordNumber(s string, t token) (int64, bool) {
	v, ok := numberWords[t.w]
	if !ok || t.w == "one" && !standsAlone(s, t) {
		return 0, false
	}
	if v >= 20 && v%10 == 0 {
		rest := s[t.end:]
		rest = strings.TrimLeft(rest, " -")
		for w, u := range numberWords {
			if u > 0 && u < 10 && strings.HasPrefix(strings.ToLower(rest), w) {
				return v + u, true
			}
		}
	}
	return v, true
}

// standsAlone tells "one" the number from "one of the ..." and "no one".
func standsAlone(s string, t token) bool {
	after := strings.ToLower(strings.TrimSpace(s[t.end:]))
	before := strings.ToLower(strings.TrimSpace(s[:t.start]))
	return !strings.HasPrefix(after, "of") && !strings.HasSuffix(before, "no") && !strings.HasSuffix(before, "any") && !strings.HasSuffix(before, "this") && !strings.HasSuffix(before, "the")
}

// parseMoney reads "£125,000 per annum", "£1.2m", "£60k over three years".
func parseMoney(s string) (Money, bool) {
	m := reMoney.FindStringSubmatchIndex(s)
	if m == nil {
		return Money{}, false
	}
	g := func(i int) string {
		if m[2*i] < 0 {
			return ""
		}
		return s[m[2*i]:m[2*i+1]]
	}
	sym, num, mult := g(1), g(2), g(3)
	if num == "" {
		num, mult, sym = g(4), g(5), "£"
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(num, ",", ""), 64)
	if err != nil {
		return Money{}, false
	}
	switch strings.ToLower(mult) {
	case "m", "mil", "million":
		v *= 1e6
	case "bn", "billion":
		v *= 1e9
	case "k", "thousand":
		v *= 1e3
	}
	cur := "GBP"
	switch strings.ToLower(strings.TrimSpace(sym)) {
	case "€", "eur":
		cur = "EUR"
	case "$", "usd":
		cur = "USD"
	}
	money := Money{Amount: v, Currency: cur}
	after := s[m[1]:]
	before := s[:m[0]]
	if len(before) > 60 {
		before = before[len(before)-60:]
	}
	if rePerYear.MatchString(after) || reAnnual.MatchString(before) {
		money.Period = "year"
	}
	return money, true
}

// parseList splits a list answer into names, in the order written.
func parseList(s string) []string {
	s = strings.TrimSpace(s)
	if zeroLead(s) && !strings.Contains(s, ",") {
		return nil
	}
	if m := reListLead.FindStringSubmatchIndex(s); m != nil && reListLeadWords.MatchString(s[:m[2]]) {
		s = s[m[1]:]
	}
	var parts []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ';' || r == '•' || r == '·' }) {
		parts = append(parts, splitCommas(p)...)
	}
	var out []string
	for _, p := range parts {
		p = cleanListItem(p)
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// splitCommas splits at commas outside parentheses, and at a final " and "
// (or " & ") when it separates two names rather than joining one.
func splitCommas(s string) []string {
	s = reFixedNames.ReplaceAllStringFunc(s, func(m string) string { return strings.ReplaceAll(m, ",", "\x00") })
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	out = append(out, s[start:])
	last := strings.TrimSpace(out[len(out)-1])
	if l, r, ok := splitAnd(last, len(out) > 1); ok {
		out = append(out[:len(out)-1], l, r)
	}
	for i := range out {
		out[i] = strings.ReplaceAll(out[i], "\x00", ",")
	}
	return out
}

// reFixedNames are names with a comma of their own.
var reFixedNames = regexp.MustCompile(`(?i)\bpolice, fire and crime\b|\bpolice, fire & crime\b`)

var orgHeads = regexp.MustCompile(`(?i)\b(service|services|team|trust|council|police|constabulary|probation|care|hub|unit|partnership|board|agency|agencies|centre|center|charity|nhs|gps?|schools?|hospital|authority|office|department|ministry|courts?|prison|housing|commissioner|ltd|limited|cic|foundation|refuge|aid|network|group|project|programme|self[- ]referrals?|mash|marac|opcc|pcc|opfcc|pfcc|ccg|icb|hmpps|moj|dwp)\b`)

// splitAnd splits "Probation and Police" but keeps "Children and Family
// Wellbeing Service" and "Office of the Police and Crime Commissioner" whole.
// afterCommas tells that s is the last item of a list written with commas,
// where " and " is the usual final separator.
func splitAnd(s string, afterCommas bool) (string, string, bool) {
	i := strings.LastIndex(s, " and ")
	n := 5
	if i < 0 {
		i, n = strings.LastIndex(s, " & "), 3
	}
	if i <= 0 {
		return "", "", false
	}
	l, r := strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+n:])
	if l == "" || r == "" || strings.Count(l, "(") != strings.Count(l, ")") {
		return "", "", false
	}
	lower := " " + strings.ToLower(l) + " "
	if (strings.Contains(lower, " of ") || strings.Contains(lower, " for ")) && !strings.HasPrefix(strings.ToLower(r), "the ") {
		return "", "", false // "Office of the Police and Crime Commissioner"
	}
	lh, rh := orgHeads.MatchString(l), orgHeads.MatchString(r)
	switch {
	case !lh && rh:
		return "", "", false // "Drug and Alcohol Service": "Drug" names nothing alone
	case !lh && !rh && !afterCommas:
		return "", "", false
	}
	return l, r, true
}

var reListTail = regexp.MustCompile(`(?i)\s+(referrals?|referred)?\s*only$|\s+referrals?$`)

func cleanListItem(p string) string {
	p = strings.TrimSpace(p)
	p = strings.TrimLeft(p, "-–•*·▪◦ ")
	p = strings.TrimPrefix(p, "and ")
	p = strings.TrimPrefix(p, "And ")
	p = strings.TrimSpace(strings.TrimRight(p, ".;:, "))
	p = strings.TrimSpace(reListTail.ReplaceAllString(p, ""))
	return p
}

// parseText takes a text answer's value: the name after "is called", or the
// first sentence.
func parseText(s string) string {
	s = strings.TrimSpace(s)
	if m := reCalled.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	if ss := sentences(s); len(ss) > 0 {
		s = ss[0]
	}
	return strings.TrimSpace(strings.TrimRight(s, ". "))
}
