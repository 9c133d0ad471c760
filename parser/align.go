package parser

import (
	"fmt"
	"sort"
	"strings"
)

// Align: the third stage. Each group of units (a run of numbered items, a
// table, a run of labelled lines, the restated questions of a letter) is
// aligned to the campaign's questions: numbered units by their number,
// unless the words they restate say another question plainly; unnumbered
// ones by how well their words say a question (similar.go), in the order
// written, a question's type fitting what the unit holds; a run as many as
// the questions by its order alone, and that is said in `check`. Each
// aligned unit is then read (read.go), and each question takes the best
// answer any group gave it: the group that answers most, then one after
// the line that introduces the answers, then the later one (a letter that
// quotes the request before answering it).

// candidate is one unit read as the answer to one question.
type candidate struct {
	u     *unit
	qi    int
	a     Answer
	fit   float64 // how sure the alignment is, 0 to 1
	value float64 // how much of an answer it is, 0 to 1
	why   string  // why a person should check the alignment
}

// findAnswers returns one answer per question of asked, read from the
// documents of a reply (its body, then each attachment's text).
// notes gives the reply's sentences that cite an exemption, for a
// suppressed figure's footnote; it is called only when one is needed.
// found counts the answers with a value from a unit of the reply's
// structure, prose those from a sentence alone.
func findAnswers(docs []string, asked *Asked, notes func() []string) (answers map[string]Answer, found, prose int) {
	if len(asked.Questions) == 0 {
		return map[string]Answer{}, 0, 0
	}
	pr := prepare(asked)
	al := newAligner(newSegmenter(docs, asked, pr), &answerReader{period: pr.period, notesOf: notes}, pr.ctxs)
	// Three passes: the groups whose units the reply numbered; then the
	// groups aligned by their words, to the questions the first left
	// without an answer; then runs aligned by order alone and sentences
	// found by their words, to what is still unanswered.
	al.pass(func(u *unit) bool { return u.num > 0 }, nil)
	al.claimItemLines()
	al.pass(func(u *unit) bool { return u.num == 0 && u.src != srcProse }, func(qi int) bool { return al.best[qi] == nil || al.best[qi].value < 1 })
	al.pass(func(u *unit) bool { return u.num < 0 || u.src == srcProse }, func(qi int) bool { return al.best[qi] == nil })
	return al.answers(asked.Questions)
}

// aligner holds what the passes of findAnswers share: the units by group,
// every candidate read, and the best candidate of each question so far.
type aligner struct {
	s          *segmenter
	rd         *answerReader
	ctxs       []*qctx
	groups     map[int][]*unit
	order      []int // the groups in the order of their first unit
	cands      []candidate
	groupScore map[int]float64 // how much a group answers, over all its units
	best       []*candidate
	owner      map[int]int // line -> the question a numbered item there answered
}

func newAligner(s *segmenter, rd *answerReader, ctxs []*qctx) *aligner {
	al := &aligner{s: s, rd: rd, ctxs: ctxs, groups: map[int][]*unit{}, groupScore: map[int]float64{}, best: make([]*candidate, len(s.qs))}
	for i := range s.units {
		u := &s.units[i]
		if _, ok := al.groups[u.group]; !ok {
			al.order = append(al.order, u.group)
		}
		al.groups[u.group] = append(al.groups[u.group], u)
	}
	return al
}

// pass aligns the groups whose first unit take accepts, to the questions
// open accepts (nil: all), reads each candidate, and keeps the better
// ones.
func (al *aligner) pass(take func(*unit) bool, open func(qi int) bool) {
	var allowed []bool
	if open != nil {
		allowed = make([]bool, len(al.s.qs))
		for qi := range allowed {
			allowed[qi] = open(qi)
		}
	}
	start := len(al.cands)
	for _, g := range al.order {
		if !take(al.groups[g][0]) {
			continue
		}
		var cs []candidate
		for _, c := range al.s.align(al.groups[g], allowed) {
			if allowed != nil && !allowed[c.qi] || al.owned(&c) {
				continue
			}
			c.a = al.rd.read(al.ctxs[c.qi], c.u.body)
			c.value = answerValue(c.a)
			cs = append(cs, c)
		}
		for i := 0; i < len(cs); {
			j := i + 1
			for j < len(cs) && cs[j].u == cs[i].u {
				j++
			}
			if j-i > 1 && len(cs[i].u.nums) > 0 {
				al.shareOut(cs[i:j])
			}
			i = j
		}
		for _, c := range cs {
			if c.value > 0 {
				al.groupScore[g] += c.value * max(c.fit, 0.3)
			}
			al.cands = append(al.cands, c)
		}
	}
	for i := start; i < len(al.cands); i++ {
		c := &al.cands[i]
		if c.value == 0 {
			continue
		}
		if b := al.best[c.qi]; b == nil || better(c, b, al.groupScore) {
			al.best[c.qi] = c
		}
	}
}

// claimItemLines gives the lines of a numbered item that answered its
// question to that answer: a row of its table ("Trees | 275") answers no
// other.
func (al *aligner) claimItemLines() {
	al.owner = map[int]int{}
	for qi, c := range al.best {
		if c != nil && c.u.src == srcItem && c.value >= 1 {
			for k := c.u.line; k < c.u.end; k++ {
				al.owner[k] = qi
			}
		}
	}
}

// owned tells a candidate on lines another question's item holds.
func (al *aligner) owned(c *candidate) bool {
	qi, ok := al.owner[c.u.line]
	return ok && qi != c.qi
}

// answers makes the Answer of each question from its best candidate, the
// alignment's doubts added to the reading's.
func (al *aligner) answers(qs []Question) (out map[string]Answer, found, prose int) {
	out = make(map[string]Answer, len(qs))
	for _, q := range qs {
		out[q.Key] = Answer{Status: StatusUnanswered}
	}
	// A question no unit answered keeps the words one said of it, for a
	// person to read.
	for i := range al.cands {
		c := &al.cands[i]
		if al.best[c.qi] == nil && c.a.Text != "" && out[qs[c.qi].Key].Text == "" {
			a := c.a
			a.Status, a.Value = StatusUnanswered, nil
			out[qs[c.qi].Key] = a
		}
	}
	for qi, c := range al.best {
		if c == nil {
			continue
		}
		a := c.a
		why := c.why
		if why == "" && c.u.check {
			why = c.u.note
		}
		if why != "" && !a.Check {
			a.Check, a.Why = true, why
		} else if why != "" && a.Why != why {
			a.Why = why + "; " + a.Why
		}
		out[qs[qi].Key] = a
		switch {
		case answerValue(a) < 1:
			// words without a value do not make a reply a response
		case c.u.src == srcProse:
			prose++ // nor does a sentence alone
		default:
			found++
		}
	}
	return out, found, prose
}

// answerValue is how much of an answer a reading is: a typed value or a
// status the reply gave 1, words without a value of the type 0.3, nothing 0.
func answerValue(a Answer) float64 {
	switch {
	case a.Status == StatusUnanswered:
		return 0
	case a.Status != StatusAnswered || a.Value != nil:
		return 1
	}
	return 0.3
}

// better tells whether candidate c beats b for the same question.
func better(c, b *candidate, groupScore map[int]float64) bool {
	if weakSource(c.u.src) != weakSource(b.u.src) {
		return weakSource(b.u.src) // order or a sentence alone never beats words or numbers
	}
	// A group that answers more is likelier the reply's answers (not the
	// questions it quotes), up to three questions' worth: a long table
	// should not outweigh a plain match elsewhere.
	sc := c.value*1.5 + 2*c.fit + 0.4*min(groupScore[c.u.group], 3)
	sb := b.value*1.5 + 2*b.fit + 0.4*min(groupScore[b.u.group], 3)
	if c.u.after != b.u.after {
		if c.u.after {
			sc += 0.8
		} else {
			sb += 0.8
		}
	}
	if sc != sb {
		return sc > sb
	}
	return c.u.line > b.u.line
}

// weakSource tells units aligned without a number or a label: by order, or
// by a sentence's words.
func weakSource(s source) bool { return s == srcOrder || s == srcProse }

// align aligns the units of one group to questions; allowed, when not
// nil, says which questions are still to be answered.
func (s *segmenter) align(us []*unit, allowed []bool) []candidate {
	if len(us) == 0 {
		return nil
	}
	switch {
	case us[0].src == srcOrder:
		var out []candidate
		for _, u := range us {
			out = append(out, candidate{u: u, qi: -u.num - 1, fit: 0.2, why: "aligned by order alone: the reply gives its answers without numbers or the questions' words"})
		}
		return out
	case us[0].src == srcProse:
		var out []candidate
		for _, u := range us {
			out = append(out, candidate{u: u, qi: -u.num - 1, fit: 0.3, why: u.note})
		}
		return out
	case us[0].num > 0:
		return s.alignNumbered(us)
	}
	return s.alignByWords(us, allowed)
}

// alignNumbered aligns numbered items by their number, a letter by its
// place among the numbered questions; an item whose restated words say
// another question plainly, and not its own, goes to that one.
func (s *segmenter) alignNumbered(us []*unit) []candidate {
	// "1a.", "1b.", "2.": the reply grouped the questions its own way,
	// so its numbers are not the campaign's and its words weigh more.
	own := false
	for _, u := range us {
		own = own || u.sub
	}
	var numbered []int
	for i, q := range s.qs {
		if q.Number > 0 {
			numbered = append(numbered, i)
		}
	}
	var out []candidate
	used := map[int]bool{}
	for _, u := range us {
		qi := -1
		if u.letter {
			if u.num-1 < len(numbered) {
				qi = numbered[u.num-1]
			}
		} else {
			qi = questionByNumber(s.qs, u.num)
		}
		fit := 1.0
		why := ""
		lab := strings.TrimSpace(u.label)
		if lab == "" && len(u.body) > 1 && strings.TrimSpace(u.body[1]) == "" && !hasFigure(u.body[0]) {
			lab = strings.TrimSpace(u.body[0]) // "2. Complaints received in 2024." then the answer
		}
		if lab != "" {
			b, score, _ := s.v.best(lab)
			mine := 0.0
			if qi >= 0 {
				mine = s.v.sim(lab, qi)
			}
			margin := 0.3
			if own {
				margin = 0.05
			}
			switch {
			case b >= 0 && b != qi && score >= 0.5 && score > mine+margin && !used[b]:
				why = fmt.Sprintf("numbered %d in the reply, but its words are those of question %s", u.num, questionName(s.qs[b]))
				qi, fit = b, 0.7
			case qi < 0 && b >= 0 && score >= 0.5:
				qi, fit = b, 0.7
			}
		}
		if qi < 0 && !u.letter {
			// "7." where six questions were numbered and one asked after
			// them without a number: the reply numbered it on.
			if k := u.num - maxNumber(s.qs); k >= 1 && k <= len(s.unnumbered()) && !used[s.unnumbered()[k-1]] {
				qi, fit = s.unnumbered()[k-1], 0.6
				why = fmt.Sprintf("numbered %d in the reply: read as the question asked without a number after the numbered ones", u.num)
			}
		}
		if qi < 0 {
			continue
		}
		used[qi] = true
		out = append(out, candidate{u: u, qi: qi, fit: fit, why: why})
		for _, n := range u.nums {
			// "Questions 2, 3 and 4": one answer to each.
			if q := questionByNumber(s.qs, n); q >= 0 && !used[q] {
				used[q] = true
				out = append(out, candidate{u: u, qi: q, fit: fit, why: "one answer given to several questions"})
			}
		}
	}
	return out
}

// maxNumber is the highest number of the campaign's questions.
func maxNumber(qs []Question) int {
	n := 0
	for _, q := range qs {
		n = max(n, q.Number)
	}
	return n
}

// unnumbered are the questions asked without a number, in order.
func (s *segmenter) unnumbered() []int {
	var out []int
	for i, q := range s.qs {
		if q.Number == 0 {
			out = append(out, i)
		}
	}
	return out
}

func questionName(q Question) string {
	if q.Number > 0 {
		return fmt.Sprintf("%d (%s)", q.Number, q.Key)
	}
	return q.Key
}

// alignByWords aligns unnumbered units to questions by how well their
// words say each question, keeping the order written: the alignment with
// the greatest total similarity (a unit's type fitting its question's
// counts), each unit and each question used once.
func (s *segmenter) alignByWords(us []*unit, allowed []bool) []candidate {
	score := s.wordScores(us, allowed)
	out := s.alignInOrder(us, score)
	usedQ := map[int]bool{}
	for _, c := range out {
		usedQ[c.qi] = true
	}
	out = append(out, s.alignOutOfOrder(us, score, out, usedQ)...)
	out = append(out, s.alignBetween(us, allowed, out, usedQ)...)
	sort.SliceStable(out, func(a, b int) bool { return out[a].u.line < out[b].u.line })
	return out
}

// wordScores is how well each unit's label says each question allowed,
// weighed by whether its lines hold a value of that question's type; 0
// below a quarter.
func (s *segmenter) wordScores(us []*unit, allowed []bool) [][]float64 {
	score := make([][]float64, len(us))
	for i, u := range us {
		score[i] = make([]float64, len(s.qs))
		stems := s.v.stems(u.label)
		var h holds
		for j := range s.qs {
			if allowed != nil && !allowed[j] {
				continue
			}
			x := s.v.simStems(stems, j)
			if x < 0.25 {
				continue
			}
			if !h.known {
				h = holdsOf(u.body)
			}
			score[i][j] = x * h.fit(s.qs[j].Type)
			if (isTotalLabel(u.label) || u.summary) && (s.qs[j].Type == TypeCount || s.qs[j].Type == TypeMoney) {
				// "Total income" beside "Patient and visitor income": the
				// total says the question as well and answers it whole.
				score[i][j] *= 1.3
			}
		}
	}
	return score
}

// alignInOrder aligns units to questions keeping both orders, for the
// greatest total score (dynamic programming).
func (s *segmenter) alignInOrder(us []*unit, score [][]float64) []candidate {
	n, m := len(us), len(s.qs)
	// dp[i][j]: the best total aligning units[i:] with questions[j:].
	dp := make([][]float64, n+1)
	for i := range dp {
		dp[i] = make([]float64, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			v := max(dp[i+1][j], dp[i][j+1])
			if score[i][j] > 0 {
				v = max(v, score[i][j]+dp[i+1][j+1])
			}
			dp[i][j] = v
		}
	}
	var out []candidate
	for i, j := 0, 0; i < n && j < m; {
		switch {
		case score[i][j] > 0 && dp[i][j] == score[i][j]+dp[i+1][j+1]:
			c := candidate{u: us[i], qi: j, fit: min(1, score[i][j]+0.2)}
			// Unsure: a weak match, or one another question fits as well.
			second := 0.0
			for k := range s.qs {
				if k != j && score[i][k] > second {
					second = score[i][k]
				}
			}
			if score[i][j] < 0.4 || second > score[i][j]-0.05 && n > 1 {
				c.why = fmt.Sprintf("matched to this question by the words %q alone", shorten(strings.TrimSpace(us[i].label), 60))
			}
			out = append(out, c)
			i++
			j++
		case dp[i][j] == dp[i+1][j]:
			i++
		default:
			j++
		}
	}
	return out
}

// alignOutOfOrder takes a unit the alignment left out whose words say a
// question it left out plainly ("Prosecutions for non-compliance | 1",
// the last question asked, in the middle of a table).
func (s *segmenter) alignOutOfOrder(us []*unit, score [][]float64, aligned []candidate, usedQ map[int]bool) []candidate {
	usedU := map[*unit]bool{}
	for _, c := range aligned {
		usedU[c.u] = true
	}
	var out []candidate
	for i := range us {
		if usedU[us[i]] {
			continue
		}
		best := 0
		for j := range s.qs {
			if score[i][j] > score[i][best] {
				best = j
			}
		}
		second := 0.0
		for j := range s.qs {
			if j != best {
				second = max(second, score[i][j])
			}
		}
		if !usedQ[best] && score[i][best] >= 0.4 && second < score[i][best]-0.15 {
			usedQ[best] = true
			out = append(out, candidate{u: us[i], qi: best, fit: min(1, score[i][best]), why: fmt.Sprintf("matched by the words %q, out of the order of the questions", shorten(strings.TrimSpace(us[i].label), 60))})
		}
	}
	return out
}

// alignBetween takes a unit left out whose neighbours went to the
// questions either side of one left out, when it holds a value of that
// question's type ("BWV contract cost = £286,455" between the complaints
// and the suppliers).
func (s *segmenter) alignBetween(us []*unit, allowed []bool, aligned []candidate, usedQ map[int]bool) []candidate {
	qOf := map[*unit]int{}
	for _, c := range aligned {
		qOf[c.u] = c.qi
	}
	var out []candidate
	for i := 1; i+1 < len(us); i++ {
		if _, ok := qOf[us[i]]; ok {
			continue
		}
		before, okb := qOf[us[i-1]]
		after, oka := qOf[us[i+1]]
		if !okb || !oka || after != before+2 || usedQ[before+1] || allowed != nil && !allowed[before+1] {
			continue
		}
		j := before + 1
		if !holdsOf(us[i].body).valueOf(s.qs[j].Type) {
			continue
		}
		usedQ[j] = true
		out = append(out, candidate{u: us[i], qi: j, fit: 0.4, why: fmt.Sprintf("matched by its place between the answers to the questions before and after it (%q)", shorten(strings.TrimSpace(us[i].label), 60))})
	}
	return out
}

// holds is what a unit's lines hold, for typeFit.
type holds struct {
	known, url, money, count bool
}

func holdsOf(body []string) holds {
	text := strings.Join(body, " ")
	h := holds{known: true, url: reURL.MatchString(text), money: len(moneyCandidates(firstChars(text, 400))) > 0}
	for _, c := range numberCandidates(firstChars(text, 400)) {
		if !c.year {
			h.count = true
			break
		}
	}
	return h
}

// valueOf tells lines that hold a value a question of type t takes: an
// address, an amount, a figure; any words for a list or a text.
func (h holds) valueOf(t QuestionType) bool {
	switch t {
	case TypeURL:
		return h.url
	case TypeMoney:
		return h.money
	case TypeCount:
		return h.count && !h.money
	}
	return true
}

func (h holds) fit(t QuestionType) float64 {
	hasURL, hasMoney, hasCount := h.url, h.money, h.count
	switch t {
	case TypeURL:
		if hasURL {
			return 1.2
		}
		return 0.8
	case TypeMoney:
		if hasMoney {
			return 1.2
		}
		return 0.8
	case TypeCount:
		if hasCount && !hasMoney {
			return 1.1
		}
		if hasURL || hasMoney {
			return 0.7
		}
	case TypeList, TypeText:
		if hasURL || hasMoney {
			return 0.7
		}
	}
	return 1
}

func questionByNumber(qs []Question, n int) int {
	for i, q := range qs {
		if q.Number == n && n > 0 {
			return i
		}
	}
	return -1
}

func firstChars(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}
