package parser

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Read: the fourth stage. The lines aligned to one question become its
// Answer, by the question's type, from those lines alone: first what the
// answer says of the information (not held, exempt, a suppressed small
// figure), then the value (count.go, money.go, list.go, a URL, a text's
// first sentence). A caveat in parentheses goes to Note; figures the
// question itself says are not read as the answer's; where the reply gives
// a figure per period, the period asked is taken.

// reader of answers for one reply.
type answerReader struct {
	period  period
	notesOf func() []string // the reply's sentences citing exemptions, for suppressed figures
	notes   []string
	noted   bool
}

// footnotes are the reply's sentences citing an exemption, read once.
func (r *answerReader) footnotes() []string {
	if !r.noted && r.notesOf != nil {
		r.notes, r.noted = r.notesOf(), true
	}
	return r.notes
}

// qctx is what reading needs to know of one question.
type qctx struct {
	q        Question
	words    []string
	stems    map[string]bool
	period   period
	asksName bool // a text question asking which company or organisation
	// textStems are the stems of the question's text alone: what it asks,
	// its aliases aside ("materials budget" is a name for the spend).
	textStems map[string]bool
	listMode  listMode // what a list question asks for (listModeOf)
}

func newQctx(q Question, p period) *qctx {
	c := &qctx{q: q, words: wordList(q.Text), stems: map[string]bool{}, period: p, asksName: q.Type == TypeText && reAsksName.MatchString(q.Text)}
	for _, s := range append([]string{q.Text}, q.Aliases...) {
		for _, st := range contentStems(s) {
			c.stems[st] = true
		}
	}
	c.listMode = listModeOf(q)
	c.textStems = map[string]bool{}
	for _, st := range contentStems(q.Text) {
		c.textStems[st] = true
	}
	return c
}

// read makes the Answer of question c.q from the lines of a unit.
//
// It is over 100 lines: the reading of one answer by its question's type,
// one case each, in one place so that a type's rules are read together.
func (r *answerReader) read(c *qctx, body []string) Answer {
	lines := tidyAnswerLines(body, c.q.Type == TypeList)
	text := strings.TrimSpace(strings.Join(lines, "\n"))
	if text == "" || strings.Trim(text, " .,;:-–—?*") == "" && !strings.Contains(text, "*") {
		return Answer{Status: StatusUnanswered}
	}
	if !strings.Contains(text, "\n") && strings.HasSuffix(text, ":") && len(text) < 200 {
		// "figures for the last three academic years:": words that lead
		// to the answer, given elsewhere (a table below).
		return Answer{Status: StatusUnanswered, Text: text}
	}
	var why string
	// Figures per period: "2021/22 - £3.1m / 2022/23 - £2.8m / 2023/24 - £2.4m";
	// per month or quarter with a total ("January 1,102 ... Total 14,820").
	if c.q.Type == TypeCount || c.q.Type == TypeMoney {
		if v, note, check, ok := perPeriod(lines, c.period); ok {
			lines, text = []string{v}, v
			if check {
				why = note
			}
		} else if v, note, ok := partsTotal(lines); ok {
			lines, text = []string{v}, v
			why = note
		}
	}
	main, note := splitNote(text)
	if strings.TrimSpace(main) == "" {
		main, note = text, "" // all of it in brackets: the answer, not a note
	}
	first := firstPara(main)
	if fs := strings.TrimSpace(firstSentence(first)); strings.HasSuffix(fs, "?") && len(sentences(first)) <= 2 {
		// "Which measure would you like us to use?": a question back to
		// the requester, not an answer.
		return Answer{Status: StatusUnanswered, Text: shorten(first, 400)}
	}
	a := Answer{Status: StatusAnswered, Text: shorten(first, 400), Note: note}
	if why != "" {
		a.Check, a.Why = true, why
	}
	masked := repeatSpans(first, c.words)

	// Suppressed small figures: exempt, under the section a footnote names.
	if (c.q.Type == TypeCount || c.q.Type == TypeMoney) && suppressed(unmasked(first, masked)) {
		ex := exemption(main + " " + note)
		if ex == "" {
			ex = footnoteFor(first, r.footnotes())
		}
		out := Answer{Status: StatusExempt, Exemption: ex, Text: a.Text, Note: note}
		if ex == "" {
			out.Check, out.Why = true, "a small figure not given ("+shorten(first, 40)+") and no exemption named"
		}
		return out
	}

	var value any
	var vwhy string
	switch c.q.Type {
	case TypeCount:
		// A figure per period in sentences: the asked period's clause.
		reading, rmasked := first, masked
		if cl, ok := periodClause(first, c.period); ok && !ownPeriod(c.q.Text, c.period) {
			reading, rmasked = cl, repeatSpans(cl, c.words)
		}
		if v, ok, w := countIn(reading, rmasked, c.stems); ok {
			value, vwhy = v, w
		}
	case TypeMoney:
		if v, ok, w := moneyIn(first, masked, c.textStems, c.period); ok {
			value, vwhy = v, w
		} else if f, ok := plainFigure(first); ok && first != "" {
			// A bare figure in answer to a question of money (a table's
			// cell under "Amount paid (GBP)").
			value, vwhy = Money{Amount: round2(f), Currency: "GBP"}, "an amount without a currency sign: taken as pounds"
		}
	case TypeList:
		if l, ok := listIn(lines, c.stems, c.listMode); ok && l != nil {
			value = l
		}
	case TypeURL:
		if u := urlIn(lines); u != "" {
			value = u
		}
	default:
		if t := textValue(first); t != "" {
			value = t
		}
		if c.asksName {
			// "Which company manages the car parks?": the company's name,
			// wherever the answer says it.
			if n := companyIn(main); n != "" {
				value = n
			}
		}
	}

	// Withheld in the first sentence ("The names of the suppliers are
	// withheld under section 31(1)(a). Naming them would ..."): exempt,
	// whatever the sentences after it name.
	firstSent := firstSentence(first)
	if ex := exemption(firstSent); (ex != "" || exemptWords(firstSent)) && !reNotApplied.MatchString(firstSent) && !valueIn(c.q.Type, firstSent) && c.q.Type != TypeText && !(c.q.Type == TypeURL && value != nil) && !(c.q.Type == TypeCount && zeroSaid(first)) {
		if c.q.Type != TypeList || len(namesIn(firstSent, nil)) == 0 {
			if ex == "" {
				ex = exemption(main + " " + note)
			}
			return Answer{Status: StatusExempt, Exemption: ex, Text: a.Text, Note: note}
		}
	}
	// A refusal on cost (s.12) says why in words of not holding ("the
	// system does not record ..."): it is the refusal.
	// Its figures are the refusal's sums ("6,200 invoices ... 300 hours ...
	// £450"), not answers, unless the first sentence gives one.
	if ex := exemption(main); (strings.HasPrefix(ex, "s.12") || strings.HasPrefix(ex, "s.14")) && (value == nil || !valueIn(c.q.Type, firstSent)) {
		return Answer{Status: StatusExempt, Exemption: ex, Text: a.Text, Note: note}
	}
	// Not held: unless a value is given first and something else is not
	// held after it ("12. Figures for 2021/22 are not held").
	if notHeld(firstChars(main, 1500)) {
		if value == nil || isEmptyList(value) && !noneUsed(firstSent) || notHeld(firstSent) && !valueIn(c.q.Type, firstSent) || c.q.Type == TypeText || noNames(value) {
			return Answer{Status: StatusNotHeld, Text: a.Text, Note: note}
		}
	}
	// An address asked for that does not exist: "an internal document and
	// not published online, so we are unable to provide a link".
	if c.q.Type == TypeURL && value == nil && reNoAddress.MatchString(firstChars(main, 600)) && exemption(main) == "" {
		return Answer{Status: StatusNotHeld, Text: a.Text, Note: note}
	}
	ex := exemption(main + " " + note)
	if value == nil && (ex != "" || exemptWords(main)) && !reNotApplied.MatchString(main) && !(c.q.Type == TypeCount && zeroSaid(first)) {
		return Answer{Status: StatusExempt, Exemption: ex, Text: a.Text, Note: note}
	}
	if l, _ := value.([]string); c.q.Type == TypeList && reElsewhere.MatchString(main) && (noNames(value) || len(l) == 1 && reElsewhere.MatchString(l[0])) {
		// "please see the attached spreadsheet": the list is elsewhere.
		value = nil
	}
	if value == nil {
		a.Check, a.Why = true, "no "+string(c.q.Type)+" found in the answer's words"
		if c.q.Type == TypeCount && isRange(unmasked(first, masked)) {
			a.Why = "a range, not a figure: " + shorten(first, 60)
			return a // a range answers, though not with a figure
		}
		if c.q.Type == TypeCount || c.q.Type == TypeMoney || c.q.Type == TypeURL || c.q.Type == TypeList && reElsewhere.MatchString(main) {
			// Words without the figure, amount or address asked ("see
			// the attached spreadsheet", "answered by our finance
			// team"): the question is not answered here; the words are
			// kept for a person.
			a.Status = StatusUnanswered
		}
		return a
	}
	a.Value = value
	if vwhy != "" && !a.Check {
		a.Check, a.Why = true, vwhy
	}
	return a
}

func isEmptyList(v any) bool {
	l, ok := v.([]string)
	return ok && len(l) == 0
}

// valueIn tells a sentence that gives a value of type t.
func valueIn(t QuestionType, s string) bool {
	switch t {
	case TypeCount:
		_, ok, _ := countIn(s, nil, nil)
		return ok && !zeroSaid(s)
	case TypeMoney:
		return len(moneyCandidates(s)) > 0
	case TypeURL:
		return reURL.MatchString(s)
	}
	return false
}

// tidyAnswerLines drops what is left of labels and bullets before an
// answer's words; a list keeps its bullets (they tell its items apart).
func tidyAnswerLines(body []string, list bool) []string {
	var out []string
	for _, l := range body {
		if len(out) == 0 && strings.TrimSpace(l) == "" {
			continue
		}
		if !list {
			if t, ok := cutBullet(l); ok {
				l = t
			}
			l = strings.ReplaceAll(l, cellBreak, "\n")
		}
		out = append(out, l)
	}
	if len(out) > 0 && !list {
		out[0] = strings.TrimLeft(out[0], " \t.:;?-–—|=)")
	}
	return trimBlankLines(out)
}

// reParen is a parenthesis, closed or not.
var reParen = regexp.MustCompile(`\(([^()]*)(\)|$)`)

// splitNote takes a caveat in parentheses (closed or not) out of the text:
// four words or more ("(although this is the total number referred ...");
// a shorter one is part of the value ("(Leicestershire)", "(fourteen)").
func splitNote(s string) (main, note string) {
	m := reParen.FindStringSubmatchIndex(s)
	if m == nil {
		return s, ""
	}
	inner := strings.TrimSpace(s[m[2]:m[3]])
	if len(strings.Fields(inner)) < 4 || strings.Contains(inner, "://") {
		return s, ""
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

func firstSentence(s string) string {
	if ss := sentences(s); len(ss) > 0 {
		return ss[0]
	}
	return s
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

// repeatSpans finds where s says three words or more of the question in a
// row: figures there are the question's, not the answer's ("at least one
// shift", "on 31 March 2025", "for more than six weeks").
func repeatSpans(s string, q []string) spans {
	if len(q) < 3 {
		return nil
	}
	toks := words(s, 300)
	var out spans
	for i := 0; i < len(toks); {
		best := 0
		for j := range q {
			n := 0
			for i+n < len(toks) && j+n < len(q) && sameWord(toks[i+n].w, q[j+n]) {
				n++
			}
			best = max(best, n)
		}
		if best >= 3 {
			out = append(out, [2]int{toks[i].start, toks[i+best-1].end})
			i += best
			continue
		}
		i++
	}
	return out
}

// unmasked is s with the spans blanked out.
func unmasked(s string, sp spans) string {
	if len(sp) == 0 {
		return s
	}
	b := []byte(s)
	for _, x := range sp {
		for i := x[0]; i < x[1] && i < len(b); i++ {
			b[i] = ' '
		}
	}
	return strings.TrimSpace(string(b))
}

// reRange is a range or bound, not a figure: "between 10 and 20", "over
// 100", "10-20".
var reRange = regexp.MustCompile(`(?i)\b(fewer than|less than|under|below|up to|at most|more than|over|greater than|in excess of|between|approximately|around|about|roughly)\s+\d|<\s*\d+|>\s*\d+|\b\d+\s*(?:-|–|to)\s*\d+\b`)

func isRange(s string) bool { return reRange.MatchString(s) }

// sameWord compares two words, allowing a different ending ("referral",
// "referrals", "referred").
func sameWord(a, b string) bool {
	if a == b {
		return true
	}
	return len(a) > 3 && len(b) > 3 && a[:3] == b[:3] && stemWord(a) == stemWord(b)
}

// reAsksName is a question asking for an organisation's name.
var reAsksName = regexp.MustCompile(`(?i)\b(which|what) (company|companies|organisation|organization|organisations|firm|firms|contractor|provider|supplier|operator|business)\b|\bname of the (company|organisation|organization|firm|contractor|provider|supplier|operator)\b|\bwho (runs|operates|manages|provides|delivers|supplies)\b`)

// reCompanyName ends a company's name: "Ltd", "plc", "LLP", "Services".
var reCompanyName = regexp.MustCompile(`\b(Ltd|Limited|plc|PLC|LLP|CIC|Inc|Company|Co|Group|Services|Solutions|Management|Partnership|Associates)\.?$`)

// companyIn is the first name in s that a company's ending closes; "" none.
func companyIn(s string) string {
	for _, sent := range sentences(firstChars(s, 2000)) {
		if notHeld(sent) {
			continue
		}
		for _, n := range namesIn(sent, nil) {
			if reCompanyName.MatchString(n) {
				return n
			}
		}
	}
	return ""
}

// textValue is a text answer's value: its first sentence.
func textValue(s string) string {
	s = strings.TrimSpace(s)
	if ss := sentences(s); len(ss) > 0 {
		s = ss[0]
	}
	return strings.TrimSpace(strings.TrimRight(s, ". "))
}

// reNoAddress says there is no address to give.
var reNoAddress = regexp.MustCompile(`(?i)\b(not (been )?published( online| on (our|the) website)?|not (available|accessible) online|no (web ?link|link|url|web address|online version)|(unable|not able) to (provide|give|supply) (you with )?a (link|url|web address)|not on (our|the) website|(do|does) not have (one|such a (policy|plan|document|strategy))|(don'?t|doesn'?t) have (one|such a (policy|plan|document|strategy))|no such (policy|plan|document|strategy))\b`)

// reURL is a web address, with or without its scheme.
var reURL = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"')\]]+|\bwww\.[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/[^\s<>"')\]]*)?`)

// urlIn finds the address an answer gives, joined again where a line
// break (a PDF's, a table cell's) cut it: after a "/" or a "-", or
// before a piece that can only be the rest of an address.
func urlIn(lines []string) string {
	text := strings.Join(lines, "\n")
	loc := reURL.FindStringIndex(text)
	if loc == nil {
		return ""
	}
	u := text[loc[0]:loc[1]]
	rest := text[loc[1]:]
	for n := 0; n < 4; n++ {
		gap := len(rest) - len(strings.TrimLeft(rest, " \n"))
		if gap == 0 || gap > 3 {
			break
		}
		next := strings.TrimLeft(rest, " \n")
		piece := next
		if i := strings.IndexAny(piece, " \n<>\"')]"); i >= 0 {
			piece = piece[:i]
		}
		if !urlGoesOn(u, piece, strings.Contains(rest[:gap], "\n")) {
			break
		}
		u += piece
		rest = next[len(piece):]
	}
	u = strings.TrimRight(u, ".,;:")
	if !strings.HasPrefix(strings.ToLower(u), "http") {
		u = "https://" + u
	}
	return u
}

// urlGoesOn tells a piece after a break that goes on address u.
func urlGoesOn(u, piece string, newline bool) bool {
	if piece == "" || strings.ContainsAny(piece[:1], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") && !strings.Contains(piece, "/") {
		return false
	}
	if strings.HasSuffix(u, "/") || strings.HasSuffix(u, "-") || strings.HasSuffix(u, "_") || strings.HasSuffix(u, ".") {
		return !strings.Contains(piece, "://") && !strings.HasPrefix(piece, "www.")
	}
	// "policies/\nunmanned-aerial-systems-policy/": only an address has
	// slashes, dashes and no capitals like that.
	return newline && (strings.Contains(piece, "/") || strings.HasSuffix(piece, ".pdf") || strings.HasSuffix(piece, ".htm") || strings.HasSuffix(piece, ".html")) && strings.ToLower(piece) == piece
}

// perPeriod reads lines (or one line) that give a figure per period,
// "2023/24 - 37", "2022/23: 41", "2021/22 - 198 / 2022/23 - 230", and
// returns the figure for the period asked, with a note of the choice.
func perPeriod(lines []string, asked period) (value, note string, check bool, ok bool) {
	type entry struct{ label, value string }
	var es []entry
	for _, l := range lines {
		if !strings.Contains(l, "20") && !strings.Contains(l, "19") {
			continue // no year, no period
		}
		ms := rePeriodHead.FindAllStringSubmatchIndex(l, 20)
		for k, m := range ms {
			end := len(l)
			if k+1 < len(ms) {
				end = ms[k+1][0]
			}
			v := strings.TrimSpace(l[m[1]:end])
			v = strings.TrimSpace(strings.TrimRight(v, ";,/ "))
			if v != "" {
				es = append(es, entry{l[m[2]:m[3]], v})
			}
		}
	}
	if len(es) < 2 {
		return "", "", false, false
	}
	labels := make([]string, len(es))
	for i, e := range es {
		labels[i] = e.label
	}
	i, note, check := choosePeriod(labels, asked)
	return es[i].value, note, check, true
}

// rePeriodHead is the period that heads one figure: "2023/24 - ",
// "2022/23: ", "In 2021/22, ", at the start of a line or after "; ", " / ",
// ", ".
var rePeriodHead = regexp.MustCompile(`(?i)(?:^|[;,]\s+|\s/\s+)\s*(?:[-–•*]\s+)?(?:(?:in|for)\s+)?((?:fy\s?)?(?:19|20)\d\d\s*(?:/|-|–)\s*(?:19|20)?\d\d|(?:19|20)\d\d)\s*(?:[-–—:=,]|\s{2,}|\t)\s*`)

// partsTotal reads lines that give a figure per month or quarter ("January
// 1,102", "Q2: 455") and returns the total line's figure, or else the sum
// of the parts with a note that a person should check it.
func partsTotal(lines []string) (value, note string, ok bool) {
	var parts []string
	total, plainTotal, others := "", false, 0
	for _, l := range lines {
		t := strings.TrimSpace(strings.ReplaceAll(l, " | ", "  "))
		if t == "" {
			continue
		}
		i := strings.LastIndexAny(t, " \t:")
		if i <= 0 {
			continue
		}
		label, fig := strings.TrimSpace(strings.TrimRight(t[:i], " :-–=")), strings.TrimSpace(t[i+1:])
		if _, isFig := plainFigure(fig); !isFig {
			continue
		}
		switch {
		case isTotalLabel(label):
			total = fig
			l := strings.ToLower(label)
			plainTotal = l == "total" || l == "totals" || l == "grand total" || l == "overall total" || strings.HasPrefix(l, "total ") && isPeriodLabel(l[6:])
		case isSubPeriodLabel(label):
			parts = append(parts, fig)
		default:
			others++
		}
	}
	if total != "" && plainTotal && len(parts) < 2 && others >= 2 {
		// "Devices £684,200 / Cartridges £212,950 / Training £48,300 /
		// Total £945,450": the total of the parts, as the reply gives it.
		return total, "", true
	}
	if len(parts) < 2 {
		return "", "", false
	}
	if total != "" {
		return total, "", true
	}
	v, ok := sumCells(parts)
	if !ok {
		return "", "", false
	}
	return v, "the sum of " + fmtInt(int64(len(parts))) + " figures given per month or quarter: no total was given", true
}

// noNames tells a list read from words that named nothing: every item
// starts in lower case ("unable to identify which suppliers are"), the
// pieces of a sentence that says the list is not held.
func noNames(v any) bool {
	l, ok := v.([]string)
	if !ok || len(l) == 0 {
		return false
	}
	for _, it := range l {
		if r, _ := utf8.DecodeRuneInString(it); !unicode.IsLower(r) {
			return false
		}
	}
	return true
}

// ownPeriod tells a question that names a time of its own, not the
// campaign's period ("closed since 1 April 2020"): a clause of the
// campaign's period does not answer it.
func ownPeriod(text string, asked period) bool {
	for _, p := range periodsIn(text) {
		if !p.matches(asked) {
			return true
		}
	}
	return false
}

// reElsewhere is an answer that points to where it is given: an
// attachment, a table below, a link.
var reElsewhere = regexp.MustCompile(`(?i)\b(?:see|find|refer to|in|shown in|given in|listed in)\s+(?:the\s+)?(?:attached|enclosed|accompanying|following|table below|spreadsheet|appendix|annex)`)

// reNotApplied is a sentence that names an exemption to say it is not
// used: "section 31(1)(a) is not applied to this part".
var reNotApplied = regexp.MustCompile(`(?i)\b(?:is|are|was|were|has been|have been)\s+not\s+(?:being\s+)?(?:applied|engaged|relied (?:on|upon))|\b(?:does|do)\s+not\s+apply\b|\bno longer applies\b|\bnot (?:to )?apply\b`)
