package parser

import (
	"regexp"
	"strconv"
	"strings"
)

// Finding the answer to each question in the text of a reply.

var (
	// reItem is a numbered item at the start of a line: "5.", "- 5.", "(5)",
	// "Q5", "Question 5:", "5 | ..." (a table row).
	reItem = regexp.MustCompile(`^\s*(?:[-–•*·▪◦o]\s+)?(?:(?i:question|q|request|item|part)\s*\.?\s*(\d{1,2})\b\s*[.):\-–]?|\(?(\d{1,2})\s*(?:[.)\]:]|\s+\||\t|\s{3,}|\s+[-–]\s)|\((\d{1,2})\))\s*(.*)$`)
	// reAnchor is a sentence that introduces the answers.
	reAnchor = regexp.MustCompile(`(can advise (you )?(of )?the following|(can|would like to|am able to|are able to|pleased to) (confirm|advise|provide|inform you of) the following|(response|answers?|reply|information)( to your (request|questions?))? (can be found|is|are) (set out |provided |detailed |given |shown |listed )?(below|as follows)|please (see|find) (below )?(our|the|my) (response|answers?|reply)|(our|the|my) (response|answers?|reply)( to (your|each|the) (request|questions?|points?))? (is|are) (set out )?(below|as follows)|^\s*(our )?(response|answers?|reply)\s*:?\s*$|respond(ed)? to each (of your )?(questions?|points?) (in turn|below))`)
	// reStop is a line where answers end: a sign-off or the usual paragraphs
	// on rights of review and copyright.
	reStop = regexp.MustCompile(`^\s*(yours (sincerely|faithfully)|kind regards|best regards|warm regards|regards,?\s*$|many thanks|with (kind|best) regards|if you are (dissatisfied|unhappy|not (satisfied|happy))|if you (wish|want) to (request|ask for|complain)|if you have any (further )?(queries|questions)|internal review\s*$|right (of|to) (appeal|complain|review)|your right|complaints? (procedure|rights)|copyright|the information (supplied|provided|released) to you)|\bprovides? you (with )?the right\b|\bhave the right to (ask|request|complain|appeal)\b`)
	// reAnswerLabel is "Answer:", "Response:", "A1." before an answer.
	reAnswerLabel   = regexp.MustCompile(`(?i)^\s*(?:answer|response|reply|our response|a\s*\d{0,2})\s*[:.\-–]\s*`)
	reAnswerLabelIn = regexp.MustCompile(`(?im)^\s*(?:answer|response|reply|our response|a\d{0,2})\s*[:.\-–]\s*`)
	// reLetterItem is an item labelled by a letter: "(a)", "a)", "b." —
	// lower case, a to l, as the parts of a request are lettered.
	reLetterItem = regexp.MustCompile(`^\s*(?:[-–•*·▪◦]\s+)?(?:\(([a-l])\)|([a-l])[.)])\s+(\S.*)$`)
	// reBullet is a bulleted line without a number.
	reBullet = regexp.MustCompile(`^\s*(?:[-–•*·▪◦➢►]|o\s)\s*(\S.*)$`)
)

var (
	keysStop   = []string{"yours", "regards", "many thanks", "dissatisfied", "unhappy", "not satisfied", "not happy", "wish to", "want to", "if you have any", "internal review", "right", "complain", "copyright", "information supplied", "information provided", "information released"}
	keysAnchor = []string{"the following", "below", "as follows", "please", "to each"}
)

func hasAny(s string, keys []string) bool {
	for _, k := range keys {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

// mayBeItem is a cheap test before reItem: how an item's line can start.
func mayBeItem(s string) bool {
	s = strings.TrimLeft(s, " \t")
	for _, b := range []string{"-", "–", "•", "*", "·", "▪", "◦", "o "} {
		if strings.HasPrefix(s, b) {
			s = strings.TrimLeft(s[len(b):], " \t")
			break
		}
	}
	if s == "" {
		return false
	}
	if c := s[0]; c >= '0' && c <= '9' || c == '(' {
		return true
	}
	l := asciiLower(s[:min(len(s), 9)])
	if len(l) > 1 && l[0] == 'q' && (l[1] >= '0' && l[1] <= '9' || l[1] == ' ' || l[1] == '.') {
		return true
	}
	return strings.HasPrefix(l, "question") || strings.HasPrefix(l, "request") || strings.HasPrefix(l, "item") || strings.HasPrefix(l, "part")
}

// line is one line of the text with what is known about it.
type line struct {
	text   string
	num    int    // item number, 0 when the line is not a numbered item
	letter bool   // the item is labelled by a letter ("(b)" is item 2)
	bullet bool   // an unnumbered bulleted line
	rest   string // the line after its number
	stop   bool
	anchor bool
	blank  bool
}

type item struct {
	line int
	num  int
}

// finder holds a text prepared for finding answers.
type finder struct {
	lines      []line
	questions  []Question
	qwords     [][]string
	unnumbered []int // line indexes that restate an unnumbered question
	restates   []int // per line: 1 + the index of the question it restates, or 0
	starts     []int // per line: 1 + the index of the question it starts with (best match), or 0
}

func newFinder(text string, qs []Question) *finder {
	f := &finder{questions: qs}
	raw := strings.Split(text, "\n")
	if len(raw) > 20000 {
		raw = raw[:20000]
	}
	raw = joinLayoutTables(joinLayoutRows(raw))
	f.lines = make([]line, len(raw))
	for i, t := range raw {
		l := line{text: t, blank: strings.TrimSpace(t) == ""}
		if mayBeItem(t) {
			if m := reItem.FindStringSubmatchIndex(t); m != nil && !decimalAt(t, m) {
				n := sub(t, m, 1) + sub(t, m, 2) + sub(t, m, 3)
				l.num, _ = strconv.Atoi(n)
				l.rest = sub(t, m, 4)
			}
		}
		if l.num == 0 && !l.blank {
			if m := reLetterItem.FindStringSubmatch(t); m != nil {
				l.num, l.letter, l.rest = int((m[1] + m[2])[0]-'a')+1, true, m[3]
			} else if m := reBullet.FindStringSubmatch(t); m != nil {
				l.bullet, l.rest = true, m[1]
			}
		}
		if !l.blank {
			lt := strings.ToLower(t)
			l.stop = hasAny(lt, keysStop) && reStop.MatchString(lt)
			l.anchor = (hasAny(lt, keysAnchor) || len(strings.TrimSpace(lt)) <= 16) && reAnchor.MatchString(lt)
		}
		f.lines[i] = l
	}
	f.qwords = make([][]string, len(qs))
	for i, q := range qs {
		f.qwords[i] = wordList(q.Text)
	}
	f.restates = make([]int, len(f.lines))
	f.starts = make([]int, len(f.lines))
	for i, l := range f.lines {
		if l.blank || l.num > 0 || len(l.text) < 8 {
			continue
		}
		// matchScore's own quick test, first, on the first two words only.
		head := words(l.text, 2)
		anyQ := false
		for qi := range qs {
			if len(head) > 0 && (inFirst(head[0].w, f.qwords[qi]) || len(head) > 1 && inFirst(head[1].w, f.qwords[qi])) {
				anyQ = true
				break
			}
		}
		if !anyQ {
			continue
		}
		toks := words(l.text, 60)
		best, bestScore, bestEnd := -1, 0.0, 0
		for qi := range qs {
			if end, score := matchScore(toks, f.qwords[qi]); end >= 0 && score > bestScore {
				best, bestScore, bestEnd = qi, score, end
			}
		}
		if best < 0 {
			continue
		}
		f.starts[i] = best + 1
		if restOfLineShort(l.text, bestEnd) || rowOfQuestion(l.text, bestEnd) {
			f.restates[i] = best + 1
			if qs[best].Number == 0 {
				f.unnumbered = append(f.unnumbered, i)
				f.lines[i].stop = false
			}
		}
	}
	return f
}

// rowOfQuestion tells a table row whose first cell is the question (the
// words matched end in it), whatever the length of the answer's cell.
func rowOfQuestion(s string, end int) bool {
	sep := strings.Index(s, " | ")
	return sep > 0 && end <= sep+1 && len(strings.TrimSpace(s[end:sep])) < sep/2+1
}

// sub is group g of a FindStringSubmatchIndex match m on s, "" when unset.
func sub(s string, m []int, g int) string {
	if m[2*g] < 0 {
		return ""
	}
	return s[m[2*g]:m[2*g+1]]
}

// decimalAt tells a number with a decimal point ("1.5 million") from an
// item number "1." followed by its text.
func decimalAt(s string, m []int) bool {
	for g := 1; g <= 3; g++ {
		if e := m[2*g+1]; m[2*g] >= 0 && e+1 < len(s) && s[e] == '.' && s[e+1] >= '0' && s[e+1] <= '9' {
			return true
		}
	}
	return false
}

// restOfLineShort tells a line that is (almost only) a question from one that
// restates it and goes on to answer.
func restOfLineShort(s string, end int) bool {
	return len(strings.Trim(s[end:], " .:?-–|")) < len(s)/2+1
}

func (f *finder) isUnnumbered(i int) bool {
	for _, u := range f.unnumbered {
		if u == i {
			return true
		}
	}
	return false
}

// runs groups numbered items into runs of rising numbers.
func (f *finder) runs() [][]item {
	var runs [][]item
	var cur []item
	for i, l := range f.lines {
		if l.num <= 0 {
			continue
		}
		if strings.TrimSpace(l.rest) == "" && ((len(cur) == 0 && l.num > 1) || (len(cur) > 0 && l.num != cur[len(cur)-1].num+1)) {
			// "12." alone on a line is an answer, not item 12.
			f.lines[i].num = 0
			continue
		}
		if len(cur) > 0 && (l.num <= cur[len(cur)-1].num || l.letter != f.lines[cur[len(cur)-1].line].letter || (l.num > cur[len(cur)-1].num+3 && questionByNumber(f.questions, l.num) < 0)) {
			runs = append(runs, cur)
			cur = nil
		}
		cur = append(cur, item{i, l.num})
	}
	if len(cur) > 0 {
		runs = append(runs, cur)
	}
	// A lettered run must start at "a" and have two items or more: "(c)"
	// alone is more likely a copyright line than part (c) of a request.
	out := runs[:0]
	for _, r := range runs {
		if !f.lines[r[0].line].letter || (r[0].num == 1 && len(r) >= 2) {
			out = append(out, r)
		}
	}
	return out
}

// bulletRuns returns the blocks of unnumbered bulleted lines that can be
// answers given in the order asked: as many bullets as questions (or as
// numbered questions), each item numbered by the question it would answer.
func (f *finder) bulletRuns() [][]item {
	var numbered []int
	for _, q := range f.questions {
		if q.Number > 0 {
			numbered = append(numbered, q.Number)
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
	for i, l := range f.lines {
		switch {
		case l.bullet:
			cur = append(cur, i)
		case l.blank:
		case l.stop || l.num > 0 || prevBlank:
			flush()
		}
		prevBlank = l.blank
		if len(blocks) > 100 {
			break
		}
	}
	flush()
	var runs [][]item
	for _, b := range blocks {
		var run []item
		switch {
		case len(b) == len(f.questions):
			for k, i := range b {
				run = append(run, item{i, -(k + 1)}) // by position
			}
		case len(b) == len(numbered):
			for k, i := range b {
				run = append(run, item{i, numbered[k]})
			}
		default:
			continue
		}
		runs = append(runs, run)
	}
	return runs
}

// content is the text of the item at line i: its line and the lines after
// it, up to the next item of the run (next) or, for the last item, a stop.
func (f *finder) content(i, next int, last bool) string {
	var b strings.Builder
	if f.lines[i].num > 0 || f.lines[i].bullet {
		b.WriteString(f.lines[i].rest)
	} else {
		b.WriteString(f.lines[i].text)
	}
	paras := 0
	for k := i + 1; k < len(f.lines) && (next < 0 || k < next); k++ {
		l := f.lines[k]
		if l.stop || l.anchor || f.isUnnumbered(k) || (last && (l.num > 0 || (l.bullet && !f.lines[i].bullet))) {
			break
		}
		if f.lines[i].num == 0 && f.restates[k] != 0 && f.restates[k] != f.restates[i] {
			break // the next question, restated without its number
		}
		if strings.Contains(f.lines[i].text, " | ") && strings.Contains(l.text, " | ") {
			break // the next row of a table
		}
		if l.blank {
			paras++
			if paras > 6 {
				break
			}
		}
		b.WriteByte('\n')
		b.WriteString(l.text)
	}
	return b.String()
}

// answerText strips the restated question from an item's content and returns
// what is left: the answer's words.
func answerText(content string, q []string, last bool) string {
	rem := content
	if end := matchPrefix(content, q); end >= 0 {
		rem = content[end:]
		// A table row "question | answer": the question's cell ends at the
		// first separator, however much of it the words matched.
		first := content
		if i := strings.IndexByte(first, '\n'); i >= 0 {
			first = first[:i]
		}
		if sep := strings.Index(first, " | "); sep >= 0 {
			rem = content[sep+3:]
		}
	} else if cells := splitCells(content); len(cells) > 1 {
		// A table row whose question cell is worded differently.
		rem = strings.Join(cells[1:], " | ")
	}
	rem = strings.TrimLeft(rem, " \t\n.:;?-–—|=)")
	if loc := reAnswerLabelIn.FindStringIndex(rem); loc != nil && strings.TrimSpace(rem[:loc[0]]) != "" && len(rem[:loc[0]]) < 400 {
		// "Question 5 ... (more question) ... Answer: 12"
		rem = rem[loc[1]:]
	}
	rem = reAnswerLabel.ReplaceAllString(rem, "")
	rem = strings.TrimSpace(strings.TrimLeft(rem, " \t\n.:;?-–—|="))
	if firstLine, _, _ := strings.Cut(rem, "\n"); strings.Contains(firstLine, " | ") {
		var cells []string
		for _, c := range splitCells(rem) {
			if c = strings.TrimSpace(c); c != "" && matchPrefix(c, q) < 0 {
				cells = append(cells, c)
			}
		}
		rem = strings.Join(cells, " | ")
	}
	paras := strings.Split(rem, "\n\n")
	keep := 6
	if last {
		keep = 2
	}
	if len(paras) > keep {
		paras = paras[:keep]
	}
	return strings.TrimSpace(strings.Join(paras, "\n\n"))
}

func splitCells(s string) []string {
	first := s
	if i := strings.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	if strings.Contains(first, " | ") {
		return strings.Split(first, " | ")
	}
	if strings.Contains(first, "\t") {
		return strings.FieldsFunc(first, func(r rune) bool { return r == '\t' })
	}
	return nil
}

// findAnswers returns one answer per question.
func findAnswers(text string, qs []Question) map[string]Answer {
	out := make(map[string]Answer, len(qs))
	for _, q := range qs {
		out[q.Key] = Answer{Status: StatusUnanswered, Text: ""}
	}
	if len(qs) == 0 || strings.TrimSpace(text) == "" {
		return out
	}
	f := newFinder(text, qs)
	firstAnchor := -1
	for i, l := range f.lines {
		if l.anchor {
			firstAnchor = i
			break
		}
	}

	// Score every run of numbered items by how many questions it answers;
	// the best one wins, a later one on a tie, one after the anchor first.
	type scored struct {
		answers map[string]Answer
		score   int
		after   bool
	}
	var best *scored
	runs := f.runs()
	nNumbered := len(runs)
	runs = append(runs, f.bulletRuns()...)
	for ri, run := range runs {
		if ri > 200 {
			break
		}
		if ri >= nNumbered && best != nil && best.score >= len(run) {
			continue // bullets could do no better than the numbered items
		}
		s := &scored{answers: map[string]Answer{}, after: firstAnchor >= 0 && run[0].line > firstAnchor}
		for k, it := range run {
			qi := questionByNumber(qs, it.num)
			if it.num < 0 {
				qi = -it.num - 1
			}
			if qi < 0 {
				continue
			}
			next, last := -1, k == len(run)-1
			if !last {
				next = run[k+1].line
			}
			a := answerFor(qs[qi], answerText(f.content(it.line, next, last), f.qwords[qi], last))
			if a.Status != StatusUnanswered {
				s.score++
				if it.num < 0 {
					a.Check, a.Why = true, "aligned by order alone: the reply gives its answers as unnumbered bullets"
				}
			}
			if _, dup := s.answers[qs[qi].Key]; !dup {
				s.answers[qs[qi].Key] = a
			}
		}
		switch {
		case s.score == 0:
		case ri >= nNumbered && best != nil && s.score <= best.score:
			// Bullets answer by position only: they must do better
			// than the numbered items.
		case best == nil:
			best = s
		case s.after && !best.after:
			best = s
		case s.after == best.after && s.score >= best.score:
			best = s
		}
	}
	if best != nil {
		for k, a := range best.answers {
			out[k] = a
		}
	}

	// Questions not answered by number: find them by their text, last
	// restatement first.
	from := 0
	if firstAnchor >= 0 {
		from = firstAnchor
	}
	for qi, q := range qs {
		if out[q.Key].Status != StatusUnanswered {
			continue
		}
		if q.Number > 0 && best != nil {
			if _, seen := best.answers[q.Key]; seen {
				continue // the run had this item, and it said nothing
			}
		}
		for i := len(f.lines) - 1; i >= from; i-- {
			l := f.lines[i]
			if l.blank || l.num > 0 || f.starts[i] != qi+1 {
				continue
			}
			next := len(f.lines)
			for k := i + 1; k < len(f.lines); k++ {
				if f.lines[k].num > 0 || (f.isUnnumbered(k) && k != i) {
					next = k
					break
				}
			}
			a := answerFor(q, answerText(f.content(i, next, true), f.qwords[qi], true))
			out[q.Key] = a
			break
		}
	}
	return out
}

func questionByNumber(qs []Question, n int) int {
	for i, q := range qs {
		if q.Number == n && n > 0 {
			return i
		}
	}
	return -1
}

// A table laid out in columns by pdftotext -layout: each row starts with a
// line holding the item's number and the row's cells, separated by runs of
// spaces, and may go on over the next lines, each cell's words under the
// start of its column:
//
//	1     The name of the service commissioned to      Fenland Stalking Clinic
//	      work with perpetrators of stalking
//
// joinLayoutRows writes each such row on one line, its cells joined by
// " | " ("1 | The name ... stalking | Fenland Stalking Clinic"), so that a
// question's wrapped words stay with the question and the answer's with
// the answer.

type layoutCell struct {
	col  int // rune column of the cell's first character
	text string
}

// layoutCells splits a line at runs of three spaces or more (or a tab).
func layoutCells(s string) []layoutCell {
	var out []layoutCell
	r := []rune(s)
	start, spaces := -1, 0
	for i := 0; i <= len(r); i++ {
		if i < len(r) && r[i] != ' ' && r[i] != '\t' {
			if start < 0 {
				start = i
			} else if spaces >= 3 {
				out = append(out, layoutCell{start, strings.TrimSpace(string(r[start:i]))})
				start = i
			}
			spaces = 0
			continue
		}
		if i < len(r) && r[i] == '\t' {
			spaces += 3
		} else {
			spaces++
		}
		if i == len(r) && start >= 0 {
			out = append(out, layoutCell{start, strings.TrimSpace(string(r[start:]))})
		}
	}
	return out
}

var reLayoutLabel = regexp.MustCompile(`^(?:(?i:q|question)\s*)?\(?\d{1,2}[.):]?$|^\(?[a-l][.)]$`)

func joinLayoutRows(lines []string) []string {
	if len(lines) > 20000 {
		return lines
	}
	var out []string
	changed := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.Contains(l, "   ") && !strings.Contains(l, "\t") {
			out = append(out, l)
			continue
		}
		cells := layoutCells(l)
		if len(cells) < 3 || !reLayoutLabel.MatchString(cells[0].text) {
			out = append(out, l)
			continue
		}
		texts := make([]string, len(cells))
		for c := range cells {
			texts[c] = cells[c].text
		}
		k := i + 1
		for ; k < len(lines) && k < i+12; k++ {
			next := lines[k]
			if strings.TrimSpace(next) == "" {
				break
			}
			nc := layoutCells(next)
			if len(nc) == 0 || nc[0].col < cells[1].col-1 {
				break // a new row, or text at the margin
			}
			for _, c := range nc {
				col := 1
				for j := 1; j < len(cells); j++ {
					if c.col >= cells[j].col-2 {
						col = j
					}
				}
				texts[col] = strings.TrimSpace(texts[col] + " " + c.text)
			}
		}
		out = append(out, strings.Join(texts, " | "))
		changed = true
		i = k - 1
	}
	if !changed {
		return lines
	}
	return out
}

// A table laid out in columns whose rows carry no item number (a Word
// table printed to PDF, or scanned): a question column and an answer
// column, each row a group of lines between blank lines, a cell's wrapped
// words under its first words:
//
//	Question                                 Response
//
//	Number of individuals who referred       None – the programme takes
//	themselves                               agency referrals only.
//
// joinLayoutTables writes each row on one line, its cells joined by " | "
// as a Word table's rows are extracted ("Number of ... themselves | None –
// the programme ... only."). A run of rows is a table only when at least
// two rows in a row start with two cells or more at the same columns (give
// or take 3 characters); a row whose first line does not fit them ends the
// table. Rows not separated by a blank line cannot be told from wrapped
// cells and are left as they are.
func joinLayoutTables(lines []string) []string {
	if len(lines) > 20000 {
		return lines
	}
	const slack = 3
	type row struct {
		start, end int // lines[start:end], no blank line
		cells      []layoutCell
	}
	// rowAt is the row starting at line i, if its first line has two cells
	// or more.
	rowAt := func(i int) (row, bool) {
		if !strings.Contains(lines[i], "   ") && !strings.Contains(lines[i], "\t") {
			return row{}, false
		}
		r := row{start: i, end: i + 1, cells: layoutCells(lines[i])}
		for r.end < len(lines) && r.end < i+12 && strings.TrimSpace(lines[r.end]) != "" {
			r.end++
		}
		return r, len(r.cells) >= 2 && !strings.Contains(lines[i], " | ")
	}
	fits := func(cells []layoutCell, cols []int) bool {
		if len(cells) != len(cols) {
			return false
		}
		for k, c := range cells {
			if c.col < cols[k]-slack || c.col > cols[k]+slack {
				return false
			}
		}
		return true
	}
	var out []string
	changed := false
	for i := 0; i < len(lines); {
		first, ok := rowAt(i)
		if !ok {
			out = append(out, lines[i])
			i++
			continue
		}
		cols := make([]int, len(first.cells))
		for k, c := range first.cells {
			cols[k] = c.col
		}
		rows := []row{first}
		for next := first.end; ; {
			j := next
			for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
				j++
			}
			if j == next || j >= len(lines) {
				break // no blank line before it, or the end
			}
			r, ok := rowAt(j)
			if !ok || !fits(r.cells, cols) {
				break
			}
			rows = append(rows, r)
			next = r.end
		}
		if len(rows) < 2 {
			out = append(out, lines[i])
			i++
			continue
		}
		for k, r := range rows {
			if k > 0 {
				out = append(out, lines[rows[k-1].end:r.start]...) // the blank lines
			}
			texts := make([]string, len(cols))
			for _, l := range lines[r.start:r.end] {
				for _, c := range layoutCells(l) {
					col := 0
					for j := range cols {
						if c.col >= cols[j]-slack {
							col = j
						}
					}
					texts[col] = strings.TrimSpace(texts[col] + " " + c.text)
				}
			}
			out = append(out, strings.Join(texts, " | "))
		}
		changed = true
		i = rows[len(rows)-1].end
	}
	if !changed {
		return lines
	}
	return out
}
