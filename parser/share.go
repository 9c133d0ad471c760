package parser

import (
	"regexp"
	"sort"
	"strings"
)

// One answer given to several questions ("Questions 1 and 2: We received
// 412 claims, of which 57 were paid"; "1-3. The council received 412
// claims, 57 were paid, totalling £38,214.60") holds a value for each. It
// is read part by part: the answer is cut into clauses, each question with
// a typed value (a count, an amount, an address) takes the clause that
// holds such a value and says its words most, or, where words do not
// tell, the next such clause in the order of the questions; a list or a
// text takes what the others left. A question no clause answers reads the
// whole answer, as before.

// reClauseCut cuts an answer into clauses: at a sentence's end, a
// semicolon, a comma and its space (the comma of "38,214" has none), or
// a word that joins clauses ("412 were received and 57 paid"). A list
// cut so is whole again in what the typed questions leave.
var reClauseCut = regexp.MustCompile(`[.;:]\s+|,\s+|\s+(?:and|whilst|while|with)\s+`)

// clause is a part of a line of an answer.
type clause struct {
	line       int
	start, end int // in the line, the cut left out
	text       string
}

func clausesOf(body []string) []clause {
	var out []clause
	for i, l := range body {
		at := 0
		for _, m := range reClauseCut.FindAllStringIndex(l, -1) {
			if t := strings.TrimSpace(l[at:m[0]]); t != "" {
				out = append(out, clause{line: i, start: at, end: m[0], text: t})
			}
			at = m[1]
		}
		if t := strings.TrimSpace(l[at:]); t != "" {
			out = append(out, clause{line: i, start: at, end: len(l), text: t})
		}
	}
	return out
}

// shareOut reads the candidates cs, which all hold the same unit, each
// from its part of the unit's body.
func (al *aligner) shareOut(cs []candidate) {
	body := cs[0].u.body
	rows := 0
	for _, l := range body {
		if strings.Contains(l, " | ") {
			rows++
		}
	}
	if rows >= 2 {
		return // a table answers by its columns and rows, not by clauses
	}
	cls := clausesOf(body)
	if len(cls) < 2 {
		return
	}
	// What each clause says for each typed question, and how much of the
	// question's words it says.
	type pair struct {
		c, k  int // candidate, clause
		a     Answer
		score float64
	}
	var pairs []pair
	typed := 0
	for ci, c := range cs {
		t := al.s.qs[c.qi].Type
		if t != TypeCount && t != TypeMoney && t != TypeURL {
			continue
		}
		typed++
		for k, cl := range cls {
			a := al.rd.read(al.ctxs[c.qi], []string{cl.text})
			if a.Status == StatusUnanswered || a.Status == StatusAnswered && a.Value == nil {
				continue
			}
			pairs = append(pairs, pair{c: ci, k: k, a: a, score: al.ownWords(cl.text, c.qi, cs)})
		}
	}
	if typed == 0 || len(pairs) == 0 {
		return
	}
	// Words first: the pairs whose clause says its question's words, best
	// first; then order for the rest.
	sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].score > pairs[j].score })
	// A clause gives one value of each type: "57 were paid at a cost of
	// £38,214" answers a count and an amount.
	type use struct {
		t QuestionType
		k int
	}
	usedAs := map[use]bool{}
	used := make([]bool, len(cls))
	took := make([]int, len(cs)) // candidate -> clause+1
	read := make([]*Answer, len(cs))
	typeOf := func(ci int) QuestionType { return al.s.qs[cs[ci].qi].Type }
	take := func(p *pair) {
		took[p.c], read[p.c] = p.k+1, &p.a
		used[p.k], usedAs[use{typeOf(p.c), p.k}] = true, true
	}
	for i := range pairs {
		if p := &pairs[i]; p.score >= 0.2 && took[p.c] == 0 && !usedAs[use{typeOf(p.c), p.k}] {
			take(p)
		}
	}
	next := map[QuestionType]int{} // a type's clauses taken in order so far
	for ci := range cs {
		t := typeOf(ci)
		if took[ci] != 0 {
			next[t] = took[ci]
			continue
		}
		var first *pair
		for i := range pairs {
			if p := &pairs[i]; p.c == ci && p.k >= next[t] && !usedAs[use{t, p.k}] && (first == nil || p.k < first.k) {
				first = p
			}
		}
		if first != nil {
			take(first)
			next[t] = first.k + 1
		}
	}
	rest, any := leftOver(body, cls, used)
	for ci := range cs {
		c := &cs[ci]
		t := al.s.qs[c.qi].Type
		switch {
		case read[ci] != nil:
			c.a = *read[ci]
			c.why = "one answer given to several questions: this question's part of it read"
		case any && len(rest) > 0 && (t == TypeList || t == TypeText):
			c.a = al.rd.read(al.ctxs[c.qi], rest)
		}
		c.value = answerValue(c.a)
	}
}

// leftOver is what of body no typed question took (the clauses used
// says), as the reply wrote it, for a list or a text; any tells whether
// some clause was taken.
func leftOver(body []string, cls []clause, used []bool) (rest []string, any bool) {
	for i, l := range body {
		var b strings.Builder
		at := 0
		for k, cl := range cls {
			if cl.line != i || !used[k] {
				continue
			}
			any = true
			b.WriteString(l[at:cl.start])
			at = len(l)
			if k+1 < len(cls) && cls[k+1].line == i {
				at = cls[k+1].start
			}
		}
		b.WriteString(l[at:])
		if t := strings.TrimSpace(b.String()); t != "" {
			rest = append(rest, t)
		}
	}
	return rest, any
}

// ownWords is how much of clause's words are question qi's own among the
// questions of cs: the words they all share ("AFA incidents attended in
// 2024/25" of "How many AFA incidents ..." and "How many of the AFA
// incidents ... were false alarms?") tell neither; "false alarms" tells the
// second.
func (al *aligner) ownWords(clause string, qi int, cs []candidate) float64 {
	v := al.s.v
	var all, own float64
	seen := map[string]bool{}
	for _, st := range v.stems(clause) {
		x := v.w(st)
		all += x
		if seen[st] {
			continue
		}
		seen[st] = true
		if !v.qset[qi][st] && !v.prefixIn(st, qi) {
			continue
		}
		shared := false
		for _, c := range cs {
			if c.qi != qi && (v.qset[c.qi][st] || v.prefixIn(st, c.qi)) {
				shared = true
				break
			}
		}
		if !shared {
			own += x
		}
	}
	if all == 0 {
		return 0
	}
	return own / all
}
