package parser

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Helpers over the text of a message: sentences and words.

// hasAny tells whether s holds one of keys.
func hasAny(s string, keys []string) bool {
	for _, k := range keys {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

// sentences splits text into sentences, roughly: at ". ", "! ", "? " before a
// capital or digit, and at blank lines.
func sentences(s string) []string {
	var out []string
	for _, para := range strings.Split(s, "\n\n") {
		para = strings.Join(strings.Fields(para), " ")
		start := 0
		for i := 0; i+2 < len(para); i++ {
			c := para[i]
			if (c == '.' || c == '!' || c == '?') && para[i+1] == ' ' {
				n := para[i+2]
				if (n >= 'A' && n <= 'Z') || (n >= '0' && n <= '9') || n == '(' || n == '"' {
					w := lastWord(para[start : i+1])
					if isAbbrev(w) {
						continue
					}
					out = append(out, strings.TrimSpace(para[start:i+1]))
					start = i + 2
				}
			}
		}
		if t := strings.TrimSpace(para[start:]); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func lastWord(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexAny(s, " ("); i >= 0 {
		s = s[i+1:]
	}
	return strings.ToLower(s)
}

func isAbbrev(w string) bool {
	switch w {
	case "e.g.", "i.e.", "etc.", "st.", "mr.", "mrs.", "ms.", "dr.", "no.", "s.", "ss.", "ref.", "inc.", "ltd.", "co.", "vs.", "approx.", "para.", "sec.":
		return true
	}
	return len(w) == 2 && w[1] == '.' // an initial, "L."
}

// token is one word of a text with its byte offsets.
type token struct {
	w          string
	start, end int
}

// words splits s into lower-case words of letters and digits.
func words(s string, max int) []token {
	n := len(s)/6 + 1
	if max > 0 && n > max {
		n = max
	}
	out := make([]token, 0, n)
	// One lower-case copy, the words sliced from it; per word only where
	// lowering changes a rune's length ("İ").
	limit := len(s)
	if max > 0 {
		limit = min(limit, max*24) // the words asked for are near the start
	}
	for limit < len(s) && !utf8.RuneStart(s[limit]) {
		limit++
	}
	lower := strings.ToLower(s[:limit])
	same := len(lower) == limit
	word := func(a, b int) string {
		if same && b <= limit {
			return lower[a:b]
		}
		return strings.ToLower(s[a:b])
	}
	start := -1
	for i, r := range s {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r > 127 && isLetter(r)
		if alnum && start < 0 {
			start = i
		} else if !alnum && start >= 0 {
			out = append(out, token{word(start, i), start, i})
			start = -1
			if max > 0 && len(out) >= max {
				return out
			}
		}
	}
	if start >= 0 {
		out = append(out, token{word(start, len(s)), start, len(s)})
	}
	return out
}

func isLetter(r rune) bool {
	switch r {
	case '’', '‘', '–', '—', '“', '”', '£', '€', '•', '…':
		return false
	}
	return r > 127
}

func wordList(s string) []string {
	t := words(s, 0)
	out := make([]string, len(t))
	for i, x := range t {
		out[i] = x.w
	}
	return out
}

// matchPrefix finds how much of the start of s restates the question whose
// words are q. It returns the byte offset just after the last matched word, or
// -1 when s does not start with (most of) the question. Words may be missing
// or added here and there; the question's order must be kept.
func matchPrefix(s string, q []string) int {
	if len(q) == 0 {
		return -1
	}
	return matchTokens(words(s, 2*len(q)+8), q)
}

// matchTokens is matchPrefix over words already split.
func matchTokens(toks []token, q []string) int {
	end, _ := matchScore(toks, q)
	return end
}

// matchScore is matchTokens with how well the words matched: 1 when every
// word of the question is there in order, less for each one missing.
func matchScore(toks []token, q []string) (int, float64) {
	if len(q) == 0 || len(toks) == 0 {
		return -1, 0
	}
	// Quick rejection: one of the first two words must be one of the
	// question's first four.
	if !inFirst(toks[0].w, q) && (len(toks) < 2 || !inFirst(toks[1].w, q)) {
		return -1, 0
	}
	if len(toks) > 2*len(q)+8 {
		toks = toks[:2*len(q)+8]
	}
	j, matched, miss, bestMatched, bestEnd, skipped, bestSkipped := 0, 0, 0, 0, -1, 0, 0
	for _, t := range toks {
		if j >= len(q) {
			break
		}
		hit := false
		for k := j; k < len(q) && k < j+4; k++ {
			if sameWord(t.w, q[k]) {
				skipped += k - j
				j, hit = k+1, true
				break
			}
		}
		if hit {
			matched++
			miss = 0
			if matched > bestMatched {
				bestMatched, bestEnd, bestSkipped = matched, t.end, skipped
			}
			continue
		}
		miss++
		if miss > 2 || (matched == 0 && miss > 1) {
			break
		}
	}
	ratio := float64(bestMatched) / float64(len(q))
	if (ratio >= 0.6 && (bestMatched >= 2 || len(q) == 1)) || (bestMatched >= 5 && ratio >= 0.3) {
		return bestEnd, ratio - float64(bestSkipped)/float64(len(q))
	}
	return -1, 0
}

func inFirst(w string, q []string) bool {
	for k := 0; k < len(q) && k < 4; k++ {
		if sameWord(w, q[k]) {
			return true
		}
	}
	return false
}

// keyed is a pattern tried only on text that holds one of its keys (lower
// case): a cheap test before a costly pattern. A pattern may have several
// sets of keys (and): the text must hold a key of each. Every match of the
// pattern must hold a key of every set, or the test would hide it:
// TestKeyedPatternsHideNothing reads each pattern's syntax and fails on an
// alternative without one.
type keyed struct {
	re   *regexp.Regexp
	keys []string  // the first set, for the test
	sets []*keySet // every set

	// starts are the texts every match begins with, when the pattern's
	// syntax says them (nil when it does not): re is then tried only where
	// one is, as atStart at the start of the text and as atNext on the
	// text from the byte before, which it steps over, so that \b and ^
	// there read as they would in the whole text.
	starts          *keySet
	atStart, atNext *regexp.Regexp
}

// each calls f with every offset of lower where a key starts, in order,
// until f returns true.
func (ks *keySet) each(lower string, f func(int) bool) {
	for i := 0; i < len(lower); i++ {
		c := lower[i]
		if len(ks.by[c]) == 0 {
			continue
		}
		if i+1 < len(lower) {
			d := lower[i+1]
			if ks.second[c][d>>6]&(1<<(d&63)) == 0 {
				continue
			}
		}
		for _, key := range ks.by[c] {
			if strings.HasPrefix(lower[i:], key) {
				if f(i) {
					return
				}
				break
			}
		}
	}
}

// keySet finds any of its keys in one pass over a text: at each byte it
// tries only the keys that start with that byte and go on with the next.
type keySet struct {
	keys   []string
	by     [256][]string  // keys by their first byte
	second [256][4]uint64 // the second bytes of the keys by their first byte
}

func newKeySet(keys []string) *keySet {
	ks := &keySet{keys: keys}
	for _, key := range keys {
		ks.by[key[0]] = append(ks.by[key[0]], key)
		if len(key) > 1 {
			ks.second[key[0]][key[1]>>6] |= 1 << (key[1] & 63)
		}
	}
	// A key of one byte matches whatever follows it.
	for _, key := range keys {
		if len(key) == 1 {
			ks.second[key[0]] = [4]uint64{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
		}
	}
	return ks
}

// holds tells whether lower holds one of the keys.
func (ks *keySet) holds(lower string) bool {
	for i := 0; i+1 < len(lower); i++ {
		c, d := lower[i], lower[i+1]
		if ks.second[c][d>>6]&(1<<(d&63)) == 0 {
			continue
		}
		for _, key := range ks.by[c] {
			if strings.HasPrefix(lower[i:], key) {
				return true
			}
		}
	}
	if n := len(lower); n > 0 {
		for _, key := range ks.by[lower[n-1]] {
			if len(key) == 1 {
				return true
			}
		}
	}
	return false
}

// match reports whether s (whose lower-case form is lower) matches.
func (k *keyed) match(s, lower string) bool {
	if !k.holdsKey(lower) {
		return false
	}
	if k.starts == nil {
		return k.re.MatchString(s)
	}
	// Tried only where a match can begin: the pattern's own scan would
	// start it at every byte.
	found := false
	k.starts.each(lower, func(p int) bool {
		if p == 0 {
			found = k.atStart.MatchString(s)
		} else {
			found = k.atNext.MatchString(s[p-1:])
		}
		return found
	})
	return found
}

// holdsKey tells whether lower holds a key of every set.
func (k *keyed) holdsKey(lower string) bool {
	for _, ks := range k.sets {
		if !ks.holds(lower) {
			return false
		}
	}
	return true
}

// and adds a set of keys the text must also hold one of.
func (k *keyed) and(keys ...string) *keyed {
	k.sets = append(k.sets, newKeySet(keys))
	return k
}

// keyedPatterns lists every keyed pattern, for the test.
var keyedPatterns = map[string]*keyed{}

func newKeyed(name string, re *regexp.Regexp, keys ...string) *keyed {
	k := &keyed{re: re, keys: keys, sets: []*keySet{newKeySet(keys)}}
	if st := matchStarts(re); st != nil {
		k.starts = newKeySet(st)
		k.atStart = regexp.MustCompile(`^(?:` + re.String() + `)`)
		k.atNext = regexp.MustCompile(`^(?s:.)(?:` + re.String() + `)`)
	}
	keyedPatterns[name] = k
	return k
}

// matchStarts returns the texts, lower case, that every match of re begins
// with, read from its syntax: the pattern split into its alternatives, and
// each alternative's first parts expanded to the few texts they can match.
// nil when an alternative begins with something open ("\\w+", "\\d").
func matchStarts(re *regexp.Regexp) []string {
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, b := range alternatives(tree) {
		st := leadingTexts(b)
		if st == nil {
			return nil
		}
		for _, t := range st {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// alternatives splits n into the patterns it is the alternation of:
// "\\b(a|b)c" is "\\bac" and "\\bbc".
func alternatives(n *syntax.Regexp) []*syntax.Regexp {
	switch n.Op {
	case syntax.OpCapture:
		return alternatives(n.Sub[0])
	case syntax.OpAlternate:
		var out []*syntax.Regexp
		for _, s := range n.Sub {
			out = append(out, alternatives(s)...)
		}
		return out
	case syntax.OpConcat:
		for i, c := range n.Sub {
			if zeroWidth(c) {
				continue
			}
			inner := c
			for inner.Op == syntax.OpCapture {
				inner = inner.Sub[0]
			}
			if inner.Op != syntax.OpAlternate {
				break
			}
			var out []*syntax.Regexp
			for _, a := range alternatives(inner) {
				cat := &syntax.Regexp{Op: syntax.OpConcat, Flags: n.Flags}
				cat.Sub = append(cat.Sub, n.Sub[:i]...)
				cat.Sub = append(cat.Sub, a)
				cat.Sub = append(cat.Sub, n.Sub[i+1:]...)
				out = append(out, alternatives(cat)...)
			}
			return out
		}
	}
	return []*syntax.Regexp{n}
}

func zeroWidth(n *syntax.Regexp) bool {
	switch n.Op {
	case syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText, syntax.OpEmptyMatch:
		return true
	}
	return false
}

// leadingTexts returns the texts a match of n begins with: its first parts,
// as many as it takes for none of their texts to be empty, expanded.
func leadingTexts(n *syntax.Regexp) []string {
	parts := flatConcat(n, nil)
	prefix := []string{""}
	for _, p := range parts {
		e := finiteTexts(p, 64)
		if e == nil {
			return nil
		}
		var next []string
		for _, a := range prefix {
			for _, b := range e {
				next = append(next, a+b)
			}
		}
		if len(next) > 64 {
			return nil
		}
		prefix = next
		empty := false
		for _, t := range prefix {
			if t == "" {
				empty = true
			}
		}
		if !empty {
			return prefix
		}
	}
	return nil
}

// flatConcat appends the parts of n, a concatenation of concatenations
// and groups, in order.
func flatConcat(n *syntax.Regexp, out []*syntax.Regexp) []*syntax.Regexp {
	switch {
	case n.Op == syntax.OpConcat:
		for _, s := range n.Sub {
			out = flatConcat(s, out)
		}
		return out
	case n.Op == syntax.OpCapture && n.Sub[0].Op == syntax.OpConcat:
		return flatConcat(n.Sub[0], out)
	}
	return append(out, n)
}

// finiteTexts returns every text n can match, lower case, when there are
// at most most of them; nil otherwise. Zero-width parts match "".
func finiteTexts(n *syntax.Regexp, most int) []string {
	switch n.Op {
	case syntax.OpLiteral:
		for _, r := range n.Rune {
			if r > unicode.MaxASCII && unicode.SimpleFold(r) != r {
				return nil // "É": a key is found in text lower-cased as ASCII only
			}
		}
		return []string{strings.ToLower(string(n.Rune))}
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}
	case syntax.OpCapture:
		return finiteTexts(n.Sub[0], most)
	case syntax.OpQuest:
		e := finiteTexts(n.Sub[0], most-1)
		if e == nil {
			return nil
		}
		return append(e, "")
	case syntax.OpCharClass:
		var out []string
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Rune); i += 2 {
			for r := n.Rune[i]; r <= n.Rune[i+1]; r++ {
				if r > unicode.MaxASCII {
					return nil // the keys are found in ASCII lower case
				}
				t := strings.ToLower(string(r))
				if !seen[t] {
					seen[t] = true
					out = append(out, t)
				}
				if len(out) > most {
					return nil
				}
			}
		}
		return out
	case syntax.OpAlternate:
		var out []string
		for _, s := range n.Sub {
			e := finiteTexts(s, most-len(out))
			if e == nil {
				return nil
			}
			out = append(out, e...)
		}
		return out
	case syntax.OpConcat:
		out := []string{""}
		for _, s := range n.Sub {
			e := finiteTexts(s, most)
			if e == nil || len(out)*len(e) > most {
				return nil
			}
			var next []string
			for _, a := range out {
				for _, b := range e {
					next = append(next, a+b)
				}
			}
			out = next
		}
		return out
	}
	return nil
}
