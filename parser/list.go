package parser

import (
	"regexp"
	"strings"
)

// Reading a list of names: structure first (one per line, bullets,
// semicolons), then commas and "and" only where the pieces are names, the
// text of each name kept exactly as written ("&" stays "&", a name that
// holds "and" stays whole). A lead-in ("The following organisations made
// referrals:", "Agencies used in 2023/24 were") is not an item; nor are the
// question's own words after a name ("Police referrals only" when
// referrals were asked).

// reListLead ends the words that lead in to a list inside a sentence: a
// verb or preposition after which the names come.
var reListLead = regexp.MustCompile(`(?i)^(.{0,160}?)\b(?:(?:were|was|are|is|have been|has been)\s+(?:as follows|namely|received from|made by|bought from|supplied by|provided by|carried out by|delivered by|from|by)|(?:were|was|are|is)|includes?|included|including|comprises?|comprised|consists? of|namely|as follows|(?:bought|purchased|obtained|received|commissioned|contracted|supplied|provided|delivered|carried out|run|made|funded|used|employed|engaged)\s+(?:from|by|with|through)|from|by)\s*:?\s+`)

// reListLeadColon is a lead-in ending in a colon: "The following suppliers
// were used:", "Contractors:".
var reListLeadColon = regexp.MustCompile(`^[^:]{0,160}:\s*`)

// listIn reads the names an answer lists. ok is false when it lists none
// and does not say there are none either.
func listIn(lines []string, qstems map[string]bool, mode listMode) (items []string, ok bool) {
	var ls []string
	for _, l := range lines {
		for _, p := range strings.Split(l, cellBreak) {
			if strings.TrimSpace(p) != "" {
				ls = append(ls, p)
			}
		}
	}
	if len(ls) == 0 {
		return nil, false
	}
	// A lead-in of several lines, a sentence wrapped ("The service
	// delivers most programmes / itself, with two partners:"), then one
	// name a line.
	for i := len(ls) - 2; i >= 1; i-- {
		if _, b := cutBullet(ls[i]); b {
			continue // "- Closed:": a group's head among the bullets
		}
		if strings.HasSuffix(strings.TrimSpace(ls[i]), ":") {
			if oneItemPerLine(ls[i+1:]) {
				ls = ls[i:]
			}
			break
		}
	}
	// A lead-in line: "The following agencies supplied staff:", "5.
	// Contractors:", a sentence before bullets.
	if len(ls) > 1 {
		first := strings.TrimSpace(ls[0])
		_, firstBullet := cutBullet(ls[0])
		_, secondBullet := cutBullet(ls[1])
		secondBullet = secondBullet || strings.Contains(ls[1], " | ") && !strings.Contains(ls[0], " | ")
		if strings.HasSuffix(first, ":") || !firstBullet && secondBullet && (strings.HasSuffix(first, ".") || len(strings.Fields(first)) > 5) {
			ls = ls[1:]
		} else if i := strings.Index(first, ":"); i > 0 && !firstBullet && i < 120 && !strings.Contains(first[i:], "//") {
			ls[0] = first[i+1:]
		}
	}
	if len(ls) == 1 || !oneItemPerLine(ls) {
		text := strings.Join(trimAll(ls), " ")
		if zeroSaid(text) || noneUsed(firstSentence(text)) || notApplicable(text) {
			return []string{}, true
		}
		return listItemsIn(text, qstems, mode), true
	}
	bullets := 0
	for _, l := range ls {
		if _, b := cutBullet(l); b {
			bullets++
		}
	}
	for _, l := range ls {
		t, isBullet := cutBullet(l)
		if bullets >= 2 && !isBullet {
			continue // a sentence after the bullets explains them
		}
		if isBullet && strings.HasSuffix(strings.TrimSpace(t), ":") {
			continue // "- Transferred to community management:": the head of the bullets under it
		}
		if cells := strings.Split(t, " | "); len(cells) > 1 {
			// A table's row: the name is its first cell; a total is no name.
			if t = cells[0]; isTotalLabel(t) {
				continue
			}
		}
		if it := cleanItem(t, qstems); it != "" {
			items = append(items, it)
		}
	}
	return items, len(items) > 0
}

// reNoneUsed says a list is empty: "We do not use contractors", "The
// council has not used any agencies", "No organisations".
var reNoneUsed = regexp.MustCompile(`(?i)\b((?:do|does|did|have|has|had)(?: not|n't| never)\s+(?:use|used|employ|employed|engage|engaged|commission|commissioned|contract|contracted|work with|worked with|fund|funded|make use of|made use of|receive|received|pay|paid|have|had|appoint|appointed)\b|there (?:are|were|is|was) (?:no|none)\b)`)

// noneUsed tells a sentence saying a list is empty.
func noneUsed(s string) bool { return kNoneUsed.match(s, asciiLower(s)) }

var kNoneUsed = newKeyed("none-used", reNoneUsed, "not", "n't", "never", "there are no", "there were no", "there is no", "there was no", "there are none", "there were none", "there is none", "there was none")

func trimAll(ls []string) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = strings.TrimSpace(l)
	}
	return out
}

// oneItemPerLine tells lines that are one item each (bullets, or short
// lines that do not wrap a sentence) from a paragraph wrapped over lines.
func oneItemPerLine(ls []string) bool {
	bullets, rows := 0, 0
	for _, l := range ls {
		if _, b := cutBullet(l); b {
			bullets++
		}
		if strings.Contains(l, " | ") {
			rows++
		}
	}
	if bullets >= len(ls)-1 && bullets > 0 || rows >= len(ls)-1 && rows > 0 {
		return true // bullets, or a table's rows
	}
	for i, l := range ls {
		t := strings.TrimSpace(l)
		if len(strings.Fields(t)) > 10 || strings.HasSuffix(t, ",") || strings.HasSuffix(t, " and") || strings.HasSuffix(t, "&") {
			return false
		}
		if i < len(ls)-1 && (strings.Contains(t, ", ") || strings.Contains(t, "; ") || stopWords[strings.ToLower(lastWordOf(t))]) {
			return false // "Fenland Constabulary, National" / "Probation Service and MARAC": a sentence wrapped
		}
		if i > 0 {
			if c := t[0]; c >= 'a' && c <= 'z' || c == '&' || c == '(' {
				return false // the line above goes on
			}
		}
	}
	return true
}

// dropDescription takes off a closing parenthesis that describes the item
// rather than names it: "Frequent outpatient attenders (more than 3
// visits a week)", "Glyphomax 360 (Council team)". One of names only
// stays: "Signpost BSL (Yorkshire)", "St Columba's (Kingfisher Care Group)".
func dropDescription(p string) string {
	if !strings.HasSuffix(p, ")") {
		return p
	}
	open := strings.LastIndexByte(p, '(')
	if open <= 0 {
		return p
	}
	inner := p[open+1 : len(p)-1]
	for _, w := range strings.Fields(inner) {
		switch w {
		case "of", "and", "the", "for", "&", "de", "upon", "in", "on":
			continue
		}
		if c := w[0]; c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			return strings.TrimSpace(p[:open])
		}
	}
	return p
}

// withDescriptor gives a name the lower-case words that end its piece of
// a list, one or two and no clause ("Canal Road cycleway", "Hallam Street
// protected lane"), as part of it; "Police referrals only", "X, which is
// run by", "Y for legal advice" keep the name alone.
func withDescriptor(piece, name string) string {
	p := strings.TrimSpace(piece)
	if !strings.HasPrefix(p, name) {
		return name
	}
	rest := strings.TrimSpace(strings.TrimRight(p[len(name):], ".;:, "))
	f := strings.Fields(rest)
	if len(f) == 0 || len(f) > 2 {
		return name
	}
	for _, w := range f {
		if w[0] < 'a' || w[0] > 'z' || strings.ContainsAny(w, "0123456789()") {
			return name
		}
		switch w {
		case "only", "alone", "and", "or", "by", "for", "of", "in", "on", "at", "to", "is", "was", "were", "are", "which", "who", "from", "with", "ltd", "also":
			return name
		}
	}
	return name + " " + strings.Join(f, " ")
}

// notApplicable tells an answer that opens "Not applicable" or "N/A": no
// items, as the answer it points to says ("Not applicable - see Q2").
func notApplicable(s string) bool {
	l := strings.ToLower(strings.TrimLeft(s, " -–•*"))
	return strings.HasPrefix(l, "not applicable") || strings.HasPrefix(l, "n/a") || l == "na" || strings.HasPrefix(l, "na ") || strings.HasPrefix(l, "na.")
}

// isFigureItem tells an item that is an amount or a figure ("£473",
// "1,204"), no name.
func isFigureItem(s string) bool {
	t := strings.TrimSpace(s)
	if !strings.ContainsAny(t, "0123456789") {
		return false
	}
	if _, ok := plainFigure(strings.TrimRight(t, ".,;")); ok {
		return true
	}
	return len(moneyCandidates(t)) > 0 && len(strings.Fields(t)) <= 2
}

// namesIn reads the names a paragraph lists: split at semicolons and
// commas, then at the "and"s between names; from each piece the name it
// holds, the words leading to it left out.
func namesIn(text string, qstems map[string]bool) []string {
	return listItemsIn(text, qstems, listNames)
}

// phraseLead drops the words that lead to a list of phrases: "Parking is
// free for Blue Badge holders" is "Blue Badge holders".
func phraseLead(p string) string {
	f := strings.Fields(p)
	for i := min(len(f)-2, 6); i >= 1; i-- {
		switch strings.ToLower(strings.TrimRight(f[i], ":")) {
		case "for", "to", "include", "includes", "including", "are", "were", "is":
			return strings.Join(f[i+1:], " ")
		}
	}
	return p
}

// lastAndSplit splits the last of a list's comma pieces at its "and" when
// the others hold none ("A, B, C and D"): the and ends the list there.
func lastAndSplit(pieces []string) []string {
	if len(pieces) < 2 {
		return pieces
	}
	last := pieces[len(pieces)-1]
	for _, p := range pieces[:len(pieces)-1] {
		if strings.Contains(p, " and ") {
			return pieces
		}
	}
	if i := strings.LastIndex(last, " and "); i > 0 {
		return append(append([]string{}, pieces[:len(pieces)-1]...), last[:i], last[i+5:])
	}
	return pieces
}

// listMode is what a list question asks for: names (of organisations,
// products, places), or phrases ("Which groups of patients ...": "parents
// of babies in SCBU", each as written).
type listMode int

const (
	listNames listMode = iota
	listPhrases
)

// listModeOf tells what a list question asks for by its words: names,
// unless it asks which groups, types or kinds.
func listModeOf(q Question) listMode {
	if q.Type == TypeList && reAsksPhrases.MatchString(q.Text) && !reAsksNames.MatchString(q.Text) {
		return listPhrases
	}
	return listNames
}

var (
	reAsksPhrases = regexp.MustCompile(`(?i)\b(groups?|types?|kinds?|categories|category|reasons?|criteria|circumstances|purposes?|ways?|areas?|sites?|locations?)\b`)
	reAsksNames   = regexp.MustCompile(`(?i)\bnames?\b|\b(compan(y|ies)|organi[sz]ations?|providers?|suppliers?|contractors?|firms?|charit(y|ies)|agenc(y|ies)|products?|brands?)\b`)
)

// listItemsIn is namesIn in a mode.
func listItemsIn(text string, qstems map[string]bool, mode listMode) []string {
	text = strings.TrimSpace(text)
	if m := reListLeadColon.FindStringIndex(text); m != nil && m[1] < len(text) && !strings.Contains(text[:m[1]], "//") {
		text = text[m[1]:]
	}
	var pieces []string
	semiList := false // a list whose items the semicolons end
	var semiItems, commaPieces []string
	for _, sent := range sentences(text) {
		if exemption(sent) != "" || notHeld(sent) {
			continue // a sentence about the law or what is not held names no one asked about
		}
		semis := splitOutside(sent, ';')
		if len(semis) >= 3 {
			semiList = true
			for _, semi := range semis {
				semiItems = append(semiItems, strings.ReplaceAll(semi, serialAnd, " and "))
			}
		}
		for _, semi := range semis {
			commas := joinSerialNames(splitOutside(semi, ','))
			commaPieces = append(commaPieces, commas...)
			for _, c := range commas {
				if len(semis) > 1 && len(commas) == 1 {
					// "A; B; Vale Cars and Minibuses": the list says
					// where its items end; an "and" is inside one.
					pieces = append(pieces, strings.ReplaceAll(c, serialAnd, " and "))
					continue
				}
				for _, p := range splitAnds(strings.TrimSpace(c), len(commas) > 1) {
					pieces = append(pieces, strings.ReplaceAll(p, serialAnd, " and "))
				}
			}
		}
	}
	var named, plain, whole []string
	var wholeFrom []string // only where the items as written can be the answer
	switch {
	case semiList:
		wholeFrom = semiItems
	case mode == listPhrases:
		wholeFrom = lastAndSplit(commaPieces)
	}
	for k, p := range wholeFrom {
		p = strings.TrimSpace(strings.ReplaceAll(p, serialAnd, " and "))
		for _, w := range []string{"and ", "or ", "for ", "to ", "by "} {
			p = strings.TrimSpace(strings.TrimPrefix(p, w)) // "and for volunteers"
		}
		stems := qstems
		if mode == listPhrases {
			stems = nil // "cancer patients": the question's word is the item's
			if k == 0 {
				p = phraseLead(p)
			}
		}
		if it := cleanItem(leadCut(p), stems); it != "" {
			whole = append(whole, it)
		}
	}
	for i, p := range pieces {
		lp := strings.ToLower(strings.TrimSpace(p))
		if (strings.HasPrefix(lp, "which ") || strings.HasPrefix(lp, "who ")) && reRunBy.MatchString(lp) && len(named) > 0 && i > 0 {
			named = named[:len(named)-1] // "X, which is run by Y": Y
		}
		if i > 0 && reAppositive.MatchString(strings.TrimSpace(p)) && !reRunBy.MatchString(lp) {
			continue // "X Ltd, a company jointly owned by the Council, ...": says what X is
		}
		if n := nameIn(p); n != "" {
			n = withDescriptor(p, n)
			if it := cleanItem(n, qstems); it != "" && !isFigureItem(it) {
				named = append(named, it)
			}
			continue
		}
		if it := cleanItem(leadCut(p), qstems); it != "" && len(strings.Fields(it)) <= 6 {
			plain = append(plain, it)
		}
	}
	if mode == listPhrases && len(whole) > 0 {
		return whole
	}
	if len(named) > 0 && semiList && len(whole) >= 3 {
		// "Blue Badge holders; parents of babies on the neonatal unit;
		// patients attending for chemotherapy": items that are not names,
		// some holding one; each as written.
		return whole
	}
	if len(named) > 0 {
		return named
	}
	if exemption(text) != "" {
		return nil // no names, and a reason they are withheld
	}
	return plain
}

var reRunBy = regexp.MustCompile(`^(which|who) (is|are|was|were) (run|operated|managed|owned|provided|delivered) by\b`)

// reSerialTail is the end of a name's "of" phrase a comma goes on ("Office
// of the Police"), and reSerialHead the rest after the comma ("Fire and
// Crime Commissioner for Wessex"): "Office of the Police, Fire and Crime
// Commissioner for Wessex" is one name.
var (
	reSerialTail = regexp.MustCompile(`\b(?:of|for)\s+(?:the\s+)?[A-Z][\w'’-]*$`)
	reSerialHead = regexp.MustCompile(`^\s*[A-Z][\w'’-]*\s+(?:and|&)\s+[A-Z][\w'’-]*\s+[A-Z]`)
)

// serialAnd stands for the "and" of a serial inside a name until the
// pieces are split at "and"s.
const serialAnd = " \x01and\x01 "

// joinSerialNames joins back the comma pieces of a name written with a
// serial comma inside its "of" phrase.
func joinSerialNames(pieces []string) []string {
	out := pieces[:0:0]
	for i := 0; i < len(pieces); i++ {
		p := pieces[i]
		for i+1 < len(pieces) && reSerialTail.MatchString(strings.TrimSpace(p)) && reSerialHead.MatchString(pieces[i+1]) {
			p += "," + strings.Replace(pieces[i+1], " and ", serialAnd, 1)
			i++
		}
		out = append(out, p)
	}
	return out
}

// splitOutside splits s at sep outside parentheses.
func splitOutside(s string, sep rune) []string {
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
		case sep:
			if sep == ',' && i > 0 && i+1 < len(s) && isDigitByte(s[i-1]) && isDigitByte(s[i+1]) {
				continue // "£473,910": a figure's thousands
			}
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + len(string(sep))
			}
		}
	}
	return append(out, s[start:])
}

// leadCut drops the words that lead in to a name: "In 2024/25 we bought
// from Hollis & Barr Ltd" is "Hollis & Barr Ltd".
func leadCut(p string) string {
	p = strings.TrimSpace(p)
	if m := reListLead.FindStringSubmatchIndex(p); m != nil && m[1] < len(p) {
		return p[m[1]:]
	}
	return p
}

// nameIn returns the name a piece of a list holds: its capitalised run of
// words (joined by "of", "the", "and", "&", "for", "-" and the like, a
// parenthesis kept), after the words leading in to it; "" when it holds
// none. A capital that only starts a sentence ("Enforcement patrols were
// ...") is no name.
func nameIn(p string) string {
	p = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(p), ".;:"))
	if p == "" {
		return ""
	}
	toks := nameTokens(p)
	type run struct{ a, b int } // token indexes [a, b)
	var runs []run
	for i := 0; i < len(toks); {
		if !toks[i].cap {
			i++
			continue
		}
		j := i + 1
		for j < len(toks) {
			t := toks[j]
			if t.cap || t.paren {
				j++
				continue
			}
			if t.join && j+1 < len(toks) && (toks[j+1].cap || toks[j+1].join && j+2 < len(toks) && toks[j+2].cap) {
				j++
				continue
			}
			break
		}
		runs = append(runs, run{i, j})
		i = j
	}
	var best *run
	for k := range runs {
		r := runs[k]
		first := toks[r.a]
		if r.b-r.a == 1 && r.a == 0 && len(toks) > 1 && !toks[1].cap && !first.acronym {
			continue // "Enforcement patrols were ...": a sentence's capital
		}
		if isMonthOrDay(first.text) && r.b-r.a <= 2 {
			continue
		}
		if r.b-r.a == 1 && isMinorWord(strings.ToLower(first.text)) {
			continue // "The", "In" alone
		}
		best = &runs[k]
		if r.a > 0 {
			break // the first run after words leading in to it
		}
	}
	if best == nil {
		return ""
	}
	a := best.a
	if a > 0 && strings.EqualFold(toks[a-1].text, "the") {
		a-- // "the National Probation Service": as written
	}
	out := p[toks[a].start:toks[best.b-1].end]
	return strings.TrimSpace(out)
}

type nameTok struct {
	text       string
	start, end int
	cap        bool // starts with a capital or a digit inside a name
	join       bool // "of", "the", "and", "&", "for", "-", "de", "upon", "in", "on"
	paren      bool // a parenthesis, kept with the name
	acronym    bool
}

func nameTokens(p string) []nameTok {
	var out []nameTok
	i := 0
	for i < len(p) {
		c := p[i]
		if c == ' ' || c == '\t' || c == ',' {
			i++
			continue
		}
		if c == '(' {
			end := len(p) // an unclosed parenthesis runs to the end
			inner := p[i+1:]
			if j := strings.IndexByte(p[i:], ')'); j >= 0 {
				end = i + j + 1
				inner = p[i+1 : i+j]
			}
			// "(Cumbria)", "(Dial-a-Ride)", "(BSPP)" for "Borsetshire
			// Stalking Perpetrator Programme": part of the name; "(a
			// council-owned company)", "(spoken languages)", "(BSL)"
			// after "Deaf Access Partners": a description, not.
			keep := len(strings.Fields(inner)) <= 3 && inner != "" && (inner[0] >= 'A' && inner[0] <= 'Z')
			if keep && isAcronym(inner) {
				keep = strings.HasSuffix(initialsOf(out), inner) // the name's last words' initials
			}
			out = append(out, nameTok{text: p[i:end], start: i, end: end, paren: keep, join: false})
			i = end
			continue
		}
		j := i
		for j < len(p) && p[j] != ' ' && p[j] != '\t' && p[j] != '(' && p[j] != ',' {
			j++
		}
		w := p[i:j]
		lw := strings.ToLower(strings.Trim(w, ".'’"))
		t := nameTok{text: w, start: i, end: j}
		switch {
		case w == "&" || w == "-" || w == "–" || lw == "and" || lw == "of" || lw == "the" || lw == "for" || lw == "de" || lw == "upon" || lw == "on" || lw == "in" || lw == "at" || lw == "y" || lw == "a":
			t.join = true
			t.cap = w != "" && w[0] >= 'A' && w[0] <= 'Z' && lw != "and" && lw != "of" && lw != "for"
		default:
			f := w[0]
			t.cap = f >= 'A' && f <= 'Z' || f >= 0xC0 || f >= '0' && f <= '9' && i > 0 && len(out) > 0 && out[len(out)-1].cap
			if f == '\'' || f == '"' || f == 0xE2 {
				if r := strings.TrimLeft(w, "'\"‘“"); r != "" && r[0] >= 'A' && r[0] <= 'Z' {
					t.cap = true
				}
			}
			t.acronym = isAcronym(strings.Trim(w, ".,;:"))
		}
		out = append(out, t)
		i = j
	}
	// A trailing "and"/"of" joins nothing.
	return out
}

// initialsOf is the initials of the capitalised words of a name so far
// ("Greymoor Community Transport Association" is "GCTA").
func initialsOf(toks []nameTok) string {
	var b strings.Builder
	for _, t := range toks {
		if t.cap && !t.join && t.text != "" && t.text[0] >= 'A' && t.text[0] <= 'Z' {
			b.WriteByte(t.text[0])
		}
	}
	return b.String()
}

func isMonthOrDay(w string) bool {
	l := strings.ToLower(strings.Trim(w, ".,"))
	if _, ok := months[l]; ok && len(l) > 3 {
		return true
	}
	switch l {
	case "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday":
		return true
	}
	return false
}

// splitAnds splits a piece of a list at each " and " that separates two
// names, keeping the "and" inside a name: "Tamar Aerial Systems and Kestrel
// and Wren Aviation" is two names, "Kestrel and Wren Aviation" one, "Office
// of the Police and Crime Commissioner" one. "&" never separates.
// afterCommas tells a piece of a list written with commas, where the last
// "and" of "A, B and C" separates two names of one word each.
func splitAnds(s string, afterCommas bool) []string {
	parts := splitWord(s, " and ")
	if len(parts) == 1 {
		return parts
	}
	// One "and" of a piece separates two names at most: "..., the
	// National Probation Service and Eastwater Children and Family
	// Services" is two, the second "and" inside a name. It is the one
	// before a word that can only start a name (an acronym, "the", a
	// possessive: "Mental Health Liaison and Diversion and HM Prison and
	// Probation Service"), else the first that does not follow a lone word
	// ("Kestrel and Wren Aviation and Fenland Batteries").
	at := -1
	for k := 1; k < len(parts); k++ {
		if strongStart(parts[k]) && trailingCapRun(parts[k-1]) > 0 && !ofTail(strings.Join(parts[:k], " and ")) {
			at = k
			break
		}
	}
	if at < 0 {
		for k := 1; k < len(parts); k++ {
			if separateNames(strings.Join(parts[:k], " and "), parts[k], afterCommas && k == len(parts)-1) {
				at = k
				break
			}
		}
	}
	if at < 0 {
		return []string{s}
	}
	return []string{strings.Join(parts[:at], " and "), strings.Join(parts[at:], " and ")}
}

// ofTail tells a name whose last words are "of" or "for" and one word:
// "Ministry of Housing and ...", "Office of the Police and ...", where the
// "and" joins that word to what follows.
func ofTail(l string) bool {
	lower := " " + strings.ToLower(l) + " "
	if k := max(strings.LastIndex(lower, " of "), strings.LastIndex(lower, " for ")); k >= 0 {
		tail := strings.Fields(strings.TrimPrefix(strings.TrimSpace(lower[k+4:]), "the "))
		return len(tail) <= 1
	}
	return false
}

// strongStart tells words that can only begin a name of their own: an
// acronym ("HM Prison"), "the", a possessive ("Children's Social Care").
func strongStart(r string) bool {
	w := firstWordOf(strings.TrimSpace(r))
	return isAcronym(strings.Trim(w, ".,")) || w == "the" || possessive(w)
}

// splitWord splits s at sep (case-insensitively) outside parentheses.
func splitWord(s, sep string) []string {
	var out []string
	low := asciiLower(s)
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		}
		if depth == 0 && strings.HasPrefix(low[i:], sep) {
			out = append(out, s[start:i])
			start = i + len(sep)
			i += len(sep) - 1
		}
	}
	return append(out, s[start:])
}

// separateNames tells whether "l and r" names two things.
func separateNames(l, r string, lastOfCommas bool) bool {
	l, r = strings.TrimSpace(l), strings.TrimSpace(r)
	if l == "" || r == "" || strings.Count(l, "(") != strings.Count(l, ")") {
		return false
	}
	if c := r[0]; c >= 'a' && c <= 'z' && !strings.HasPrefix(r, "the ") {
		return true // "..., and enforcement patrols are provided by ...": a clause
	}
	lw := trailingCapRun(l)
	rw := leadingCapRun(r)
	if lw == 0 || rw == 0 {
		return false
	}
	if strings.HasPrefix(strings.ToLower(r), "the ") {
		return true
	}
	if ofTail(l) {
		return false
	}
	if possessive(firstWordOf(r)) {
		return true // "Probation and Children's Social Care": a name of its own
	}
	if lw == 1 && !isAcronym(lastWordOf(l)) {
		// "Kestrel and Wren Aviation", "Drug and Alcohol Service": one
		// word and what follows make one name; in "A, B and C" two
		// names of a word each.
		return rw == 1 && len(strings.Fields(strings.TrimSpace(r))) == 1
	}
	return true
}

func firstWordOf(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// possessive tells a word in the possessive: "Children's", "Women’s".
func possessive(w string) bool {
	w = strings.TrimRight(w, ".,;:")
	return len(w) > 3 && (strings.HasSuffix(w, "'s") || strings.HasSuffix(w, "’s") || strings.HasSuffix(w, "s'") || strings.HasSuffix(w, "s’"))
}

func lastWordOf(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return strings.Trim(f[len(f)-1], ".,;:")
}

// trailingCapRun counts the capitalised words at the end of s (joined by
// "of", "the", "&").
func trailingCapRun(s string) int {
	f := strings.Fields(s)
	n := 0
	paren := 0
	for i := len(f) - 1; i >= 0; i-- {
		// A parenthesis at the end ("Ltd (spoken languages)") is no
		// word of the name to count.
		if strings.HasSuffix(f[i], ")") {
			paren++
		}
		if paren > 0 {
			if strings.HasPrefix(f[i], "(") {
				paren--
			}
			continue
		}
		w := strings.Trim(f[i], ".,;:()")
		if w == "" {
			continue
		}
		if w == "The" || w == "A" || w == "An" {
			continue // an article is no word of the name's own
		}
		if c := w[0]; c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0xC0 {
			n++
			continue
		}
		if w == "&" || w == "of" || w == "the" || w == "for" {
			continue
		}
		break
	}
	return n
}

func leadingCapRun(s string) int {
	f := strings.Fields(s)
	n := 0
	for _, w := range f {
		w = strings.Trim(w, ".,;:()")
		if w == "" {
			continue
		}
		if c := w[0]; c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0xC0 {
			n++
			continue
		}
		if w == "&" || w == "of" || w == "the" || w == "for" {
			continue
		}
		break
	}
	return n
}

func isMinorWord(w string) bool {
	switch w {
	case "the", "of", "for", "and", "&", "a", "an", "in", "on", "to", "at", "by", "from", "with":
		return true
	}
	return false
}

func isAcronym(s string) bool {
	s = strings.TrimSuffix(strings.TrimSuffix(s, "'s"), "’s")
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

// cleanItem tidies one item: no bullet, no "and " before it, no full stop
// after it, and no words of the question trailing a name ("Police
// referrals only" when referrals were asked is "Police").
// reItemAmount is an amount after a list item's name: " (£287,000)",
// " – £1.2m", ": £498,000".
var reItemAmount = regexp.MustCompile(`(?i)\s*(?:\(\s*£[\d,.]+\s*(?:k|m|bn|million)?\s*\)|(?:\s[-–—]|:)\s*£[\d,.]+\s*(?:k|m|bn|million)?)$`)

// reAppositive is a piece that says what the name before it is: "a
// company jointly owned by the Council", "the council's own trading arm".
var reAppositive = regexp.MustCompile(`^(?:a|an|the|which|who|whose)\s+[a-z]`)

func cleanItem(p string, qstems map[string]bool) string {
	p = strings.TrimSpace(p)
	p, _ = cutBullet(p)
	p = strings.TrimSpace(p)
	for _, pre := range []string{"and ", "And ", "& "} {
		p = strings.TrimPrefix(p, pre)
	}
	// "the Glenardoch Arms Hotel" in a sentence: the article is the
	// sentence's; "The Old Mill Guest House" written so is the name's.
	for _, pre := range []string{"the ", "a ", "an "} {
		if r := strings.TrimPrefix(p, pre); r != p && r != "" && r[0] >= 'A' && r[0] <= 'Z' {
			p = r
		}
	}
	p = strings.TrimSpace(strings.TrimRight(p, ".;:, "))
	if m := reItemAmount.FindStringIndex(p); m != nil && m[0] > 0 {
		p = strings.TrimSpace(p[:m[0]]) // "Tessellate Digital (£287,000)": the name, not its spend
	}
	p = dropDescription(p)
	f := strings.Fields(p)
	for len(f) > 1 {
		w := strings.ToLower(strings.Trim(f[len(f)-1], ".,;:"))
		if w == "only" || w == "alone" || qstems[stemWord(w)] && f[len(f)-1][0] >= 'a' && f[len(f)-1][0] <= 'z' {
			f = f[:len(f)-1]
			continue
		}
		break
	}
	if len(f) < len(strings.Fields(p)) {
		p = strings.Join(f, " ")
	}
	return strings.TrimSpace(p)
}
