package parser

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/foiwatch/foiwatch/parser/extract"
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

func TestReadingChoices(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "the total among its parts", body: "1. 12 in total – 7 oaks, 1 ash, 3 limes and 1 beech.\n",
			want: map[string]string{"planted": "answered 12"}},
		{name: "the total after its parts", body: "1. We planted 60 street trees and 25 park trees, 85 trees in total.\n",
			want: map[string]string{"planted": "answered 85"}},
		{name: "the total amount after its parts", body: "2. Contractor costs were £8,200 and materials £1,300. The total was £9,500.\n",
			want: map[string]string{"spend": "answered £9500"}},
		{name: "the actual spend beside a budget", body: "2. The budget for 2023/24 was £12,000; actual spend was £11,250.50.\n",
			want: map[string]string{"spend": "answered £11250.5"}},
		{name: "the amount of the year asked beside several years", body: "2. Over the three years 2021 to 2024 we spent £30,000, of which £9,000 was in 2023/24.\n",
			want: map[string]string{"spend": "answered £9000"}},
		{name: "a list's names lose the sentence's article", body: "3. The council used the Greenway Partnership and Oakfield Arboriculture.\n",
			want: map[string]string{"contractors": "answered [Greenway Partnership | Oakfield Arboriculture]"}},
		{name: "a lead-in over two lines before one name a line", body: "3. Most planting is done by our own team, with help\nfrom two firms:\n\n    Greenway Landscapes Ltd\n    Oakfield Arboriculture\n",
			want: map[string]string{"contractors": "answered [Greenway Landscapes Ltd | Oakfield Arboriculture]"}},
	})
}

func TestReadingLayouts(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "answers under the quoted questions", body: "Dear Ms Smith,\n\nI have answered below each of your questions.\n\n> 1. The number of trees the council planted in 2023/24\n\nWe planted 418 trees.\n\n> 2. The total amount the council spent on planting trees in 2023/24\n\nThe cost was £15,200.\n\nRegards\n",
			want: map[string]string{"planted": "answered 418", "spend": "answered £15200"}},
		{name: "items that open with a heading", body: "Please see our response below.\n\n1. Trees. We planted 96 trees.\n2. Spend. The cost was £4,100.\n3. Contractors. All planting was by Greenway Landscapes Ltd.\n4. Strategy. It is at https://www.example.gov.uk/trees\n",
			want: map[string]string{"planted": "answered 96", "spend": "answered £4100"}},
		{name: "a question told in the letter's words", body: "1. 210\n2. £6,000\n\nYou also asked for a link to the council's tree strategy. The strategy is at https://www.example.gov.uk/tree-strategy\n",
			want: map[string]string{"planted": "answered 210", "strategy": "answered https://www.example.gov.uk/tree-strategy"}},
		{name: "a plain part's table whose cells hold lines", body: "Please find our response in the table below.\n\nQuestion\tResponse\n1. Trees planted\tApril–June: 20\nJuly–September: 30\nTotal: 50\n2. Spend\t£2,500\n",
			want: map[string]string{"planted": "answered 50", "spend": "answered £2500"}},
		{name: "a letter's head block answers nothing", body: "Request reference: FOI 2024/311\nCouncil: Greenway District Council\n\nThank you for your request, which we received on 3 May 2024. We will respond by 31 May 2024.\n",
			want: map[string]string{"contractors": "", "planted": ""}},
	})
}

func TestReadingKinds(t *testing.T) {
	for _, c := range []struct {
		name, headers, body string
		want                Kind
	}{
		{"a letter in paragraphs answering most questions", "", "Dear Ms Smith\n\nIn 2023/24 the council planted 512 trees across the district.\n\nThe total amount spent on planting trees was £21,400.\n\nOf the trees planted, 37 newly planted trees died within a year.\n\nThe tree strategy is published at https://www.example.gov.uk/trees.\n\nYours sincerely\nTrees Team", KindResponse},
		{"a newsletter that says nothing of a request", "List-Unsubscribe: <https://news.example.org/u>\nPrecedence: bulk\n", "TREE NEWS\n\n1. Councils planted 1.2m trees last year.\n2. £40m was spent on planting.\n\nUnsubscribe at any time.", KindOther},
		{"a case system's form with its subject saying it was received", "Auto-Submitted: auto-generated\n", "Case number:      FOI-24-0099\nRequest type:     Freedom of Information\nTarget date:      31/05/2024\n\nThis mailbox is not monitored.", KindAcknowledgement},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw := email(c.headers, c.body)
			switch c.want {
			case KindAcknowledgement:
				raw = []byte(strings.Replace(string(raw), "Subject: FOI", "Subject: Case FOI-24-0099 - we have received your request", 1))
			case KindOther:
				raw = []byte(strings.Replace(string(raw), "Subject: FOI", "Subject: Tree News, week 19", 1))
			}
			r, err := Parse(context.Background(), raw, treeAsked(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != c.want {
				t.Errorf("kind %s; want %s", r.Kind, c.want)
			}
		})
	}
}

func TestBounceCopyingTheMessageInItsText(t *testing.T) {
	raw := email("", "This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered.\n\n------ This is a copy of the message, including all the headers. ------\n\nFrom: r@example.org\nTo: foi@example.gov.uk\nSubject: FOI request\nMessage-ID: <req-42@example.org>\n\nDear FOI team,\n")
	raw = []byte(strings.Replace(string(raw), "From: A <a@example.gov.uk>", "From: Mail Delivery System <Mailer-Daemon@mx.example.gov.uk>", 1))
	r, err := Parse(context.Background(), raw, treeAsked(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != KindBounce {
		t.Errorf("kind %s; want bounce", r.Kind)
	}
	m, _ := Read(context.Background(), raw, nil)
	if len(m.Returned) != 1 || m.Returned[0] != "<req-42@example.org>" {
		t.Errorf("Returned = %q; want the copied message's id", m.Returned)
	}
}

// A table laid out in columns, as pdftotext -layout prints it, whose row
// goes on over a page break.
func TestReadingTableOverAPageBreak(t *testing.T) {
	doc := strings.Join([]string{
		"Please see our response in the table below.",
		"",
		" Your request                            Our response",
		"",
		" 1. The number of trees the council      By quarter:",
		" planted in 2023/24, and the number of   April – June 2023        9",
		extract.PageBreak,
		" them planted in parks                        July – September 2023    14",
		"                                              Total 2023/24            23",
		"",
		" 2. The total amount the council spent        £15,200 in total.",
		" on planting trees in 2023/24",
		"",
		" 3. The names of the contractors that         Greenway Landscapes Ltd",
		" planted trees for the council                Oakfield Arboriculture",
	}, "\n")
	answers, found, _ := findAnswers([]string{doc}, treeAsked(), func() []string { return nil })
	for key, want := range map[string]string{"planted": "answered 23", "spend": "answered £15200", "contractors": "answered [Greenway Landscapes Ltd | Oakfield Arboriculture]"} {
		if got := show(answers[key]); got != want {
			t.Errorf("%s: %s; want %s (text %q)", key, got, want, answers[key].Text)
		}
	}
	if found < 3 {
		t.Errorf("found %d answers", found)
	}
}

// The mechanism under it: a table laid out in columns is one table across
// a page break, where two blank lines would end it.
func TestTabulateGoesOnOverAPageBreak(t *testing.T) {
	rows := []string{
		" 1. The number of trees the council      418",
		" planted in 2023/24",
		"",
		" 2. The total amount the council spent   £15,200",
		" on planting trees in 2023/24",
	}
	tables := func(lines []string) map[int]bool {
		seen := map[int]bool{}
		for _, tl := range tabulate(lines, period{}) {
			if tl.table != 0 {
				seen[tl.table] = true
			}
		}
		return seen
	}
	withBreak := append(append(append([]string{}, rows[:2]...), extract.PageBreak), rows[3:]...)
	if n := len(tables(withBreak)); n != 1 {
		t.Errorf("over a page break: %d tables, want 1", n)
	}
	withBlanks := append(append(append([]string{}, rows[:2]...), "", ""), rows[3:]...)
	if n := len(tables(withBlanks)); n == 1 {
		t.Errorf("two blank lines did not end the table: the test shows nothing")
	}
}

func TestReadingMoreForms(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "roman numerals number the answers", body: "Please see our answers below.\n\n(i) 150\n\n(ii) £3,200\n\n(iii) Greenway Landscapes Ltd\n",
			want: map[string]string{"planted": "answered 150", "spend": "answered £3200", "contractors": "answered [Greenway Landscapes Ltd]"}},
		{name: "a table of records answers with its columns", body: "Please see the table below.\n\nContractor\tSite\tTrees\tCost (£)\nGreenway Landscapes Ltd\tParks\t120\t4,000\nOakfield Arboriculture\tStreets\t80\t2,500\nGreenway Landscapes Ltd\tSchools\t40\t1,200\nTotal\t\t240\t7,700\n",
			want: map[string]string{"planted": "answered 240", "contractors": "answered [Greenway Landscapes Ltd | Oakfield Arboriculture]"}},
		{name: "clauses of nothing answer their own questions", body: "Dear Ms Smith\n\nIn 2023/24 no trees were planted by the council, no money was spent on planting trees and no contractors planted trees for the council.\n\nRegards",
			want: map[string]string{"planted": "answered 0", "spend": "answered £0", "contractors": "answered []"}},
		{name: "information requested then response", body: "Information requested: the number of trees planted\nResponse: 66 trees.\n\nInformation requested: spend on planting\nResponse: £1,900.\n",
			want: map[string]string{"planted": "answered 66", "spend": "answered £1900"}},
		{name: "a question back to the requester answers nothing", body: "1. Do you mean street trees only, or park trees as well?\n2. £500\n3. Greenway Landscapes Ltd\n",
			want: map[string]string{"planted": "unanswered", "spend": "answered £500"}},
		{name: "a figure that is the first sentence alone", body: "1. 12. This excludes 4 trees planted by volunteers.\n",
			want: map[string]string{"planted": "answered 12"}},
	})
}

func TestReadingQuestionWords(t *testing.T) {
	asked := &Asked{Period: "2023/24", Questions: []Question{
		{Key: "who", Number: 1, Type: TypeText, Text: "Which company maintains the council's trees?"},
		{Key: "groups", Number: 2, Type: TypeList, Text: "Which groups of residents can ask for a free street tree?"},
	}}
	raw := email("", "1. Our own arboricultural team plans the work. Pruning and felling are carried out by Oakfield Arboriculture Ltd.\n\n2. Free street trees are offered to tenants of council homes, to residents of conservation areas and to schools.\n")
	r, err := Parse(context.Background(), raw, asked, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := show(r.Answers["who"]); got != "answered Oakfield Arboriculture Ltd" {
		t.Errorf("a question asking which company: %s", got)
	}
	if got := show(r.Answers["groups"]); got != "answered [tenants of council homes | residents of conservation areas | schools]" {
		t.Errorf("a question asking which groups: %s", got)
	}
}

// One answer given to several questions holds a value for each; each
// question takes its part.
func TestReadingOneAnswerToSeveralQuestions(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "questions 1 and 5 in one sentence, by their words",
			body: "Questions 1 and 5\nOf the trees planted in 2023/24, 212 died within a year; 3,400 were planted in all.\n\n3. Green Canopy Ltd\n",
			want: map[string]string{"planted": "answered 3400", "losses": "answered 212", "contractors": "answered [Green Canopy Ltd]"}},
		{name: "a numbered range, a count and an amount",
			body: "1-2. The council planted 3,400 trees, at a cost of £51,000.\n\n3. Green Canopy Ltd\n\n5. 212 trees died within a year.\n",
			want: map[string]string{"planted": "answered 3400", "spend": "answered £51000", "losses": "answered 212"}},
		{name: "Qs joined by an ampersand",
			body: "Q1 & Q2 - 3,400 trees were planted and the total spent was £51,000.\n\nQ3 - Green Canopy Ltd\n",
			want: map[string]string{"planted": "answered 3400", "spend": "answered £51000", "contractors": "answered [Green Canopy Ltd]"}},
		{name: "a count and the list that names them",
			body: "Questions 1 and 3: 3,400 trees were planted by Green Canopy Ltd and Oakfield Landscapes.\n",
			want: map[string]string{"planted": "answered 3400"}},
		{name: "a range of days is no label",
			body: "1. 3,400\n\n2-3 weeks passed before the contractors began.\n",
			want: map[string]string{"planted": "answered 3400", "spend": "unanswered"}},
		{name: "quarters are no label",
			body: "Q1-Q4 2023/24: 3,400 trees were planted.\n",
			want: map[string]string{"planted": "answered 3400"}},
	})
}

func TestReadingPartsOfAnItem(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "lettered lines under an item's lead are its list, not answers to questions 1 and 2",
			body: "1. 418\n\n3. The contractors were:\n   a) Greenway Landscapes Ltd\n   b) Oakfield Tree Care\n\n4. https://www.example.gov.uk/trees\n",
			want: map[string]string{"planted": "answered 418", "spend": "unanswered", "contractors": "answered [Greenway Landscapes Ltd | Oakfield Tree Care]"}},
		{name: "a list numbered inside Question N is the item's",
			body: "Question 3: The names of the contractors\nResponse:\n1. Greenway Landscapes Ltd\n2. Oakfield Tree Care\n3. Birch & Co\n\nQuestion 5: The number of newly planted trees that died\nResponse: 31\n",
			want: map[string]string{"planted": "unanswered", "contractors": "answered [Greenway Landscapes Ltd | Oakfield Tree Care | Birch & Co]", "losses": "answered 31"}},
		{name: "two labels of one answer",
			body: "1) 418\n2) £15,200\n3) Greenway Landscapes Ltd\n4) & 5) None - we have no strategy, and no newly planted trees died.\n",
			want: map[string]string{"planted": "answered 418", "losses": "answered 0"}},
	})
}

func TestReadingFiguresInSentences(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "the period asked among periods in one sentence",
			body: "1. In 2022/23 we planted 2,118 trees and in 2023/24 we planted 2,240.\n",
			want: map[string]string{"planted": "answered 2240"}},
		{name: "the part, not the whole it is of",
			body: "5. 212 of the 2,240 trees planted in 2023/24 died within a year (190 in 2022/23).\n",
			want: map[string]string{"losses": "answered 212"}},
		{name: "a figure written out with a comma",
			body: "1. Two thousand, four hundred and six (2,406).\n",
			want: map[string]string{"planted": "answered 2406"}},
	})
}

func TestReadingReferencesAndDueDates(t *testing.T) {
	for _, c := range []struct {
		name, body, ref, due string
	}{
		{"a reference 'for your request'", "Thank you for your email. Our reference for your request is GDC/1023/41.\n\nWe will reply by 30 October 2023.", "GDC/1023/41", "2023-10-30"},
		{"a target date 'for response' without an article", "Request reference: GDC-FOI-23-0312\nDate received: 02/10/2023\nTarget date for response: 30/10/2023\n", "GDC-FOI-23-0312", "2023-10-30"},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw := strings.Replace(string(email("", c.body)), "Subject: FOI", "Subject: FOI request acknowledgement", 1)
			r, err := Parse(context.Background(), []byte(raw), treeAsked(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Reference != c.ref || r.StatedDue != c.due {
				t.Errorf("reference %q due %q; want %q %q", r.Reference, r.StatedDue, c.ref, c.due)
			}
		})
	}
}

// A question's cell wrapped into the answer column with one space between
// (pdftotext -layout of a table whose cells are close): the answer's line
// is cut where its column starts.
func TestTabulateCutsACellWrappedIntoTheNextColumn(t *testing.T) {
	// Labels at column 1, questions at 8, answers at 46 and a list's at
	// 42; the question's third line runs to column 40, one space before
	// the list's third item.
	at := func(cells ...any) string {
		var b []byte
		for i := 0; i < len(cells); i += 2 {
			col, text := cells[i].(int), cells[i+1].(string)
			for len(b) < col {
				b = append(b, ' ')
			}
			b = append(b, text...)
		}
		return string(b)
	}
	lines := []string{
		at(1, "No.", 20, "Question", 45, "Response"),
		at(1, "1", 8, "The number of trees the council", 46, "418"),
		at(8, "planted in 2023/24"),
		at(1, "3", 8, "The names of the contractors", 42, "Greenway Landscapes Ltd"),
		at(8, "that planted trees for the", 42, "Oakfield Tree Care"),
		at(8, "council over the whole last", 42, "Birch and Sons Ltd"),
		at(1, "4", 8, "A link to the council's tree", 46, "https://www.example.gov.uk/trees"),
		at(8, "strategy"),
	}
	lines[5] = at(8, "council over the whole of last yr") + " Birch and Sons Ltd"
	var got string
	for _, tl := range tabulate(lines, period{}) {
		if strings.Contains(tl.text, "Oakfield") {
			got = tl.text
		}
	}
	if !strings.Contains(got, "Birch and Sons Ltd") || strings.Contains(got, "yr Birch") {
		t.Errorf("row of the contractors: %q; want its answer cell to hold Birch and Sons Ltd apart from the question", got)
	}
}

func TestReadingARepliesOwnNumbering(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "parts numbered 1a, 1b, then 2, 3: the words tell the question",
			body: "1a. Trees planted in 2023/24.\n\n418 trees were planted.\n\n1b. Spend on planting.\n\n£15,200.\n\n2. Contractors.\n\nGreenway Landscapes Ltd\n\n3. Strategy.\n\nhttps://www.example.gov.uk/trees\n\n4. Newly planted trees that died.\n\n31 died within a year.\n",
			want: map[string]string{"planted": "answered 418", "spend": "answered £15200", "contractors": "answered [Greenway Landscapes Ltd]", "strategy": "answered https://www.example.gov.uk/trees", "losses": "answered 31"}},
		{name: "a total before its parts after a colon",
			body: "2. £15,200 in total: saplings £9,000 and labour £6,200.\n",
			want: map[string]string{"spend": "answered £15200"}},
		{name: "a total before its parts after a dash",
			body: "2. Spend on planting in 23/24 was £15,200 in total - £9,000 on planting contracts and £6,200 on labour.\n",
			want: map[string]string{"spend": "answered £15200"}},
	})
}

func TestReadingListsUnderALead(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "a list numbered under a sentence's colon is a list, not answers 1 to 3",
			body: "Dear Ms Smith,\n\nThe council planted 418 trees in 2023/24.\n\nThe contractors that planted trees for the council this year were:\n\n1. Greenway Landscapes Ltd\n2. Oakfield Tree Care\n3. Birch and Sons Ltd\n\nRegards\n",
			want: map[string]string{"planted": "answered 418", "spend": "unanswered", "contractors": "answered [Greenway Landscapes Ltd | Oakfield Tree Care | Birch and Sons Ltd]"}},
		{name: "a name's spend after it is not the name",
			body: "3. Our contractors, by spend:\n  • Greenway Landscapes Ltd (£9,000)\n  • Oakfield Tree Care (£6,200)\n",
			want: map[string]string{"contractors": "answered [Greenway Landscapes Ltd | Oakfield Tree Care]"}},
		{name: "a sentence saying the list is not held names nothing",
			body: "3. Our finance system does not record which firms planted trees, so we are unable to identify which contractors were used. This information is not held.\n",
			want: map[string]string{"contractors": "not_held"}},
		{name: "ranks in a table's first column are no question numbers",
			body: "Question 3: contractors by spend\n\nRank | Contractor | Spend\n1 | Greenway Landscapes Ltd | £9,000\n2 | Oakfield Tree Care | £6,200\n3 | Birch and Sons Ltd | £2,000\n",
			want: map[string]string{"planted": "unanswered", "spend": "unanswered", "strategy": "unanswered"}},
	})
}

func TestReadingYearColumnsWithANote(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "the asked year's column though the last has a note",
			body: "Please see the table.\n\n | 2022/23 | 2023/24 | 2024/25 (to 30 April)\nTrees planted | 390 | 418 | 35\nNewly planted trees that died | 20 | 31 | 2\n",
			want: map[string]string{"planted": "answered 418", "losses": "answered 31"}},
	})
}

func TestReadingAPartRefusedByNumber(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "questions refused by their numbers in one sentence",
			body: "1. 418\n2. £15,200\n3. Greenway Landscapes Ltd\n\nTo answer questions 4 and 5 would exceed the appropriate limit under section 12 of the Act, as the records would have to be searched by hand.\n",
			want: map[string]string{"planted": "answered 418", "strategy": "exempt s.12", "losses": "exempt s.12"}},
	})
}

func TestReadingLetteredRestatedQuestions(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "a lettered part restating its question, the answer below it",
			body: "(a) The number of trees the council planted in 2023/24.\n418 trees were planted.\n\n(b) The amount spent on planting in 2023/24.\n£15,200.\n\n(c) The contractors that planted them.\nGreenway Landscapes Ltd, a company jointly owned by the Council, planted all of them.\n\n(d) A link to the strategy.\nhttps://www.example.gov.uk/trees\n\n(e) The number of newly planted trees that died within a year.\nNil. All of the trees survived.\n",
			want: map[string]string{"planted": "answered 418", "spend": "answered £15200", "contractors": "answered [Greenway Landscapes Ltd]", "losses": "answered 0"}},
	})
}

func TestReadingATableWithNotes(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "the column headed Response, not the notes after it",
			body: "Question | Response | Notes\n1. Trees planted in 2023/24 | 418 | Street trees and woodland\n2. Spend on planting | £15,200 | Net of VAT; includes 3 years of aftercare\n",
			want: map[string]string{"planted": "answered 418", "spend": "answered £15200"}},
		{name: "a list said to be elsewhere is not its words",
			body: "1. 418\n2. £15,200\n3. Please see the attached spreadsheet.\n",
			want: map[string]string{"contractors": "unanswered"}},
	})
}

func TestReadingAnExemptionNotApplied(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "an exemption named to say it is not applied",
			body: "Request:\nThe number of trees the council planted in 2023/24\nResponse:\nSection 43(2) is not applied to this part. We planted 418 trees.\n\nRequest:\nThe total amount the council spent on planting trees in 2023/24\nResponse:\n£15,200\n",
			want: map[string]string{"planted": "answered 418", "spend": "answered £15200"}},
	})
}

func TestReadingAWordTableWithNotes(t *testing.T) {
	runReadCases(t, []readCase{
		{name: "numbered rows, a Response column, Notes beside it and a cell merged down",
			body: "No. | Information requested | Response | Notes\n1 | Trees planted in 2023/24 | 418 | Street trees and woodland\n3 | Contractors | Greenway Landscapes Ltd | Planting of all sites\n |  | Oakfield Tree Care | Watering and aftercare\n",
			want: map[string]string{"planted": "answered 418", "contractors": "answered [Greenway Landscapes Ltd | Oakfield Tree Care]"}},
	})
}
