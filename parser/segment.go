package parser

import (
	"regexp"
	"slices"
	"strings"

	"github.com/foiwatch/foiwatch/parser/extract"
)

// Segment: the second stage. The cleaned text of each document (the body,
// each attachment) is cut into candidate answers ("units"), each the words
// that restate or label a question, if any, and the lines that may answer
// it, with the number the reply gave it:
//
//   - numbered items ("5.", "5)", "(5)", "Q5", "Question 5:", "5 –"), in
//     runs of rising numbers (a quoted request and the answers after it are
//     two runs), and lettered ones ("(a)", "b)") in runs from "a";
//   - table rows (table.go), whose first cell may carry an item's number;
//   - unnumbered questions restated on a line of their own, each followed by
//     its answer;
//   - labelled lines "Label: value" (and "Label:" with the value below);
//   - a run of bullets or short lines as many as the questions, which can
//     only answer them in order.
//
// Within an item, the answer starts after an answer label ("Answer:",
// "Response", "A5."), else after the restated question, else at the item's
// number; a label that names another question, or an unnumbered one, ends
// it (class: "Evaluation link: not held" between items 8 and 9).

// pline is one line of a document, with what segmenting needs to know.
type pline struct {
	doc      int
	text     string   // as written (a table row: its cells joined by " | ")
	cells    []string // a table row's label and value cells
	table    int      // 1 + the number of its table; 0 none
	note     string   // a table row: how its value cell was chosen
	check    bool     // ... and whether that was a guess
	blank    bool
	lab      lineLabel
	stop     bool // answers end here: a sign-off, boilerplate
	anchor   bool // introduces the answers: "our response is as follows"
	footnote bool // "* Where a figure is fewer than five ..."
	ans      int  // where an answer label ends in text; -1 none
	summary  bool // a table's column summed up by the reader (tline.summary)
}

// reAnchor introduces the answers.
var reAnchor = []*regexp.Regexp{
	regexp.MustCompile(`(?i)(can advise (you )?(of )?|(can|would like to|am able to|are able to|pleased to) (confirm|advise|provide|inform you of) )the following`),
	regexp.MustCompile(`(?i)((response|answers?|reply|information|responses)( to (your|each|the) (request|questions?|points?|parts?))?( of your request)? (can be found|is|are) (set out |provided |detailed |given |shown |listed |included )?|(our|the|my) (response|answers?|reply|responses)( to (your|each|the|each part of your) (request|questions?|points?))? (is|are) (set out |given )?|the information (you )?requested is (set out )?)(below|as follows|overleaf)`),
	regexp.MustCompile(`(?i)please (see|find) (below )?(our|the|my) (response|answers?|reply|responses)`),
	regexp.MustCompile(`(?i)respond(ed)? to each (of your )?(questions?|points?|parts?) (in turn|below)`),
	regexp.MustCompile(`(?i)(answers? (is|are)|response (is|are)|(we|i) (can )?respond) as follows`),
	regexp.MustCompile(`(?i)(is below|are below|below\.|as follows[.:]?)\s*$`),
}

// anchorLine is reAnchor with the words every one of its phrases holds.
var anchorLines = []*keyed{
	newKeyed("anchor-following", reAnchor[0], "the following"),
	newKeyed("anchor-below", reAnchor[1], "below", "as follows", "overleaf"),
	newKeyed("anchor-please", reAnchor[2], "please see", "please find"),
	newKeyed("anchor-each", reAnchor[3], "in turn", "below"),
	newKeyed("anchor-follows", reAnchor[4], "as follows"),
	newKeyed("anchor-end", reAnchor[5], "below", "as follows"),
}

// anchorKeys are the keys of all anchorLines: most lines hold none.
var anchorKeys = func() *keySet {
	var all []string
	for _, k := range anchorLines {
		all = append(all, k.keys...)
	}
	return newKeySet(all)
}()

// isAnchorLower tells a line that introduces the answers: a phrase of
// reAnchor, or a heading "Our response", "Responses", "Answers" alone on its
// line. lower is t in lower case.
func isAnchorLower(t, lower string) bool {
	switch strings.TrimRight(lower, " :") {
	case "our response", "our responses", "responses", "answers", "our answers", "response", "answer", "our reply", "answers are":
		return true
	}
	if !anchorKeys.holds(lower) {
		return false
	}
	for _, k := range anchorLines {
		if k.match(t, lower) {
			return true
		}
	}
	return false
}

// reFootnote is a footnote: a mark and a sentence ("* Where a figure is
// fewer than five ...", "Note: ...", "1 Figures are rounded").
var reFootnote = regexp.MustCompile(`^\s*(?:\*{1,3}|†|‡|\(\*\)|note\s*\d?\s*:|notes?\s*:|nb\s*:)\s*\S`)

// plines prepares the lines of every document.
func plines(docs []string, asked period) []pline {
	n := 0
	for _, d := range docs {
		n += min(strings.Count(d, "\n")+2, maxLines+1)
	}
	out := make([]pline, 0, n)
	for d, doc := range docs {
		raw := strings.Split(doc, "\n")
		if len(raw) > maxLines {
			raw = raw[:maxLines]
		}
		for _, t := range tabulate(raw, asked) {
			if t.text == extract.PageBreak {
				t.text = "" // a blank line from here on
			}
			l := pline{doc: d, text: t.text, cells: t.cells, table: t.table, note: t.note, check: t.check, ans: -1, summary: t.summary}
			head := t.text
			if t.cells != nil {
				head = t.cells[0]
			}
			l.blank = strings.TrimSpace(head) == "" && t.cells == nil
			if !l.blank {
				l.lab = itemLabel(head)
				trim := strings.TrimSpace(head)
				if t.cells == nil {
					lower := asciiLower(firstChars(trim, 300))
					l.stop = isSignOff(trim) || kBoilerplate.match(firstChars(trim, 200), firstChars(lower, 200))
					l.anchor = l.lab.num == 0 && !l.lab.bullet && len(trim) < 300 && isAnchorLower(trim, lower)
				}
				l.footnote = t.cells == nil && isFootnote(trim)
				if t.cells == nil {
					l.ans = answerLabel(t.text)
				}
			}
			out = append(out, l)
		}
		out = append(out, pline{doc: d, blank: true, stop: true, ans: -1}) // documents end answers
	}
	return out
}

// maxLines bounds the lines read of one document: a letter has a few
// hundred, a long table a few thousand.
const maxLines = 8000

// isFootnote tells a footnote from a bulleted answer: a mark and a sentence
// of six words or more, or "Note:".
func isFootnote(s string) bool {
	if !reFootnote.MatchString(s) {
		return false
	}
	if strings.HasPrefix(strings.ToLower(s), "note") || strings.HasPrefix(strings.ToLower(s), "nb") {
		return true
	}
	t := strings.TrimLeft(s, "*†‡() ")
	return len(strings.Fields(t)) >= 6 && strings.ContainsAny(t[len(t)-1:], ".)")
}

// source is how a unit was found.
type source uint8

const (
	srcItem     source = iota // a numbered or lettered item
	srcRow                    // a table row
	srcRestated               // an unnumbered question restated on its own line
	srcLabelled               // "Label: value"
	srcOrder                  // a run as many as the questions, in order
	srcProse                  // a sentence that says a question's words and holds a value
)

// unit is one candidate answer.
type unit struct {
	src    source
	group  int      // units of one group are aligned together
	num    int      // the number the reply gives it; 0 none
	letter bool     // num is a letter's place
	label  string   // the words restating or labelling a question
	body   []string // the answer's lines as written
	line   int      // its first line
	end    int      // the line after its span
	nums   []int    // more numbers it answers ("Questions 2 and 3")
	sub    bool     // a part the reply numbered itself ("1a."): its numbers are not the campaign's
	after  bool     // it comes after a line introducing the answers
	note   string   // a choice made (a table's period column)
	check  bool     // ... that a person should look at
	// summary: a table's column summed up (pline.summary), which answers
	// a question of the whole better than any one row.
	summary bool
}

// segmenter holds one reply's lines and the units found in them.
type segmenter struct {
	hasUnnumbered bool // the campaign has a question without a number
	endsAt        map[int]bool
	lines         []pline
	v             *vocab
	qs            []Question
	units         []unit
	groups        int
	anchor        int    // the first line introducing the answers; -1 none
	head          []bool // the lines of the letter's head block (letterHead)
}

func newSegmenter(docs []string, asked *Asked, pr *prepared) *segmenter {
	p := pr.period
	s := &segmenter{qs: asked.Questions, v: pr.forReply(), anchor: -1, endsAt: map[int]bool{}}
	for _, q := range asked.Questions {
		if q.Number == 0 {
			s.hasUnnumbered = true
		}
	}
	s.lines = plines(docs, p)
	for i := range s.lines {
		// A heading that looks like boilerplate ("Complaints") but is the
		// word of a question asked is that question's heading.
		l := &s.lines[i]
		if l.stop && !l.blank && len(strings.Fields(l.text)) <= 4 && !isSignOff(l.text) && s.v.simBest(l.text) >= 0.6 {
			l.stop = false
		}
	}
	for i, l := range s.lines {
		if l.anchor {
			s.anchor = i
			break
		}
	}
	s.romanFirsts()
	s.head = s.letterHead()
	s.items()
	s.restated()
	s.labelled()
	s.rows()
	s.ordered()
	s.prose()
	return s
}

func (s *segmenter) group() int { s.groups++; return s.groups }

// maxUnits bounds the candidate answers of one reply (a letter has tens;
// a hostile one repeating "1. ..." twenty thousand times would otherwise
// have as many).
const maxUnits = 2000

func (s *segmenter) add(u unit) {
	if len(s.units) >= maxUnits {
		return
	}
	u.after = s.anchor >= 0 && u.line > s.anchor
	// "Request:" alone at the end is the next block's head, not this
	// answer's words.
	for n := len(u.body); n > 0; n = len(u.body) {
		t := strings.TrimSpace(u.body[n-1])
		if t != "" && !(strings.HasSuffix(t, ":") && isQuestionLead(strings.TrimSuffix(t, ":"))) {
			break
		}
		u.body = u.body[:n-1]
	}
	s.units = append(s.units, u)
}

// items finds runs of numbered (and of lettered) items and makes a unit of
// each.
func (s *segmenter) items() {
	s.subItems()
	s.rankedRows()
	s.numberedLists()
	type item struct{ line, num int }
	var runs [][]item
	var cur []item
	var curDoc int
	flush := func() {
		if len(cur) > 0 {
			runs = append(runs, cur)
		}
		cur = nil
	}
	last := 0
	for i := range s.lines {
		l := &s.lines[i]
		if l.lab.num <= 0 || l.lab.letter {
			continue
		}
		// "19" or "12." alone on its line is a figure, unless it is the
		// label of the next item with its text on the line below.
		worded := l.lab.style == "Question" || l.lab.style == "Q"
		if strings.TrimSpace(l.lab.rest) == "" && l.cells == nil && !(s.labelOnly(i) && (l.lab.num == last+1 || l.lab.num == 1 || worded)) {
			l.lab = lineLabel{}
			continue
		}
		last = l.lab.num
	}
	for i, l := range s.lines {
		if l.lab.num <= 0 {
			continue
		}
		if l.lab.letter && l.cells == nil && !strings.HasPrefix(strings.TrimSpace(l.text), "(") && len(cur) == 0 && l.lab.num != 1 {
			continue
		}
		if len(cur) > 0 {
			prev := s.lines[cur[len(cur)-1].line]
			switch {
			case l.doc != curDoc,
				l.lab.num < prev.lab.num,
				l.lab.num == prev.lab.num && (l.lab.sub == 0 || l.lab.sub <= prev.lab.sub),
				l.lab.letter != prev.lab.letter,
				l.lab.num > prev.lab.num+4 && questionByNumber(s.qs, l.lab.num) < 0:
				flush()
			}
		}
		curDoc = l.doc
		cur = append(cur, item{i, l.lab.num})
	}
	flush()
	if len(runs) > 300 {
		runs = runs[:300]
	}
	for _, run := range runs {
		if s.lines[run[0].line].lab.letter && (run[0].num != 1 || len(run) < 2) {
			continue // "(c)" alone is more likely "(c) Crown copyright"
		}
		g := s.group()
		var us []unit
		own := false // the run numbers parts its own way ("1a.", "1b.")
		for _, it := range run {
			own = own || s.lines[it.line].lab.sub != 0
		}
		for k, it := range run {
			end := len(s.lines)
			if k+1 < len(run) {
				end = run[k+1].line
			}
			u := s.itemUnit(it.line, end, k+1 == len(run), own)
			u.group = g
			us = append(us, u)
		}
		headedItems(us)
		for _, u := range us {
			s.add(u)
		}
	}
}

// rankedRows takes the numbers off a table's rows when they are the rows'
// own (a rank: "1 | Marlow Grange Consulting | £486,200") and not the
// questions': no row's words fit the question of its number.
func (s *segmenter) rankedRows() {
	rows := map[int][]int{} // table -> its numbered lines
	for i, l := range s.lines {
		if l.table != 0 && l.cells != nil && l.lab.num > 0 && !l.lab.letter {
			rows[l.table] = append(rows[l.table], i)
		}
	}
	for _, ls := range rows {
		if len(ls) < 3 {
			continue
		}
		fits := false
		for _, i := range ls {
			l := s.lines[i]
			if qi := questionByNumber(s.qs, l.lab.num); qi >= 0 && s.v.sim(l.lab.rest, qi) >= 0.2 {
				fits = true
				break
			}
		}
		if !fits {
			for _, i := range ls {
				s.lines[i].lab = lineLabel{}
			}
		}
	}
}

// numberedLists makes a numbered run under a lead ending in a colon ("Our
// five largest suppliers in 2023/24 were:" then "1. Pellow Stratton LLP",
// "2. ...") a bulleted list, when its items are names, not answers: no
// figure in any, and none in the words of the question of its number.
func (s *segmenter) numberedLists() {
	for i := 0; i < len(s.lines); i++ {
		l := s.lines[i]
		if l.lab.num != 1 || l.lab.letter || l.cells != nil || l.lab.sub != 0 || len(l.lab.more) > 0 {
			continue
		}
		if !strings.HasSuffix(s.leadBefore(i, 0), ":") {
			continue
		}
		run := []int{i}
		for k := i + 1; k < len(s.lines) && s.lines[k].doc == l.doc; k++ {
			lk := s.lines[k]
			if lk.blank {
				break
			}
			if lk.lab.num != len(run)+1 || lk.lab.style != l.lab.style || lk.cells != nil {
				break
			}
			run = append(run, k)
		}
		names := len(run) >= 2
		for _, k := range run {
			lk := s.lines[k]
			rest := strings.TrimSpace(lk.lab.rest)
			qi := questionByNumber(s.qs, lk.lab.num)
			if rest == "" || len(strings.Fields(rest)) > 8 || hasFigure(rest) || qi >= 0 && s.v.sim(rest, qi) >= 0.45 {
				names = false
				break
			}
		}
		if !names {
			continue
		}
		s.bullet(run, false)
		i = run[len(run)-1]
	}
}

// leadBefore is the nearest line with words before line i, in its
// document, looking back no further than line from: what leads to a list.
func (s *segmenter) leadBefore(i, from int) string {
	for k := i - 1; k >= from && s.lines[k].doc == s.lines[i].doc; k-- {
		if t := strings.TrimSpace(s.lines[k].text); t != "" {
			return t
		}
	}
	return ""
}

// bullet makes the labelled lines of run bulleted lines of a list, keeping
// their indent when indented says so.
func (s *segmenter) bullet(run []int, indented bool) {
	for _, k := range run {
		l := &s.lines[k]
		indent := ""
		if indented {
			indent = l.text[:len(l.text)-len(strings.TrimLeft(l.text, " \t"))]
		}
		rest := l.lab.rest
		if !indented {
			rest = strings.TrimSpace(rest)
		}
		l.text = indent + "- " + rest
		l.lab = lineLabel{bullet: true, rest: l.lab.rest}
	}
}

// subItems makes the lettered lines inside a numbered item its content:
// "4. The three premises types were:" then "a) Hospitals", "b) Flats".
// They are a list of the item, not answers to questions 1 and 2, when a
// lead ending in a colon opens them or the numbering goes on after them.
// They become bulleted lines, which a list reads one item each.
func (s *segmenter) subItems() {
	p := -1 // the last numbered line
	worded := func(st string) bool { return st == "Question" || st == "Q" }
	for i := 0; i < len(s.lines); i++ {
		l := &s.lines[i]
		// A list numbered 1, 2, 3 inside "Question 4: ... Response:" is
		// the item's too.
		inner := p >= 0 && !l.lab.letter && l.lab.num == 1 && worded(s.lines[p].lab.style) && !worded(l.lab.style)
		if l.lab.num > 0 && !l.lab.letter && !inner {
			p = i
			continue
		}
		if !l.lab.letter && !inner || l.lab.num != 1 || l.cells != nil || p < 0 || s.lines[p].doc != l.doc {
			continue
		}
		// A run a), b), c) ... (or 1., 2., 3.) on the lines that follow.
		run := []int{i}
		for k := i + 1; k < len(s.lines) && s.lines[k].doc == l.doc; k++ {
			lk := s.lines[k]
			if lk.blank {
				continue
			}
			same := lk.lab.letter == l.lab.letter && lk.lab.style == l.lab.style
			if lk.lab.num > 0 && !same {
				break
			}
			if same && lk.lab.num == len(run)+1 && lk.cells == nil {
				run = append(run, k)
			}
		}
		lead := s.leadBefore(i, p)
		goesOn := false
		for k := run[len(run)-1] + 1; k < len(s.lines) && s.lines[k].doc == l.doc; k++ {
			if lk := s.lines[k].lab; lk.num > s.lines[p].lab.num && !lk.letter && (!inner || lk.style == s.lines[p].lab.style) {
				goesOn = true
				break
			}
		}
		if len(run) < 2 || !strings.HasSuffix(lead, ":") && !goesOn {
			continue
		}
		s.bullet(run, true)
		i = run[len(run)-1]
	}
}

// reHeadWords is an item that opens with a heading of a few words and a
// full stop: "Spend. The budget was ...", "Prioritisation. Reports are ...".
var reHeadWords = regexp.MustCompile(`^([A-Z][A-Za-z'’-]*(?: [A-Za-z'’-]+){0,2})\. +([A-Z].*)$`)

// headedItems takes the heading off items that each open with one, when
// most of the run's items do: a reply that heads its answers so, as
// another would write "Spend:". One item alone opening that way is its
// answer ("Missing person searches. Drones are also ...").
func headedItems(us []unit) {
	n := 0
	for _, u := range us {
		if u.label == "" && len(u.body) > 0 && reHeadWords.MatchString(strings.TrimSpace(u.body[0])) {
			n++
		}
	}
	if n < 3 || 2*n < len(us) {
		return
	}
	for i := range us {
		u := &us[i]
		if u.label != "" || len(u.body) == 0 {
			continue
		}
		if m := reHeadWords.FindStringSubmatch(strings.TrimSpace(u.body[0])); m != nil {
			u.label = m[1]
			u.body = append([]string{m[2]}, u.body[1:]...)
		}
	}
}

// labelOnly tells an item label alone on its line followed by its text on
// the next ("5.\nHollis & Barr Ltd"), as some PDF layouts print.
func (s *segmenter) labelOnly(i int) bool {
	for k := i + 1; k < len(s.lines) && k < i+3; k++ {
		if !s.lines[k].blank {
			return s.lines[k].lab.num == 0 && !s.lines[k].stop
		}
	}
	return false
}

// itemUnit makes the unit of the item at line i, whose span ends before
// line end (the next item of its run); own tells a run that numbers parts
// its own way ("1a.", "1b."), whose headings then tell the questions.
func (s *segmenter) itemUnit(i, end int, last, own bool) unit {
	l := s.lines[i]
	u := unit{src: srcItem, num: l.lab.num, letter: l.lab.letter, line: i, note: l.note, check: l.check}
	u.nums = l.lab.more
	u.sub = l.lab.sub != 0
	u.end = i + 1
	if l.cells != nil {
		// A numbered table row: the question's cell and the answer's.
		u.src = srcRow
		u.label = strings.TrimSpace(l.lab.rest)
		u.body = cellLines(l.cells[1])
		return u
	}
	qi := questionByNumber(s.qs, l.lab.num)
	if l.lab.letter {
		// "(e)" answers the fifth numbered question, as alignNumbered
		// reads it: its restated words are that question's.
		qi = -1
		k := 0
		for i, q := range s.qs {
			if q.Number > 0 {
				if k++; k == l.lab.num {
					qi = i
					break
				}
			}
		}
	}
	span := []string{l.lab.rest}
	paras := 0
	k := i + 1
	for ; k < end && k < i+200; k++ {
		n := s.lines[k]
		if n.table != 0 && n.table != l.table && (leadsToTable(span) || strings.TrimSpace(strings.Join(span, "")) == "") && len(l.lab.more) == 0 {
			// "5." alone, and the table below it.
			// "The firms are listed in the table below:" and the table.
			for ; k < end && s.lines[k].table == n.table; k++ {
				if !s.lines[k].summary {
					span = append(span, s.lines[k].text)
				}
			}
			k--
			continue
		}
		if n.stop || n.footnote || n.table != 0 && n.table != l.table || n.doc != l.doc {
			break
		}
		if n.anchor && n.ans < 0 && k > i+1 {
			break
		}
		if n.blank {
			paras++
			if last && paras > 3 || paras > 8 {
				break
			}
			span = append(span, "")
			continue
		}
		if last && n.lab.num > 0 && !n.lab.letter {
			break // another run's item
		}
		if s.endsItem(n, qi, k) || last && paras > 0 && s.takeUnnumbered(n, qi, k) {
			break
		}
		span = append(span, n.text)
	}
	u.end = k
	for len(span) > 0 && strings.TrimSpace(span[len(span)-1]) == "" {
		span = span[:len(span)-1]
	}
	u.label, u.body = s.splitQuestion(span, qi)
	if own && u.label == "" && len(u.body) >= 3 && strings.TrimSpace(u.body[1]) == "" {
		// "2. Complaints about stop and search received in 2024." and the
		// answer in a paragraph of its own: a heading in the reply's own
		// words, which tells the question when the numbers do not.
		h := strings.TrimSpace(u.body[0])
		if h != "" && len(strings.Fields(h)) <= 14 && !hasFigure(h) && !isValueWords(strings.TrimRight(h, ".")) && !strings.HasSuffix(h, ":") {
			u.label, u.body = h, u.body[2:]
		}
	}
	return u
}

// leadsToTable tells an item's words so far that lead to a table after
// them: "The firms are listed in the table below", "as follows:".
func leadsToTable(span []string) bool {
	// A restated question and at most a table's head under it.
	if n := len(nonEmpty(span)); n >= 1 && n <= 2 && strings.HasSuffix(strings.TrimSpace(span[0]), "?") {
		return true
	}
	// A restated question or a heading alone, no value in it: "1a. The
	// number of stop and searches carried out in 2024." over its table.
	if ne := nonEmpty(span); len(ne) == 1 && !hasFigure(ne[0]) && !isValueWords(strings.Trim(strings.TrimSpace(ne[0]), ".")) && len(strings.Fields(ne[0])) >= 3 {
		return true
	}
	for k := len(span) - 1; k >= 0; k-- {
		t := strings.TrimSpace(span[k])
		if t == "" {
			continue
		}
		l := asciiLower(t)
		// "... as follows:", "see the table below", and a restated question
		// with nothing after it ("3. In how many of those uses ...?").
		return strings.HasSuffix(t, ":") || strings.HasSuffix(t, "?") || strings.Contains(l, "table") || strings.Contains(l, "below") || strings.Contains(l, "following") || strings.Contains(l, "attached")
	}
	return false
}

// endsItem tells a line inside an item's span that starts something else:
// a labelled line or a restated question that fits another question,
// unnumbered ones first, much better than the item's own.
func (s *segmenter) endsItem(n pline, qi int, k int) bool {
	if k > 0 && !s.lines[k-1].blank && n.lab.bullet || n.cells != nil {
		return false
	}
	t := strings.TrimSpace(n.text)
	if t == "" || len(t) > 600 {
		return false
	}
	unnumbered := func(j int) bool { return s.qs[j].Number == 0 && j != qi }
	// "Label: value", or a question ending "?", that names another
	// question plainly.
	if at := strings.Index(t, ":"); at > 0 && at < 80 || strings.HasSuffix(t, "?") {
		label := t
		if at > 0 && at < 80 {
			label = t[:at]
		}
		best, score, _ := s.v.best(label)
		if best < 0 || best == qi || score < 0.55 {
			return false
		}
		own := 0.0
		if qi >= 0 {
			own = s.v.sim(label, qi)
		}
		return s.qs[best].Number == 0 && score > own+0.2 || score > own+0.45
	}
	// "Booking – Staff request an interpreter ...": a dash label that says
	// a question asked without a number, plainly.
	if s.hasUnnumbered && (strings.Contains(t, " – ") || strings.Contains(t, " - ")) {
		if lab, _, ok := cutLabelled(t); ok && !strings.Contains(lab, ":") {
			if b, sc := s.v.bestOf(lab, unnumbered); b >= 0 && sc >= 0.5 && (qi < 0 || sc > s.v.sim(lab, qi)+0.2) {
				return true
			}
		}
	}
	// "You also asked whether the council has a policy on ...": another
	// question, told in the letter's words.
	if rest, ok := askedLead(t); ok && k > 0 && s.lines[k-1].blank {
		if b, sc, _ := s.v.best(firstSentence(rest)); b >= 0 && b != qi && sc >= 0.45 {
			return true
		}
	}
	// An unnumbered question restated in full ("Please also describe how
	// ..."), with or without a blank line before it (a Word letter's
	// paragraphs have none).
	if !s.hasUnnumbered {
		return false
	}
	if b, sc := s.v.bestOf(t, unnumbered); b >= 0 && sc >= 0.75 && matchPrefix(t, s.v.words(b)) >= len(t)*3/4 {
		return true
	}
	// A heading on its own line after a blank one ("Making a claim", "How
	// interpreters are booked"): for a question the reply cannot number.
	if k > 0 && s.lines[k-1].blank && len(strings.Fields(t)) <= 14 && !strings.HasSuffix(t, ".") {
		b, sc := s.v.bestOf(t, unnumbered)
		return b >= 0 && sc >= 0.6 && !hasFigure(t)
	}
	return false
}

// splitQuestion cuts an item's lines into the words restating (or
// labelling) question qi and the answer: after an answer label, else after
// the restated question, else after a label line ("5. Agencies used",
// "1. Agency spend:"), else all of it is the answer.
func (s *segmenter) splitQuestion(span []string, qi int) (label string, body []string) {
	if len(span) == 0 {
		return "", nil
	}
	// An answer label: "Answer: 5", "Response" alone, "A5. £27,480".
	for k, t := range span {
		at := answerLabel(t)
		if at < 0 {
			continue
		}
		if k == 0 && at == 0 {
			continue
		}
		body = append([]string{strings.TrimSpace(t[at:])}, span[k+1:]...)
		if k == 0 {
			return "", trimBlankLines(body) // "Answer 5: ..." on the item's line
		}
		return strings.TrimSpace(strings.Join(span[:k], " ")), trimBlankLines(body)
	}
	joined, starts := joinSpan(span)
	if qi >= 0 {
		// The restated question, over as many lines as it wraps.
		if end := matchPrefix(joined, s.v.words(qi)); end >= 0 && (s.v.sim(joined[:end], qi) >= 0.5 || len(s.qs[qi].Text) < 40) && !figureOutside(joined[:end], s.v.words(qi)) {
			after := joined[end:]
			rest := strings.TrimLeft(after, " ?.:;,)\"'”’")
			cut := len(after) - len(rest)
			sep := strings.TrimSpace(after[:cut])
			switch {
			case strings.TrimSpace(rest) == "":
				return joined[:end], nil
			case strings.HasPrefix(rest, "\n") || strings.Contains(sep, "?") || sep == ":" ||
				(strings.Contains(sep, ".") && startsSentence(rest)) ||
				hasDashSep(after):
				return joined[:end], splitAt(span, starts, end+cut, hasDashSep(after))
			}
		}
	}
	// A label on the item's line, the answer below: "5. Agencies used",
	// "1. Agency spend:", "Question 1 - fly-tipping incidents recorded".
	first := strings.TrimSpace(span[0])
	if len(span) > 1 && first != "" && isLabelLine(first, s.v, qi, nextIsBullet(span[1:])) {
		return strings.TrimSuffix(first, ":"), trimBlankLines(span[1:])
	}
	// "Incidents recorded in 2024/25: 1,284": a label and its value.
	if lab, val, ok := cutLabelled(first); ok && (qi < 0 || s.v.sim(lab, qi) >= 0.25 || s.v.simBest(lab) >= 0.4) {
		return lab, trimBlankLines(append([]string{val}, span[1:]...))
	}
	return "", trimBlankLines(span)
}

// figureOutside tells words restating a question that hold a figure the
// question does not: "64 fixed penalty notices were issued" answers.
func figureOutside(s string, q []string) bool {
	masked := repeatSpans(s, q)
	for _, c := range numberCandidates(s) {
		if !c.year && !masked.covers(c.start, c.end) {
			return true
		}
	}
	return strings.Contains(s, "£") && !strings.Contains(strings.Join(q, " "), "£")
}

// joinSpan joins lines with "\n" and returns where each starts.
func joinSpan(span []string) (string, []int) {
	var b strings.Builder
	starts := make([]int, len(span))
	for k, t := range span {
		if k > 0 {
			b.WriteByte('\n')
		}
		starts[k] = b.Len()
		b.WriteString(t)
	}
	return b.String(), starts
}

// splitAt returns the lines of span from byte offset off of their join,
// the first of them cut there.
func splitAt(span []string, starts []int, off int, dash bool) []string {
	for k := len(span) - 1; k >= 0; k-- {
		if starts[k] <= off {
			rest := span[k][min(off-starts[k], len(span[k])):]
			if dash {
				rest = strings.TrimLeft(strings.TrimLeft(strings.TrimLeft(rest, " "), "-–—"), " ")
			}
			out := append([]string{rest}, span[k+1:]...)
			return trimBlankLines(out)
		}
	}
	return trimBlankLines(span)
}

// hasDashSep tells a dash between a restated question and its answer
// ("... in your area – The Programme is called ...").
func hasDashSep(rest string) bool {
	r := strings.TrimLeft(rest, " ")
	return len(rest) > len(r) && (strings.HasPrefix(r, "– ") || strings.HasPrefix(r, "- ") || strings.HasPrefix(r, "— "))
}

// startsSentence tells text that starts a new sentence: a capital or a
// figure.
func startsSentence(s string) bool {
	s = strings.TrimLeft(s, " \n\"'“‘(")
	if s == "" {
		return false
	}
	c := s[0]
	return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '£' || c >= 0x80
}

func trimBlankLines(l []string) []string {
	for len(l) > 0 && strings.TrimSpace(l[0]) == "" {
		l = l[1:]
	}
	for len(l) > 0 && strings.TrimSpace(l[len(l)-1]) == "" {
		l = l[:len(l)-1]
	}
	return l
}

// isLabelLine tells a line that labels the answer on the lines below it:
// it ends with a colon, or it is a short phrase, not a sentence, that says
// the words of a question (any words, when bullets follow it).
func isLabelLine(t string, v *vocab, qi int, bullets bool) bool {
	if strings.HasSuffix(t, ":") && len(t) < 160 {
		return true
	}
	f := strings.Fields(t)
	if len(f) > 14 || strings.HasSuffix(t, ".") || hasFigure(t) || sentenceInside(t) || stopWords[strings.ToLower(f[len(f)-1])] {
		return false // a sentence, or one wrapped onto the next line
	}
	if bullets && len(strings.Fields(t)) <= 8 {
		return true
	}
	if qi >= 0 && v.sim(t, qi) >= 0.3 {
		return true
	}
	return v.simBest(t) >= 0.45
}

// nextIsBullet tells lines whose first line with text is a bullet.
func nextIsBullet(ls []string) bool {
	for _, l := range ls {
		if strings.TrimSpace(l) == "" {
			continue
		}
		_, b := cutBullet(l)
		return b
	}
	return false
}

// sentenceInside tells text with a sentence's end inside it ("Locating
// missing people. The drones were also used to").
func sentenceInside(t string) bool {
	for i := 0; i+2 < len(t); i++ {
		if (t[i] == '.' || t[i] == '?' || t[i] == '!') && t[i+1] == ' ' && t[i+2] >= 'A' && t[i+2] <= 'Z' {
			return true
		}
	}
	return false
}

// hasFigure tells text with a figure in it other than a period, a date or
// a section: what a label does not have and an answer may.
func hasFigure(s string) bool {
	return hasCount(s) || strings.Contains(s, "£") || reURL.MatchString(s)
}

// cutLabelled cuts "Label: value" (or "Label = value"): a label of eight
// words or fewer, not a sentence, and a value after it.
func cutLabelled(t string) (label, value string, ok bool) {
	i := strings.Index(t, ":")
	j := strings.Index(t, " = ")
	if i < 0 || j >= 0 && j < i {
		if j < 0 {
			// "Booking – Staff request an interpreter ...": a label of a
			// few words and a dash.
			sep := " – "
			d := strings.Index(t, sep)
			if d < 0 {
				sep = " - "
				d = strings.Index(t, sep)
			}
			if d <= 0 || len(strings.Fields(t[:d])) > 4 || strings.ContainsAny(t[:d], "0123456789.,") {
				return "", "", false
			}
			label, value = strings.TrimSpace(t[:d]), strings.TrimSpace(t[d+len(sep):])
			if label == "" || value == "" || isHeaderLabel(label) || isValueWords(label) {
				return "", "", false // "One - Drayton Library was transferred ...": the answer, then why
			}
			return label, value, true
		}
		i = j + 1
	}
	label = strings.TrimSpace(strings.TrimRight(t[:i], "= "))
	value = strings.TrimSpace(t[i+1:])
	if label == "" || value == "" || strings.HasPrefix(value, "//") || len(strings.Fields(label)) > 9 || strings.ContainsAny(label, ".?!;") && !strings.HasSuffix(label, "?") {
		return "", "", false
	}
	if isPeriodLabel(label) || isDigits(strings.TrimSpace(label)) || isHeaderLabel(label) {
		return "", "", false // "2023/24: 37" is a year's figure; "Our ref:" a letter's header
	}
	if strings.ContainsAny(label, "£€$") || reGroupedFigure.MatchString(label) {
		return "", "", false // "£386,240 in total: device leasing £211,800, ...": a value, then its parts
	}
	return label, value, true
}

// reGroupedFigure is a figure written with thousands: "1,204".
var reGroupedFigure = regexp.MustCompile(`\d,\d{3}\b`)

// isValueWords tells words that are an answer of their own: a number in
// words, none, yes or no.
func isValueWords(s string) bool {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "yes", "no", "none", "nil", "zero", "nothing", "n/a", "not held", "not known", "unknown":
		return true
	}
	return len(wordNumbers(t, nil)) > 0 && len(strings.Fields(t)) <= 3
}

// headerLabels are the labels of a letter's or a case system's header
// block, which answer no question.
var headerLabels = map[string]bool{
	"ref": true, "reference": true, "our ref": true, "our reference": true, "your ref": true, "your reference": true,
	"case ref": true, "case reference": true, "case number": true, "case no": true, "case type": true, "case": true,
	"request number": true, "request reference": true, "request ref": true, "foi reference": true, "foi ref": true,
	"date": true, "date received": true, "received": true, "date of request": true, "date of response": true,
	"request received": true, "response due": true, "due": true, "due date": true, "target date": true, "deadline": true,
	"tel": true, "telephone": true, "phone": true, "mobile": true, "fax": true, "email": true, "e-mail": true,
	"web": true, "website": true, "from": true, "to": true, "cc": true, "sent": true, "subject": true, "re": true,
	"title of request": true, "title": true, "summary": true, "name": true, "address": true, "reply to": true,
	"direct line": true, "extension": true, "ext": true, "dear": true, "attn": true, "for the attention of": true,
}

func isHeaderLabel(label string) bool {
	return headerLabels[strings.Trim(strings.ToLower(strings.Join(strings.Fields(label), " ")), " .")]
}

func (v *vocab) simBest(s string) float64 {
	_, score, _ := v.best(s)
	return score
}

// cellLines splits a table cell at its own line breaks.
func cellLines(c string) []string {
	return strings.Split(c, cellBreak)
}

// restated finds lines, outside numbered items, that restate a question
// on their own (an unnumbered question, or a letter that repeats the
// questions without their numbers) and makes a unit of each, its answer
// the lines up to the next one.
//
// It is over 100 lines: one pass over the lines outside items, whose tests
// of a restated question share the pass's state (the unit being made).
func (s *segmenter) restated() {
	inItem := s.itemLines()
	type hit struct {
		line, qi, end int
		rest          string // the answer, on the question's line after it
	}
	var hits []hit
	for i := 0; i < len(s.lines); i++ {
		l := s.lines[i]
		if l.blank || l.cells != nil || l.lab.num > 0 || inItem[i] && !s.endsItemAt(i) || l.stop || l.ans >= 0 {
			continue
		}
		t := strings.TrimSpace(l.text)
		if rest, ok := askedLead(t); ok && (i == 0 || s.lines[i-1].blank) {
			// "You also asked whether the council has a policy on ...
			// Our policy covers this and is published at ...".
			first := firstSentence(rest)
			if qi, score, second := s.v.best(first); qi >= 0 && score >= 0.45 && score-second >= 0.05 {
				after := strings.TrimSpace(strings.TrimPrefix(rest, first))
				hits = append(hits, hit{i, qi, i + 1, after})
				continue
			}
		}
		if len(t) < 4 || len(t) > 400 {
			continue
		}
		if _, v, ok := cutLabelled(t); ok && len(strings.Fields(v)) > 1 {
			continue // "Label: value": a labelled answer
		}
		// The question may wrap onto the next line: a line that does not
		// end a sentence, the next going on in lower case.
		cand, end := t, i+1
		qi, score, second := s.v.best(cand)
		if end < len(s.lines) && !endsSentence(t) {
			n := s.lines[end]
			nt := strings.TrimSpace(n.text)
			if !n.blank && n.lab.num == 0 && n.ans < 0 && n.cells == nil && nt != "" && (nt[0] >= 'a' && nt[0] <= 'z' || nt[0] == '(') {
				if q2, s2, sec2 := s.v.best(t + " " + nt); q2 >= 0 && s2 >= score-0.05 {
					cand, end, qi, score, second = t+" "+nt, end+1, q2, s2, sec2
				}
			}
		}
		if qi < 0 {
			continue
		}
		if figureOutside(cand, s.v.words(qi)) || notHeld(cand) || i > 0 && s.prevText(i) >= 0 && isAnswerHeading(s.lines[s.prevText(i)].text) {
			continue // an answer that says the question's words, not the question
		}
		if len(hits) > 0 && s.prevText(i) == hits[len(hits)-1].end-1 && !strings.HasSuffix(cand, "?") {
			continue // the line after a restated question answers it, in its words
		}
		nwords := len(strings.Fields(cand))
		question := strings.HasSuffix(cand, "?") || strings.HasSuffix(cand, ":") || nwords <= 12 || matchPrefix(cand, s.v.words(qi)) >= len(cand)*3/4
		// Close to two questions is no restatement of either; unless the
		// best is one the reply could not number, among numbered items
		// (their own questions are answered by number).
		// Every word of the question, in order, and little else: the
		// question restated, however like another one it is.
		verbatim := func() bool {
			pend, ms := matchScore(words(cand, 2*len(s.v.words(qi))+8), s.v.words(qi))
			return ms >= 0.95 && pend >= len(strings.TrimRight(cand, " ?:."))-2
		}
		if score < 0.6 || !question || score-second < 0.1 && !(s.qs[qi].Number == 0 && s.hasItems()) && !verbatim() {
			continue
		}
		if end < len(s.lines) && s.lines[end].ans >= 0 && !isAnswerHeading(s.lines[end].text) {
			// "Question text\nAnswer: 5" is fine; the answer is on the label's line.
		}
		hits = append(hits, hit{i, qi, end, ""})
		i = end - 1
	}
	if len(hits) == 0 {
		return
	}
	// A heading between two restated questions, in their style but not in
	// a question's words ("Concessions" between "Penalty notices" and
	// "Paid staff permits"): a unit of its own, for the alignment to place
	// by its neighbours.
	var all []hit
	for k, h := range hits {
		all = append(all, h)
		if k+1 == len(hits) {
			break
		}
		body := false // the first words after a question (or a heading) are its answer
		for i := h.end; i < hits[k+1].line; i++ {
			l := s.lines[i]
			if l.blank || l.ans >= 0 && strings.TrimSpace(l.text[l.ans:]) == "" {
				continue
			}
			if body && s.headingLike(i) && !inItem[i] {
				all = append(all, hit{i, -1, i + 1, ""})
				body = false
				continue
			}
			body = true
		}
	}
	hits = all
	g := s.group()
	for k, h := range hits {
		stop := len(s.lines)
		if k+1 < len(hits) {
			stop = hits[k+1].line
		}
		var body []string
		paras := 0
		j := h.end
		for ; j < stop && j < h.end+100; j++ {
			n := s.lines[j]
			if n.stop || n.footnote || n.lab.num > 0 && !n.lab.letter || n.doc != s.lines[h.line].doc {
				break
			}
			if n.blank {
				paras++
				if paras > 3 {
					break
				}
			}
			body = append(body, n.text)
		}
		if h.rest != "" {
			body = append([]string{h.rest}, body...)
		}
		body = trimBlankLines(body)
		if len(body) > 0 {
			if at := answerLabel(body[0]); at >= 0 {
				body[0] = strings.TrimSpace(body[0][at:])
				body = trimBlankLines(body)
			}
		}
		s.add(unit{src: srcRestated, group: g, label: s.lines[h.line].text, body: body, line: h.line, end: j})
	}
}

// takeUnnumbered makes a unit of a later paragraph of the last item whose
// first sentence says most of an unnumbered question's words and answers
// it ("The Council does not have a policy specific to out-of-district
// placements", below the answer to question 6), and tells whether it did:
// the item ends there.
func (s *segmenter) takeUnnumbered(n pline, qi, k int) bool {
	if !s.hasUnnumbered || k == 0 || !s.lines[k-1].blank || n.cells != nil {
		return false
	}
	sent := firstSentence(strings.TrimSpace(n.text))
	b, r, own := s.v.recallBest(sent, func(j int) bool { return s.qs[j].Number == 0 && j != qi })
	if b < 0 || !own || r < 0.4 || !proseValue(s.qs[b].Type, sent, true) {
		return false
	}
	// Its paragraph answers that question.
	var body []string
	for j := k; j < len(s.lines) && !s.lines[j].blank && !s.lines[j].stop; j++ {
		body = append(body, s.lines[j].text)
	}
	s.add(unit{src: srcProse, group: s.group(), num: -(b + 1), body: body, line: k, end: k + len(body),
		note: "a paragraph after the last numbered answer, in the words of this question", check: true})
	return true
}

// reAskedLead opens a paragraph that tells the question it answers in the
// letter's own words: "You also asked whether", "Your final question was
// about", "Regarding your last question,".
var reAskedLead = regexp.MustCompile(`(?i)^(?:you (?:also |then |further |finally |lastly )?(?:asked|requested|wanted to know|enquired|queried)(?: us)?(?: (?:for|about|whether|if|how|what|which|when|why))?|(?:in )?your (?:final|last|next|other|remaining|second|third|fourth|fifth) (?:question|point|request)(?: (?:was|asked|is))?(?: (?:about|whether|for|if))?|(?:with regard to|regarding|as for|turning to|on|in relation to) your (?:final |last |other |remaining )?(?:question|point|request)(?: (?:about|on|regarding|for))?)[\s,:]+`)

// askedLead returns what follows such an opening.
func askedLead(t string) (string, bool) {
	w, _, _ := strings.Cut(firstChars(t, 16), " ")
	switch strings.ToLower(w) {
	case "you", "your", "in", "with", "regarding", "as", "turning", "on":
	default:
		return "", false // the usual line: no pattern to run
	}
	m := reAskedLead.FindStringIndex(t)
	if m == nil || m[1] >= len(t) {
		return "", false
	}
	return t[m[1]:], true
}

// itemLines tells the lines that belong to a numbered item's span.
func (s *segmenter) itemLines() []bool {
	in := make([]bool, len(s.lines))
	for _, u := range s.units {
		if u.src != srcItem && u.src != srcRow {
			continue
		}
		for k := u.line; k < len(s.lines) && k < u.end; k++ {
			in[k] = true
		}
	}
	return in
}

func (s *segmenter) endsItemAt(i int) bool {
	if v, ok := s.endsAt[i]; ok {
		return v
	}
	v := s.endsItemAtLine(i)
	s.endsAt[i] = v
	return v
}

func (s *segmenter) endsItemAtLine(i int) bool {
	qi := -1
	for k := i - 1; k >= 0 && k > i-200; k-- {
		if s.lines[k].lab.num > 0 {
			qi = questionByNumber(s.qs, s.lines[k].lab.num)
			break
		}
	}
	return s.endsItem(s.lines[i], qi, i)
}

// labelled finds lines "Label: value" (and "Label:" with the value on the
// lines below) outside numbered items, in groups of such lines.
func (s *segmenter) labelled() {
	inItem := s.itemLines()
	head := s.head
	g := 0
	lastLine := -10
	for i := 0; i < len(s.lines); i++ {
		l := s.lines[i]
		if l.blank || l.cells != nil || l.lab.num > 0 || l.stop || inItem[i] && !s.endsItemAt(i) || head[i] {
			continue
		}
		t := strings.TrimSpace(l.text)
		var body []string
		end := i + 1
		label, value, ok := cutLabelled(t)
		if ok && isQuestionLead(label) {
			// "Information requested: litres applied in 2024/25" then
			// "Response: 2,160 litres.": the question in the letter's
			// words, its answer on the labelled line below.
			if j := s.nextText(i); j > 0 && s.lines[j].ans >= 0 {
				body = []string{strings.TrimSpace(s.lines[j].text[s.lines[j].ans:])}
				for k := j + 1; k < len(s.lines) && !s.lines[k].blank && !s.lines[k].stop; k++ {
					body = append(body, s.lines[k].text)
					j = k
				}
				if g == 0 || i > lastLine+6 {
					g = s.group()
				}
				lastLine = i
				s.add(unit{src: srcLabelled, group: g, label: value, body: body, line: i, end: j + 1})
				i = j
			}
			continue
		}
		if !ok {
			if !strings.HasSuffix(t, ":") || len(strings.Fields(t)) > 9 && !(len(strings.Fields(t)) <= 25 && s.bulletsAfter(i)) {
				continue // a sentence may lead to a list: "Our five largest suppliers in 2023/24, by spend, were:"
			}
			label = strings.TrimSuffix(t, ":")
			for j := i + 1; j < len(s.lines) && j < i+40; j++ {
				end = j
				n := s.lines[j]
				if n.blank && len(body) > 0 || n.stop || n.lab.num > 0 || n.footnote {
					break
				}
				if !n.blank {
					if _, _, lab := cutLabelled(strings.TrimSpace(n.text)); lab && !n.lab.bullet {
						break
					}
					body = append(body, n.text)
				}
			}
		} else {
			body = []string{value}
			for j := i + 1; j < len(s.lines) && j < i+20; j++ {
				n := s.lines[j]
				if n.blank || n.stop || n.lab.num > 0 || n.footnote || n.cells != nil {
					break
				}
				if _, _, lab := cutLabelled(strings.TrimSpace(n.text)); lab {
					break
				}
				if !n.lab.bullet && !strings.HasPrefix(n.text, " ") && endsSentence(body[len(body)-1]) {
					break // the next line starts something else; a wrapped value goes on
				}
				body = append(body, n.text)
				end = j + 1
			}
		}
		if len(body) == 0 {
			continue
		}
		if strings.Contains(t, " – ") || strings.Contains(t, " - ") && !strings.Contains(t, ":") {
			// A label before a dash must say a question plainly: a
			// dash also joins a heading's words ("REQUEST - ACKNOWLEDGEMENT").
			if _, score, _ := s.v.best(label); score < 0.5 {
				continue
			}
		}
		if _, score, _ := s.v.best(label); score < 0.2 {
			// "BWV contract cost = £286,455 (cameras, licences and
			// storage)": a label of its own words, the value's words
			// saying the question's.
			if _, sc, _ := s.v.best(label + " " + strings.Join(body, " ")); sc < 0.3 {
				continue
			}
			label = label + " " + strings.Join(body, " ")
		}
		if g == 0 || i > lastLine+6 {
			g = s.group()
		}
		lastLine = i
		s.add(unit{src: srcLabelled, group: g, label: label, body: body, line: i, end: max(end, i+1)})
	}
}

// bulletsAfter tells a line followed by bulleted lines.
func (s *segmenter) bulletsAfter(i int) bool {
	j := s.nextText(i)
	return j > 0 && s.lines[j].lab.bullet && s.lines[j].doc == s.lines[i].doc
}

// romanFirsts makes "(i)" the first of a roman run when "(ii)" is the next
// label: read alone it is the letter i, the ninth.
func (s *segmenter) romanFirsts() {
	for i := range s.lines {
		l := &s.lines[i]
		if !l.lab.letter || l.lab.num != 9 || l.lab.style != "(a)" {
			continue
		}
		for k := i + 1; k < len(s.lines) && k < i+40; k++ {
			if n := s.lines[k].lab; n.num > 0 {
				if n.style == "(i)" && n.num == 2 {
					l.lab.num, l.lab.style = 1, "(i)"
				}
				break
			}
		}
	}
}

// headingLike tells a line that heads what follows: after a blank line,
// a few words from a capital, no sentence's end, no "label: value", and
// words below it.
func (s *segmenter) headingLike(i int) bool {
	l := s.lines[i]
	if l.blank || l.cells != nil || l.lab.num > 0 || l.lab.bullet || l.stop || l.ans >= 0 || l.anchor || l.footnote || i == 0 || !s.lines[i-1].blank || i+1 >= len(s.lines) || s.lines[i+1].blank {
		return false // "Response" over an answer heads nothing new
	}
	t := strings.TrimSpace(l.text)
	if t == "" || t[0] < 'A' || t[0] > 'Z' || len(strings.Fields(t)) > 5 || strings.ContainsAny(t, ":.?!;,") {
		return false
	}
	return !hasFigure(t)
}

// isQuestionLead tells a label that introduces the question asked, not
// an answer: "Information requested", "Your request", "You asked".
func isQuestionLead(label string) bool {
	switch strings.ToLower(strings.Join(strings.Fields(label), " ")) {
	case "information requested", "information request", "request", "your request", "the request", "requested",
		"you asked", "you asked for", "question", "your question", "you requested", "request for", "details requested":
		return true
	}
	return false
}

// nextText is the next line after i that is not blank; -1 none.
func (s *segmenter) nextText(i int) int {
	for k := i + 1; k < len(s.lines) && k < i+4; k++ {
		if !s.lines[k].blank {
			return k
		}
	}
	return -1
}

// letterHead marks the lines of a letter's head: a block of "Label: value"
// lines one of which has a header's label ("Request reference:
// TP/0642/25", and "Council: North Tillbrook District Council" with it).
// They say what the letter is, and answer nothing.
func (s *segmenter) letterHead() []bool {
	out := make([]bool, len(s.lines))
	for i := 0; i < len(s.lines); {
		j := i
		isHead := false
		for j < len(s.lines) && !s.lines[j].blank {
			t := strings.TrimSpace(s.lines[j].text)
			if cs := s.lines[j].cells; cs != nil {
				t = strings.TrimSpace(cs[0]) + " " + strings.Join(cs[1:], " ") // "Case number:      FOI-24-05512"
			}
			c := strings.Index(t, ":")
			if c <= 0 || len(strings.Fields(t[:c])) > 4 || strings.TrimSpace(t[c+1:]) == "" {
				break
			}
			isHead = isHead || isHeaderLabel(t[:c])
			j++
		}
		if j > i+1 && isHead {
			for k := i; k < j; k++ {
				out[k] = true
			}
		}
		i = max(j, i+1)
	}
	return out
}

// rows makes a unit of each table row without an item number.
func (s *segmenter) rows() {
	groups := map[int]int{}
	head := s.head
	for i, l := range s.lines {
		if l.cells == nil || l.lab.num > 0 && !l.lab.letter || head[i] {
			continue
		}
		if strings.TrimSpace(l.cells[1]) == "" || isHeaderLabel(strings.TrimSuffix(strings.TrimSpace(l.cells[0]), ":")) {
			continue
		}
		g, ok := groups[l.table]
		if !ok {
			g = s.group()
			groups[l.table] = g
		}
		s.add(unit{src: srcRow, group: g, label: l.cells[0], body: cellLines(l.cells[1]), line: i, note: l.note, check: l.check, summary: l.summary})
	}
}

// ordered makes units of a run of bullets (or of one-line paragraphs after
// the line introducing the answers) as many as the questions, or as the
// numbered questions: such a run can only answer them in order.
func (s *segmenter) ordered() {
	numbered := 0
	for _, q := range s.qs {
		if q.Number > 0 {
			numbered++
		}
	}
	var blocks [][]int
	var cur []int
	prevBlank := false
	flush := func() {
		if len(cur) > 0 {
			blocks = append(blocks, cur)
		}
		cur = nil
	}
	for i, l := range s.lines {
		switch {
		case l.lab.bullet && l.cells == nil:
			cur = append(cur, i)
		case l.blank:
		case l.stop || l.lab.num > 0 || prevBlank || l.cells != nil:
			flush()
		}
		prevBlank = l.blank
		if len(blocks) > 100 {
			break
		}
	}
	flush()
	for _, b := range blocks {
		if len(b) != len(s.qs) && len(b) != numbered || len(b) < 2 {
			continue
		}
		g := s.group()
		k := 0
		for qi, q := range s.qs {
			if len(b) != len(s.qs) && q.Number == 0 {
				continue
			}
			s.add(unit{src: srcOrder, group: g, num: -(qi + 1), body: []string{s.lines[b[k]].lab.rest}, line: b[k]})
			k++
		}
	}
}

// words is question qi's words, for matchPrefix.
func (v *vocab) words(qi int) []string {
	return v.qwords[qi]
}

// prevText is the last line with text before line i, -1 when none.
func (s *segmenter) prevText(i int) int {
	for k := i - 1; k >= 0 && k > i-4; k-- {
		if !s.lines[k].blank {
			return k
		}
	}
	return -1
}

// endsSentence tells a line that ends with a sentence's punctuation.
func endsSentence(t string) bool {
	t = strings.TrimRight(t, " \"'”’)")
	return strings.HasSuffix(t, ".") || strings.HasSuffix(t, "?") || strings.HasSuffix(t, ":") || strings.HasSuffix(t, "!")
}

// hasItems tells a reply with numbered items.
func (s *segmenter) hasItems() bool {
	for _, u := range s.units {
		if u.src == srcItem && u.num > 0 {
			return true
		}
	}
	return false
}

// prose makes a unit of each sentence, outside every other unit, that says
// most of a question's distinctive words and holds a value of the
// question's type: "Pothole repairs in 2024 were carried out by A and B.",
// "The university's procurement policy is available at https://...".
// Such a unit answers only what nothing else did, and says so.
func (s *segmenter) prose() {
	covered := make([]bool, len(s.lines))
	for _, u := range s.units {
		if u.src == srcOrder {
			continue
		}
		for k := u.line; k < max(u.end, u.line+1) && k < len(covered); k++ {
			covered[k] = true
		}
	}
	g := 0
	for i := 0; i < len(s.lines); {
		l := s.lines[i]
		if l.blank || covered[i] || l.stop || l.cells != nil || l.lab.num > 0 || l.footnote {
			i++
			continue
		}
		var para []string
		j := i
		for ; j < len(s.lines) && j < i+40; j++ {
			n := s.lines[j]
			if n.blank || covered[j] || n.stop || n.cells != nil || n.lab.num > 0 || n.footnote || n.doc != l.doc {
				break
			}
			para = append(para, strings.TrimSpace(n.text))
		}
		for k, sent := range sentences(strings.Join(para, " ")) {
			if len(sent) < 20 || len(sent) > 600 {
				continue
			}
			// One question of each type the sentence holds a value of: "Our
			// contractor, Vantage Car Park Management, issued 14,208
			// notices" names the company and counts the notices.
			taken := map[int]bool{}
			for _, t := range s.types() {
				// The words first: reading a value costs more.
				qi, r, own := s.v.recallBest(sent, func(qi int) bool { return s.qs[qi].Type == t })
				if qi < 0 || r < s.proseNeed(qi, sent, own) || !proseValue(t, sent, k == 0) {
					continue
				}
				if g == 0 {
					g = s.group()
				}
				taken[qi] = true
				s.add(unit{src: srcProse, group: g, num: -(qi + 1), body: []string{sent}, line: i, end: j,
					note: "found in a sentence of the letter by the question's words (no number or label)", check: true})
			}
			// "As no agreements were signed, there were no agreements
			// connected with complaints, no payments were made and no
			// external legal advice was taken": each clause of nothing
			// answers its own question.
			for _, cl := range noneClauses(sent) {
				for _, t := range s.types() {
					if t == TypeText || t == TypeURL {
						continue
					}
					qi, r, own := s.v.recallBest(cl, func(qi int) bool { return s.qs[qi].Type == t && !taken[qi] })
					if qi < 0 || r < min(s.proseNeed(qi, cl, own), 0.3) || !proseValue(t, cl, false) {
						continue
					}
					if g == 0 {
						g = s.group()
					}
					taken[qi] = true
					s.add(unit{src: srcProse, group: g, num: -(qi + 1), body: []string{cl}, line: i, end: j,
						note: "found in a clause of the letter by the question's words (no number or label)", check: true})
				}
			}
		}
		i = max(j, i+1)
	}
}

// types are the types of the campaign's questions, each once, in order.
func (s *segmenter) types() []QuestionType {
	var out []QuestionType
	for _, q := range s.qs {
		if !slices.Contains(out, q.Type) {
			out = append(out, q.Type)
		}
	}
	return out
}

// proseNeed is how much of question qi a sentence must say to answer it.
func (s *segmenter) proseNeed(qi int, sent string, own bool) float64 {
	need := proseRecall[s.qs[qi].Type]
	if s.qs[qi].Type == TypeList && own {
		// "Our main providers were A, B, C and D": names after the
		// question's own word.
		if names := namesIn(sent, nil); len(names) >= 2 {
			if at := strings.Index(sent, names[0]); at > 0 && s.v.ownStemIn(sent[:at], qi) {
				need = 0.25
			}
		}
	}
	if s.qs[qi].Type == TypeText && s.qs[qi].Number == 0 && own {
		// A question asked after the numbered ones, answered in a
		// paragraph of its own: its own word and a third of the rest.
		need = 0.38
	}
	return need
}

// proseRecall is how much of a question a sentence must say, by the
// question's type: less where the value itself is rare in a letter (an
// address, an amount), more where figures and names are everywhere.
var proseRecall = map[QuestionType]float64{TypeURL: 0.25, TypeMoney: 0.3, TypeCount: 0.4, TypeList: 0.4, TypeText: 0.5}

// proseValue tells a sentence that holds a value of type t: a figure, an
// amount, an address, a name; for a text question, the first sentence of
// its paragraph.
func proseValue(t QuestionType, sent string, first bool) bool {
	if notHeld(sent) && t != TypeText {
		return true // a status is an answer of any type
	}
	switch t {
	case TypeCount:
		for _, c := range numberCandidates(sent) {
			if !c.year {
				return true
			}
		}
		return zeroSaid(sent)
	case TypeMoney:
		return len(moneyCandidates(sent)) > 0 || reNoSpend.MatchString(sent)
	case TypeURL:
		return reURL.MatchString(sent)
	case TypeList:
		return len(namesIn(sent, nil)) > 0 && nameIn(sent) != "" || noneUsed(sent)
	}
	return first
}

// noneClauses are the clauses of a sentence that each say there was none
// of something, when it has two or more: "no payments were made", "no
// external legal advice was taken".
func noneClauses(sent string) []string {
	lower := strings.ToLower(sent)
	if strings.Count(lower, "no ")+strings.Count(lower, "none") < 2 {
		return nil
	}
	var out []string
	for _, p := range reClauseBreak.Split(strings.TrimRight(sent, "."), -1) {
		p = strings.TrimSpace(p)
		l := strings.ToLower(p)
		if len(p) >= 12 && (strings.HasPrefix(l, "no ") || strings.HasPrefix(l, "there were no ") || strings.HasPrefix(l, "there was no ") || strings.HasPrefix(l, "none ")) {
			out = append(out, p)
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

var reClauseBreak = regexp.MustCompile(`,\s+(?:and\s+)?|\s+and\s+|;\s+`)
