package parser

import (
	"regexp"
	"strconv"
	"strings"
)

// Turning the words of one answer into a status and a typed value.

var (
	reNotHeld       = regexp.MustCompile(`(?i)\b(not held|(does|do|did) not (currently )?hold|doesn't hold|don't hold|holds? no (recorded )?(information|data|records?)|no (recorded )?(information|data|records?) (is |are |was |were )?(held|recorded|available|kept|collected)|no recorded (information|data)|(is|are|was|were) not (recorded|collected|collated|captured|kept|retained)|not captured|no such (information|data|records?)|information (is )?not (held|available)|(does|do|did) not (currently )?(collect|record|capture|collate|keep|retain|have access to)( (this|that|the|any|such))? (information|data|figures?|records?|details|statistics)|(does|do|did)(n't| not) (collect|record|capture|collate|keep|retain) (this|that|these|it|them)\b)\b`)
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
	reCommissions   = regexp.MustCompile(`^(?:The|Our|This)?\s*(?:[A-Z][\w'’]*\s+){0,6}(?:commissions|commissioned|funds|funded|has commissioned|currently commissions)\s+(?:the\s+|a service called\s+(?:the\s+)?)?([A-Z].+)`)
	reNameTail      = regexp.MustCompile(`(?i),?\s+(?:which|that|who)\s.*$|,\s*(?:delivered|run|provided|operated|managed|commissioned|funded)\s+(?:by|in|through|with)\b.*$|\s+\((?:the\s+)?[A-Z]{2,8}\)$`)
	reYearish       = regexp.MustCompile(`\b(19|20)\d\d\s*[/-]\s*\d{2,4}\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b`)
	reListLead      = regexp.MustCompile(`(?i)^.{0,120}?\b((?:(?:were|was|are|have been|has been) )?(?:received|made|came|come|referred) (?:from|by)|are|were|is|was|include|includes|included|including|comprise|comprised|as follows|namely)\b\s*:?\s*`)
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
	return keyed(reNotHeld, s, "held", "hold", "recorded", "captured", "no such", "available", "collect", "collate", "keep", "kept", "retain", "have access")
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
	sep, after := " ", s[m[1]:]
	if a := strings.TrimLeft(after, " "); a != "" && strings.ContainsRune(".,;:", rune(a[0])) {
		sep, after = "", a // "X (a caveat)." keeps its full stop in place
	}
	main = strings.TrimSpace(strings.TrimRight(s[:m[0]], " ") + sep + after)
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
	if !reListLeadWords.MatchString(firstChars(s, 140)) {
		// no "organisations ... were": nothing to strip before the names
	} else if m := reListLead.FindStringSubmatchIndex(s); m != nil && reListLeadWords.MatchString(s[:m[2]]) {
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

// splitCommas splits at commas outside parentheses, then each piece at " and "
// (or " & ") where it separates two names rather than joining one.
func splitCommas(s string) []string {
	if strings.Contains(asciiLower(s), "fire") {
		s = reFixedNames.ReplaceAllStringFunc(s, func(m string) string { return strings.ReplaceAll(m, ",", "\x00") })
	}
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
	commas := len(out) > 1
	var split []string
	for _, p := range out {
		split = append(split, splitAnds(strings.TrimSpace(p), commas)...)
	}
	for i := range split {
		split[i] = strings.ReplaceAll(split[i], "\x00", ",")
	}
	return split
}

// reFixedNames are names with a comma of their own.
var reFixedNames = regexp.MustCompile(`(?i)\bpolice, fire and crime\b|\bpolice, fire & crime\b`)

// compounds are pairs of words joined by "and" (or "&") inside one name,
// as "left right": "Police and Crime Commissioner", "HM Prison and
// Probation Service", "Drug and Alcohol ...", "Health and Social Care".
var compounds = map[string]bool{"police crime": true, "fire rescue": true, "fire crime": true, "drug alcohol": true, "drugs alcohol": true, "alcohol drug": true, "alcohol drugs": true, "misuse recovery": true, "health social": true, "health care": true, "health wellbeing": true, "health well-being": true, "health justice": true, "children family": true, "children families": true, "children young": true, "children adult": true, "children adults": true, "adult children": true, "adults children": true, "child adolescent": true, "people family": true, "people families": true, "families communities": true, "courts tribunals": true, "prison probation": true, "prisons probation": true, "liaison diversion": true, "crime disorder": true, "work pensions": true, "education skills": true, "women girls": true, "victims witnesses": true, "abuse sexual": true, "abuse stalking": true, "domestic sexual": true, "abuse violence": true, "housing communities": true, "housing homelessness": true, "safeguarding quality": true, "safeguarding partnership": true, "safeguarding partnerships": true, "safety justice": true, "safety partnership": true, "safety partnerships": true, "crime justice": true, "research development": true, "policy performance": true, "treatment recovery": true, "rehabilitation resettlement": true, "advice support": true, "support advocacy": true, "intervention prevention": true, "prevention intervention": true}

var orgHeads = regexp.MustCompile(`(?i)\b(service|services|team|trust|council|police|constabulary|probation|care|hub|unit|partnership|board|agency|agencies|centre|center|charity|nhs|gps?|schools?|hospital|authority|office|department|ministry|courts?|prison|housing|commissioner|ltd|limited|cic|foundation|refuge|aid|network|group|project|programme|self[- ]referrals?|mash|marac|opcc|pcc|opfcc|pfcc|ccg|icb|hmpps|moj|dwp|home office|victim support|social care|social services|health visitors?|midwi(?:fe|ves)|education|government)\b`)

// splitAnds splits s at each " and " (or " & ") that separates two names:
// "Police and Probation", "Victim Support and Probation", "Probation and
// Social Services"; but not one inside a name: "Drug and Alcohol Recovery
// Service", "Office of the Police and Crime Commissioner", "HM Prison and
// Probation Service". afterCommas tells that s is one item of a list written
// with commas, where a one-word name ("Relate") stands on its own.
func splitAnds(s string, afterCommas bool) []string {
	if !strings.Contains(s, " and ") && !strings.Contains(s, " & ") {
		return []string{s}
	}
	protected := protectCompounds(s)
	var pieces []string
	rest := protected
	for n := 0; n < 20; n++ {
		i, w := nextAnd(rest)
		if i < 0 {
			break
		}
		pieces = append(pieces, rest[:i])
		rest = rest[i+w:]
	}
	pieces = append(pieces, rest)
	restore := func(p string) string { return strings.ReplaceAll(p, "\x01", " ") }
	if len(pieces) == 1 {
		return []string{restore(s)}
	}
	var out []string
	cur := pieces[0]
	for _, r := range pieces[1:] {
		if separateNames(restore(cur), restore(r), afterCommas) {
			out = append(out, restore(cur))
			cur = r
		} else {
			cur += " and " + r
		}
	}
	return append(out, restore(cur))
}

// nextAnd is where the first " and " or " & " of s starts, and its length;
// -1 when there is none.
func nextAnd(s string) (i, w int) {
	i, w = strings.Index(s, " and "), 5
	if j := strings.Index(s, " & "); j >= 0 && (i < 0 || j < i) {
		i, w = j, 3
	}
	return i, w
}

// protectCompounds marks the " and " (or " & ") of each pair in compounds
// with \x01 in place of its spaces, so that it is not split at.
func protectCompounds(s string) string {
	var b strings.Builder
	rest := s
	for n := 0; n < 50; n++ {
		i, w := nextAnd(rest)
		if i < 0 {
			break
		}
		left := rest[:i]
		if k := strings.LastIndexAny(left, " ,;(\x01"); k >= 0 {
			left = left[k+1:]
		}
		right := rest[i+w:]
		if k := strings.IndexAny(right, " ,;)"); k >= 0 {
			right = right[:k]
		}
		b.WriteString(rest[:i])
		if compounds[strings.ToLower(left)+" "+strings.ToLower(right)] {
			b.WriteString("\x01" + strings.TrimSpace(rest[i:i+w]) + "\x01")
		} else {
			b.WriteString(rest[i : i+w])
		}
		rest = rest[i+w:]
	}
	b.WriteString(rest)
	return b.String()
}

// separateNames tells whether "l and r" names two things.
func separateNames(l, r string, afterCommas bool) bool {
	l, r = strings.TrimSpace(l), strings.TrimSpace(r)
	if l == "" || r == "" || strings.Count(l, "(") != strings.Count(l, ")") {
		return false
	}
	rl := strings.ToLower(r)
	startsName := strings.HasPrefix(rl, "the ") || strings.HasPrefix(rl, "hm ")
	// "Ministry of Housing and ...", "Department for Work and ...": the
	// "and" joins the last word after "of"/"for" to what follows.
	lower := " " + strings.ToLower(l) + " "
	if k := max(strings.LastIndex(lower, " of "), strings.LastIndex(lower, " for ")); k >= 0 && !startsName {
		tail := strings.Fields(strings.TrimPrefix(strings.TrimSpace(lower[k+4:]), "the "))
		if len(tail) <= 1 && !(len(tail) == 1 && isAcronym(l[strings.LastIndex(l, " ")+1:])) {
			return false
		}
	}
	lw, rw := strings.Fields(l), strings.Fields(r)
	lh, rh := orgHeads.MatchString(l), orgHeads.MatchString(r)
	if len(lw) == 1 && !lh && !isAcronym(l) {
		// "Drug and Alcohol Recovery Service": "Drug" qualifies what
		// follows; in a list with commas, "Relate and Respect" are two.
		return afterCommas && !(rh && len(rw) > 1) && capitalised(l) && capitalised(r)
	}
	switch {
	case lh && rh, startsName:
		return true
	case capitalised(l) && capitalised(r):
		// "Northmoor Police and Stalking Advocacy Service", "Victim
		// Support and Probation": two names, each capitalised.
		return lh || rh || afterCommas || len(lw) > 1 && len(rw) > 1
	}
	return false
}

func capitalised(s string) bool {
	for _, w := range strings.Fields(s) {
		c := w[0]
		if c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			return true
		}
		if !isMinorWord(w) {
			return false
		}
	}
	return false
}

func isMinorWord(w string) bool {
	switch w {
	case "the", "of", "for", "and", "&", "a", "an", "in", "on", "to", "local":
		return true
	}
	return false
}

func isAcronym(s string) bool {
	s = strings.Trim(s, "'’s")
	if len(s) < 2 || len(s) > 8 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

var reListTail = regexp.MustCompile(`(?i)\s+(referrals?|referred)?\s*only$|\s+referrals?$`)

func cleanListItem(p string) string {
	p = strings.TrimSpace(p)
	p = strings.TrimLeft(p, "-–•*·▪◦ ")
	p = strings.TrimPrefix(p, "and ")
	p = strings.TrimPrefix(p, "And ")
	p = strings.TrimSpace(strings.TrimRight(p, ".;:, "))
	if l := asciiLower(p); strings.Contains(l, "referr") || strings.HasSuffix(l, "only") {
		p = strings.TrimSpace(reListTail.ReplaceAllString(p, ""))
	}
	return p
}

// parseText takes a text answer's value: the name after "is called", or the
// first sentence.
func parseText(s string) string {
	s = strings.TrimSpace(s)
	if m := reCalled.FindStringSubmatch(s); m != nil {
		s = m[1]
	} else if m := reCommissions.FindStringSubmatch(s); m != nil {
		s = m[1] // "The OPCC commissions the X, which ..."
	}
	if ss := sentences(s); len(ss) > 0 {
		s = ss[0]
	}
	s = strings.TrimRight(s, ". ")
	if t := strings.TrimSpace(reNameTail.ReplaceAllString(s, "")); len(t) >= 4 {
		s = t // the name, without "..., delivered by ..." after it
	}
	return strings.TrimSpace(strings.TrimRight(s, ". "))
}
