package parser

import (
	"regexp"
	"strings"
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
	start := -1
	for i, r := range s {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r > 127 && isLetter(r)
		if alnum && start < 0 {
			start = i
		} else if !alnum && start >= 0 {
			out = append(out, token{strings.ToLower(s[start:i]), start, i})
			start = -1
			if max > 0 && len(out) >= max {
				return out
			}
		}
	}
	if start >= 0 {
		out = append(out, token{strings.ToLower(s[start:]), start, len(s)})
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
// case): a cheap test before a costly pattern. Every match of the pattern
// must hold a key, or the test would hide it: TestKeyedPatternsHideNothing
// reads each pattern's syntax and fails on an alternative without one.
type keyed struct {
	re   *regexp.Regexp
	keys []string
	by   [256][]string // keys by their first byte, for one pass over a text
}

// match reports whether s (whose lower-case form is lower) matches.
func (k *keyed) match(s, lower string) bool {
	return k.holdsKey(lower) && k.re.MatchString(s)
}

// holdsKey tells whether lower holds one of the keys: one pass over it,
// trying at each byte only the keys that start with it.
func (k *keyed) holdsKey(lower string) bool {
	for i := 0; i < len(lower); i++ {
		for _, key := range k.by[lower[i]] {
			if strings.HasPrefix(lower[i:], key) {
				return true
			}
		}
	}
	return false
}

// keyedPatterns lists every keyed pattern, for the test.
var keyedPatterns = map[string]*keyed{}

func newKeyed(name string, re *regexp.Regexp, keys ...string) *keyed {
	k := &keyed{re: re, keys: keys}
	for _, key := range keys {
		k.by[key[0]] = append(k.by[key[0]], key)
	}
	keyedPatterns[name] = k
	return k
}
