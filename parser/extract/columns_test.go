package extract

import (
	"strings"
	"testing"
)

// twoColumns lays out left and right side by side as pdftotext -layout
// prints a page set in two columns, the right one starting at column at.
func twoColumns(left, right []string, at int) string {
	var b strings.Builder
	for i := 0; i < max(len(left), len(right)); i++ {
		l, r := "", ""
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		line := l
		if r != "" {
			line += strings.Repeat(" ", at-len(l)) + r
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

func TestUnColumnReadsTwoColumnsOfProseOneAfterTheOther(t *testing.T) {
	left := []string{
		"The council has completed its searches for",
		"the information you requested on 3 May. Each",
		"question is repeated below, followed by our",
		"response.",
		"",
		"Question 1: How many trees did the council",
		"plant in 2023/24?",
		"The council planted 418 trees in 2023/24,",
		"against 390 the year before.",
		"",
		"Question 2: What did the council spend on",
		"planting trees in 2023/24?",
		"The total spend was £15,200.",
	}
	right := []string{
		"Question 3: Please name the contractors.",
		"Greenway Landscapes Ltd planted all of the",
		"trees under a contract that runs to 2026.",
		"",
		"Question 4: Please provide a link to the",
		"council's tree strategy.",
		"https://www.example.gov.uk/trees",
		"",
		"If you are unhappy with this response you",
		"may ask for an internal review within 40",
		"working days of the date of this letter.",
		"Yours sincerely,",
		"Information Governance Team",
	}
	got := unColumn(twoColumns(left, right, 50))
	want := strings.Join(left, "\n") + "\n\n" + strings.Join(right, "\n")
	words := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if words(got) != words(want) {
		t.Errorf("two columns of prose read as:\n%s\nwant the left column, then the right:\n%s", got, want)
	}
}

func TestUnColumnLeavesATableOfQuestionsAndAnswers(t *testing.T) {
	left := []string{
		"1. What was the council's     ",
		"total spend on planting in    ",
		"2023/24?                      ",
		"2. How many trees did the     ",
		"council plant in 2023/24?     ",
		"3. Please list the contractors",
		"that planted trees for the    ",
		"council.                      ",
		"4. Please provide a link to   ",
		"the council's tree strategy.  ",
		"5. How many newly planted     ",
		"trees died within a year?     ",
		"6. Please describe how trees  ",
		"are chosen.                   ",
	}
	right := []string{
		"£15,200 in total, of which the largest part",
		"was for street trees.",
		"",
		"418 trees were planted across the district",
		"in the year.",
		"Greenway Landscapes Ltd, Oakfield Tree Care",
		"and Birch and Sons Ltd",
		"",
		"https://www.example.gov.uk/trees",
		"",
		"31",
		"",
		"Species are chosen from the council's list",
		"for each street.",
	}
	page := twoColumns(left, right, 32)
	if got := unColumn(page); got != page {
		t.Errorf("a table of numbered questions and answers was taken for columns of prose:\n%s", got)
	}
}
