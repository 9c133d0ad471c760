package parser

import (
	"regexp"
	"slices"
	"testing"
)

// The hand-written scans stand for patterns; these tests hold them to the
// patterns' results, on examples and under the fuzzer.

var scanExamples = []string{
	"", "42", "1,234", "1,2345", "12,345,678.90", "1234,567", "3.14.15", "1.", ".5",
	"We received 1,032 requests in 2023/24 (section 12 applied to 14 of them).",
	"Call 01632 960 123 or +44 20 7946 0000; write to SW1A 1AA.",
	"On 12 September 2024 at 10.30am, 3 of 5 items; see Table 2 and 3; FY 23/24.",
	"Question 5 – 6 referrals, 24/7 cover, 1st April, March 2023, 2019-2020, 2024-03-31.",
	"a very long line of words with no figures at all until the end where one is 7",
	"£1,250.00 and €3 and $4 and 50% and 0% and Q1 and 5AF",
}

func TestDigitRunsAreReDigits(t *testing.T) {
	for _, s := range scanExamples {
		checkDigitRuns(t, s)
	}
}

func TestDigitWindowsFindEverySpan(t *testing.T) {
	for _, s := range scanExamples {
		checkWindows(t, s)
	}
}

func FuzzDigitScans(f *testing.F) {
	for _, s := range scanExamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkDigitRuns(t, s)
		checkWindows(t, s)
		if mayCite(s) == false && reSection.MatchString(s) {
			t.Errorf("mayCite(%q) = false, but a section is there: %q", s, reSection.FindString(s))
		}
	})
}

func checkDigitRuns(t *testing.T, s string) {
	t.Helper()
	want := reDigits.FindAllStringIndex(s, 50)
	got := digitRuns(s, 50)
	if len(want) != len(got) {
		t.Fatalf("digitRuns(%q) = %v, reDigits finds %v", s, got, want)
	}
	for i := range want {
		if want[i][0] != got[i][0] || want[i][1] != got[i][1] {
			t.Fatalf("digitRuns(%q) = %v, reDigits finds %v", s, got, want)
		}
	}
}

// checkWindows: every span a pattern finds in the whole text whose figure
// is among the first 50 is found in the windows too.
func checkWindows(t *testing.T, s string) {
	t.Helper()
	runs := digitRuns(s, 50)
	if len(runs) == 0 {
		return
	}
	last := runs[len(runs)-1][1]
	var got [][2]int
	for _, w := range digitWindows(s, runs) {
		for _, re := range []*regexp.Regexp{reDateSpan, reSectionSpan, rePhoneSpan, rePostcodeSpan} {
			for _, m := range re.FindAllStringIndex(s[w[0]:w[1]], 50) {
				got = append(got, [2]int{w[0] + m[0], w[0] + m[1]})
			}
		}
	}
	for _, re := range []*regexp.Regexp{reDateSpan, reSectionSpan, rePhoneSpan, rePostcodeSpan} {
		for _, m := range re.FindAllStringIndex(s, 50) {
			if m[0] >= last {
				continue
			}
			if !slices.Contains(got, [2]int{m[0], m[1]}) && !hasDigit(s[m[0]:m[1]]) {
				continue
			}
			if !slices.Contains(got, [2]int{m[0], m[1]}) {
				t.Errorf("%s finds %q at %v in %q; the windows %v miss it", re, s[m[0]:m[1]], m, s, digitWindows(s, runs))
			}
		}
	}
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigitByte(s[i]) {
			return true
		}
	}
	return false
}
