package parser

import (
	"regexp/syntax"
	"strings"
	"testing"
)

// TestKeyedPatternsHideNothing: a keyed pattern is tried only where one of
// its keys is, so every way it can match must hold a key. The pattern's
// syntax tree is read: a part with a small, finite set of texts holds a key
// if every one of them does; a concatenation if any run of its parts does;
// an alternation if every branch does; a repetition of at least once if
// its body does.
func TestKeyedPatternsHideNothing(t *testing.T) {
	for name, k := range keyedPatterns {
		re, err := syntax.Parse(k.re.String(), syntax.Perl)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, ks := range k.sets {
			checkKeys(t, name, re, ks.keys)
		}
	}
}

func checkKeys(t *testing.T, name string, re *syntax.Regexp, keys []string) {
	{
		c := keyCheck{keys: keys}
		top := re
		for {
			if top.Op == syntax.OpCapture {
				top = top.Sub[0]
				continue
			}
			if top.Op == syntax.OpConcat {
				// \b(...)\b: the one part that is not a boundary.
				var inner []*syntax.Regexp
				for _, c := range top.Sub {
					switch c.Op {
					case syntax.OpWordBoundary, syntax.OpBeginLine, syntax.OpBeginText, syntax.OpEndLine, syntax.OpEndText:
					default:
						inner = append(inner, c)
					}
				}
				if len(inner) == 1 {
					top = inner[0]
					continue
				}
			}
			break
		}
		if top.Op == syntax.OpAlternate {
			for _, b := range top.Sub {
				if !c.holds(b) {
					t.Errorf("pattern %s: the branch %s can match without any of its keys %q", name, b, keys)
				}
			}
		} else if !c.holds(top) {
			t.Errorf("pattern %s can match without any of its keys %q", name, keys)
		}
	}
}

type keyCheck struct{ keys []string }

// expand returns every text n can match when they are few and finite,
// lower case; nil otherwise.
func (c keyCheck) expand(n *syntax.Regexp) []string {
	const most = 512
	switch n.Op {
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(n.Rune))}
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}
	case syntax.OpCapture:
		return c.expand(n.Sub[0])
	case syntax.OpQuest:
		e := c.expand(n.Sub[0])
		if e == nil {
			return nil
		}
		return append(e, "")
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(n.Rune); i += 2 {
			for r := n.Rune[i]; r <= n.Rune[i+1]; r++ {
				out = append(out, strings.ToLower(string(r)))
				if len(out) > 12 {
					return nil
				}
			}
		}
		return out
	case syntax.OpRepeat:
		if n.Max < 0 || n.Max > 3 {
			return nil
		}
		body := c.expand(n.Sub[0])
		if body == nil {
			return nil
		}
		var out []string
		cur := []string{""}
		for k := 1; k <= n.Max; k++ {
			var next []string
			for _, a := range cur {
				for _, b := range body {
					next = append(next, a+b)
				}
			}
			if len(next)+len(out) > most {
				return nil
			}
			cur = next
			if k >= n.Min {
				out = append(out, cur...)
			}
		}
		if n.Min == 0 {
			out = append(out, "")
		}
		return out
	case syntax.OpAlternate:
		var out []string
		for _, s := range n.Sub {
			e := c.expand(s)
			if e == nil || len(out)+len(e) > most {
				return nil
			}
			out = append(out, e...)
		}
		return out
	case syntax.OpConcat:
		out := []string{""}
		for _, s := range n.Sub {
			e := c.expand(s)
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

func (c keyCheck) allHold(texts []string) bool {
	for _, t := range texts {
		if !hasAny(t, c.keys) {
			return false
		}
	}
	return true
}

func (c keyCheck) holds(n *syntax.Regexp) bool {
	if e := c.expand(n); e != nil {
		return c.allHold(e)
	}
	switch n.Op {
	case syntax.OpConcat:
		for i := range n.Sub {
			if c.holds(n.Sub[i]) {
				return true
			}
			// A run of parts from i on, expanded together.
			run := &syntax.Regexp{Op: syntax.OpConcat}
			for j := i; j < len(n.Sub); j++ {
				run.Sub = append(run.Sub, n.Sub[j])
				e := c.expand(run)
				if e == nil {
					break
				}
				if c.allHold(e) {
					return true
				}
			}
		}
		return false
	case syntax.OpAlternate:
		for _, s := range n.Sub {
			if !c.holds(s) {
				return false
			}
		}
		return true
	case syntax.OpCapture, syntax.OpPlus:
		return c.holds(n.Sub[0])
	case syntax.OpRepeat:
		return n.Min >= 1 && c.holds(n.Sub[0])
	}
	return false
}

// TestAnswerLabels: the forms of an answer's label, each read with the
// cheap test in front of the pattern, and lines that are not labels.
func TestAnswerLabels(t *testing.T) {
	for _, c := range []struct {
		in   string
		rest string // what follows the label; "-" for no label
	}{
		{"Answer: 5", "5"}, {"Response", ""}, {"Response:", ""}, {"Our response: none", "none"},
		{"A5. £27,480", "£27,480"}, {"A5 £27,480", "£27,480"}, {"A 5: twelve", "twelve"}, {"Reply - 12", "12"},
		{"Ateb / Answer: 7", "7"}, {"Ateb: 389 awr / Answer: 389 hours", "389 hours"}, {"- Answer: yes", "yes"},
		{"Council's response: 4", "4"}, {"Trust response: nil", "nil"}, {"Response to question 4: 12", "12"},
		{"Answer 3: £5", "£5"}, {"RESPONSE", ""}, {"Answers:", "-"},
		{"A good question", "-"}, {"A 12 month contract", "-"}, {"Response due: 4 June", "-"}, {"Reply to: Leah Smith", "-"},
		{"The answer is 12", "-"}, {"12 responses were received", "-"},
	} {
		at := answerLabel(c.in)
		got := "-"
		if at >= 0 {
			got = strings.TrimSpace(c.in[at:])
		}
		if got != c.rest {
			t.Errorf("answerLabel(%q): rest %q, want %q", c.in, got, c.rest)
		}
		if re := reAnswerLabel.FindStringIndex(c.in); (re != nil) != mayBeAnswerLabel(c.in) && re != nil {
			t.Errorf("%q: the pattern reads a label the cheap test hides", c.in)
		}
	}
}
