package parser

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// The tests of this file read short replies on a subject none of the
// corpora has (trees a council planted), one behaviour each: how a count,
// a sum of money, a list, a status is read from the words authorities
// write. They go through Parse, as a reply does.

var treeQuestions = []Question{
	{Key: "planted", Number: 1, Type: TypeCount, Text: "The number of trees the council planted in 2023/24"},
	{Key: "spend", Number: 2, Type: TypeMoney, Text: "The total amount the council spent on planting trees in 2023/24"},
	{Key: "contractors", Number: 3, Type: TypeList, Text: "The names of the contractors that planted trees for the council"},
	{Key: "strategy", Number: 4, Type: TypeURL, Text: "A link to the council's tree strategy"},
	{Key: "losses", Number: 5, Type: TypeCount, Text: "The number of newly planted trees that died within a year"},
}

func treeAsked() *Asked {
	return &Asked{Title: "Tree planting 2023/24", Period: "2023/24", Questions: treeQuestions}
}

// show renders an answer compactly: "answered 42", "not_held",
// "exempt s.40(2)", "answered £1250/year", "answered [A | B]".
func show(a Answer) string {
	s := string(a.Status)
	switch v := a.Value.(type) {
	case nil:
	case int64:
		s += fmt.Sprintf(" %d", v)
	case Money:
		s += fmt.Sprintf(" £%g", v.Amount)
		if v.Period != "" {
			s += "/" + v.Period
		}
	case []string:
		s += " [" + strings.Join(v, " | ") + "]"
	case string:
		s += " " + v
	default:
		s += fmt.Sprintf(" %v", v)
	}
	if a.Exemption != "" {
		s += " " + a.Exemption
	}
	return s
}

func readTree(t *testing.T, body string) *Reply {
	t.Helper()
	raw := email("Subject: FOI 2024/311 Tree planting\n", body)
	r, err := Parse(context.Background(), raw, treeAsked(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type readCase struct {
	name string
	body string
	want map[string]string // key: show(answer); keys not named are not looked at
}

func runReadCases(t *testing.T, cases []readCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := readTree(t, c.body)
			for key, want := range c.want {
				if got := show(r.Answers[key]); got != want {
					t.Errorf("%s: %s; want %s (text %q, why %q)", key, got, want, r.Answers[key].Text, r.Answers[key].Why)
				}
			}
		})
	}
}

func TestReadingCounts(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "a figure after its number", body: "Dear Ms Smith\n\n1. 1,240\n2. £18,500\n\nYours sincerely\nFOI Team",
			want: map[string]string{"planted": "answered 1240"}},
		{name: "a figure in a sentence", body: "1. The council planted 312 trees in 2023/24.\n\nRegards",
			want: map[string]string{"planted": "answered 312"}},
		{name: "the year asked about is no count", body: "1. In 2023/24 we planted 85 trees.\n",
			want: map[string]string{"planted": "answered 85"}},
		{name: "a count in words", body: "1. Seven trees were planted.\n",
			want: map[string]string{"planted": "answered 7"}},
		{name: "none is zero", body: "1. None.\n",
			want: map[string]string{"planted": "answered 0"}},
		{name: "no trees were planted is zero", body: "1. No trees were planted in that year.\n",
			want: map[string]string{"planted": "answered 0"}},
		{name: "fewer than five is withheld", body: "5. Fewer than 5. We do not give exact figures below five as they could identify individuals (section 40(2)).\n",
			want: map[string]string{"losses": "exempt s.40(2)"}},
		{name: "figures per year take the year asked", body: "1. 2021/22: 140\n2022/23: 210\n2023/24: 198\n",
			want: map[string]string{"planted": "answered 198"}},
		{name: "a question restated then answered", body: "The number of trees the council planted in 2023/24\n\n402\n\nThe total amount the council spent on planting trees in 2023/24\n\n£9,800\n",
			want: map[string]string{"planted": "answered 402", "spend": "answered £9800"}},
		{name: "Q and A labels", body: "Q1. How many trees did the council plant in 2023/24?\nA1. 77\n\nQ2. How much was spent?\nA2. £4,000\n",
			want: map[string]string{"planted": "answered 77", "spend": "answered £4000"}},
		{name: "a label and a colon", body: "Trees planted: 640\nSpend on planting: £22,100\n",
			want: map[string]string{"planted": "answered 640", "spend": "answered £22100"}},
	})
}

func TestReadingMoney(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "pounds and pence", body: "2. £12,345.67\n",
			want: map[string]string{"spend": "answered £12345.67"}},
		{name: "thousands written k", body: "2. The council spent £45k.\n",
			want: map[string]string{"spend": "answered £45000"}},
		{name: "millions written m", body: "2. £1.2m\n",
			want: map[string]string{"spend": "answered £1.2e+06"}},
		{name: "nothing spent is zero", body: "2. Nil.\n",
			want: map[string]string{"spend": "answered £0"}},
		{name: "per year is kept", body: "2. £30,000 per annum\n",
			want: map[string]string{"spend": "answered £30000/year"}},
	})
}

func TestReadingLists(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "names on lines", body: "3. The contractors were:\nGreenway Landscapes Ltd\nOakfield Arboriculture\n",
			want: map[string]string{"contractors": "answered [Greenway Landscapes Ltd | Oakfield Arboriculture]"}},
		{name: "names in bullets", body: "3. We used these contractors:\n• Greenway Landscapes Ltd\n• Oakfield Arboriculture\n• Birch & Co\n",
			want: map[string]string{"contractors": "answered [Greenway Landscapes Ltd | Oakfield Arboriculture | Birch & Co]"}},
		{name: "names in a sentence", body: "3. Trees were planted by Greenway Landscapes Ltd and Oakfield Arboriculture.\n",
			want: map[string]string{"contractors": "answered [Greenway Landscapes Ltd | Oakfield Arboriculture]"}},
		{name: "one name", body: "3. Greenway Landscapes Ltd\n",
			want: map[string]string{"contractors": "answered [Greenway Landscapes Ltd]"}},
		{name: "planted by its own staff: no names", body: "3. The council does not use contractors; all trees were planted by our own staff.\n",
			want: map[string]string{"contractors": "answered []"}},
	})
}

func TestReadingStatuses(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "not held", body: "5. This information is not held. The council does not record whether newly planted trees survive.\n",
			want: map[string]string{"losses": "not_held"}},
		{name: "not recorded", body: "5. We do not record this.\n",
			want: map[string]string{"losses": "not_held"}},
		{name: "commercially sensitive", body: "2. The amount is withheld under section 43(2) as it is commercially sensitive.\n",
			want: map[string]string{"spend": "exempt s.43(2)"}},
		{name: "published already", body: "4. The strategy is published at https://www.example.gov.uk/trees/strategy and is exempt under section 21.\n",
			want: map[string]string{"strategy": "answered https://www.example.gov.uk/trees/strategy"}},
		{name: "a link alone", body: "4. https://www.example.gov.uk/tree-strategy\n",
			want: map[string]string{"strategy": "answered https://www.example.gov.uk/tree-strategy"}},
		{name: "a question not answered stays unanswered", body: "1. 50\n",
			want: map[string]string{"planted": "answered 50", "losses": "unanswered"}},
	})
}

func TestReadingTables(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "a pipe table of question and answer", body: "| Question | Response |\n|---|---|\n| 1 | 230 |\n| 2 | £5,000 |\n",
			want: map[string]string{"planted": "answered 230", "spend": "answered £5000"}},
		{name: "year columns take the year asked", body: "1.\nYear        2022/23    2023/24\nTrees       310        275\n",
			want: map[string]string{"planted": "answered 275"}},
		{name: "months summed by their total row", body: "1.\nApril      20\nMay        35\nJune       15\nTotal      70\n",
			want: map[string]string{"planted": "answered 70"}},
	})
}
