package parser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// TestKeyedMatchIsThePattern: a keyed pattern, tried only where its keys
// and its starts are, finds what its pattern finds in the whole text, on
// every sentence of the test letters.
func TestKeyedMatchIsThePattern(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.eml")
	var sents []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(raw), "\n") {
			sents = append(sents, l, strings.ToLower(l))
		}
	}
	for _, s := range sents {
		checkKeyedMatch(t, s)
	}
}

func TestKeyedPatternsHaveStarts(t *testing.T) {
	// Not a rule, a measure: a pattern without starts is tried at every
	// byte of a text that holds its keys. Say which, so it is a choice.
	for name, k := range keyedPatterns {
		if k.starts == nil {
			t.Logf("pattern %s is tried everywhere: an alternative begins with something open", name)
		}
	}
}

func FuzzKeyedMatch(f *testing.F) {
	for _, s := range []string{"We do not hold this information.", "I am out of the office until Monday", "Please find attached our response", "No such records exist", "s.12 applies"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkKeyedMatch(t, s)
	})
}

func checkKeyedMatch(t *testing.T, s string) {
	t.Helper()
	for _, r := range s {
		if r > unicode.MaxASCII && unicode.SimpleFold(r) != r {
			// (?i) folds "K" (Kelvin) to "k"; keys are found in ASCII lower
			// case. Letters like these are not the words of the patterns.
			return
		}
	}
	lower := asciiLower(s)
	for name, k := range keyedPatterns {
		if got, want := k.match(s, lower), k.re.MatchString(s); got != want {
			t.Errorf("pattern %s on %q: keyed match %v, the pattern alone %v", name, s, got, want)
		}
	}
}
