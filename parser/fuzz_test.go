package parser

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var fuzzDate = time.Date(2024, 5, 3, 10, 0, 0, 0, time.UTC)

// Fuzz targets for the stages a reply's text goes through, each with what
// must hold of its result whatever the text: no panic, and values of the
// kind the stage promises.

var fuzzTexts = []string{
	"1. 1,240\n2. £18,500\n3. Greenway Ltd and Oakfield Ltd\n",
	"Question\tResponse\n1. Trees\tApril: 20\nMay: 30\nTotal: 50\n2. Spend\t£2,500\n",
	"| Year | 2022/23 | 2023/24 |\n|---|---|---|\n| Trees | 310 | 275 |\n",
	"Year        2022/23    2023/24\nTrees       310        275\nTotal       310        275\n",
	"> 1. How many?\n\nSeven.\n\n> 2. How much?\n\n£1.2m per annum\n",
	"Questions 2, 3 and 4 – not held.\n(5) fewer than 5 (s.40(2))\nQ6. A6. https://www.example.gov.uk/a-\nb.pdf",
	"You also asked whether the council has a policy. It does not have a policy.",
	"• A (B) Ltd\n• C & D\no E, F and G\n– H; I; J\n",
	"2021/22 - £3.1m / 2022/23 - £2.8m / 2023/24 - £2.4m\nJanuary 1,102\nQ1 2024/25 30\nTotal 14,820",
	"\u2029\n1.\u2028x\n\t\t\t|||\n   9    9    9\n",
}

func FuzzTabulate(f *testing.F) {
	for _, s := range fuzzTexts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 20000 {
			return
		}
		lines := strings.Split(s, "\n")
		for _, tl := range tabulate(lines, period{2023, 2024, true}) {
			if tl.cells != nil && len(tl.cells) < 2 {
				t.Fatalf("a row of %d cells: %q", len(tl.cells), tl.cells)
			}
			if utf8.ValidString(s) && !utf8.ValidString(tl.text) {
				t.Fatalf("invalid UTF-8 made of valid text: %q", tl.text)
			}
		}
	})
}

func FuzzItemLabel(f *testing.F) {
	for _, s := range []string{"1. x", "Q5:", "Questions 2, 3 and 4 - x", "(5 ) y", "question 6 of", "Cwestiwn 1 / Question 1", "a) b", "12.5", "- 3. z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l := itemLabel(s)
		if l.num < 0 {
			t.Fatalf("itemLabel(%q) numbered %d", s, l.num)
		}
		if l.num > 0 && !strings.Contains(s, l.rest) {
			t.Fatalf("itemLabel(%q) rest %q is not from the line", s, l.rest)
		}
		for _, n := range l.more {
			if n <= 0 {
				t.Fatalf("itemLabel(%q) more %v", s, l.more)
			}
		}
		answerLabel(s)
		askedLead(s)
	})
}

// FuzzValues reads one text as each type's value.
func FuzzValues(f *testing.F) {
	for _, s := range fuzzTexts {
		f.Add(s)
	}
	stems := map[string]bool{"tree": true, "plant": true, "spend": true}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 20000 {
			return
		}
		lines := strings.Split(s, "\n")
		if v, ok, _ := countIn(s, nil, stems); ok && v < 0 {
			t.Fatalf("countIn(%q) = %d", s, v)
		}
		if m, ok, _ := moneyIn(s, nil, stems, period{2023, 2024, true}); ok && (m.Amount < 0 || m.Currency == "") {
			t.Fatalf("moneyIn(%q) = %+v", s, m)
		}
		if items, ok := listIn(lines, stems); ok {
			for _, it := range items {
				if strings.TrimSpace(it) == "" {
					t.Fatalf("listIn(%q) gave an empty item: %q", s, items)
				}
			}
		}
		for _, it := range namesIn(s, stems) {
			if strings.TrimSpace(it) == "" {
				t.Fatalf("namesIn(%q) gave an empty name", s)
			}
		}
		perPeriod(lines, period{2023, 2024, true})
		perPeriod(lines, period{2024, 2024, false})
		partsTotal(lines)
		splitNote(s)
		exemption(s)
		notHeld(s)
		zeroSaid(s)
		findDue(s, fuzzDate)
		findReference("FOI "+firstChars(s, 40), s)
	})
}

// FuzzFindAnswers segments and aligns a text against a campaign: one
// answer per question, whatever the text.
func FuzzFindAnswers(f *testing.F) {
	for _, s := range fuzzTexts {
		f.Add(s)
	}
	asked := treeAsked()
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 20000 {
			return
		}
		answers, found, prose := findAnswers([]string{s}, asked, func() []string { return nil })
		if len(answers) != len(asked.Questions) {
			t.Fatalf("%d answers for %d questions", len(answers), len(asked.Questions))
		}
		if found < 0 || prose < 0 || found+prose > len(asked.Questions) {
			t.Fatalf("found %d, prose %d of %d questions", found, prose, len(asked.Questions))
		}
		for k, a := range answers {
			if a.Status == StatusAnswered && a.Value == nil && a.Text == "" {
				t.Fatalf("%s answered with neither value nor words", k)
			}
		}
	})
}
