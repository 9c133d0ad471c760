package parser

import (
	"reflect"
	"testing"
	"time"
)

func TestParseCount(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"12.", 12, true},
		{"None, police referrals only.", 0, true},
		{"Nil", 0, true},
		{"zero", 0, true},
		{"No referrals were received", 0, true},
		{"The number is 11.", 11, true},
		{"The number 9", 9, true},
		{"14 (fourteen)", 14, true},
		{"eleven", 11, true},
		{"Twenty-one people", 21, true},
		{"Two (2)", 2, true},
		{"In 2022/23 there were 7 referrals", 7, true},
		{"1,204", 1204, true},
		{"fewer than 5", 0, false},
		{"Less than five", 0, false},
		{"between 10 and 20", 0, false},
		{"5-10", 0, false},
		{"see attached", 0, false},
		{"One of the partners referred", 0, false},
	} {
		got, ok := parseCount(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("parseCount(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseMoney(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Money
		ok   bool
	}{
		{"£125,000 per annum.", Money{125000, "GBP", "year"}, true},
		{"£1.2m", Money{1200000, "GBP", ""}, true},
		{"£85,500.00 per year", Money{85500, "GBP", "year"}, true},
		{"£60k over three years", Money{60000, "GBP", ""}, true},
		{"The annual budget is GBP 240,000", Money{240000, "GBP", "year"}, true},
		{"40,000 pounds a year", Money{40000, "GBP", "year"}, true},
		{"£2 million p.a.", Money{2000000, "GBP", "year"}, true},
		{"not known", Money{}, false},
	} {
		got, ok := parseMoney(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("parseMoney(%q) = %+v, %v; want %+v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseList(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"Police referrals only.", []string{"Police"}},
		{"Office of the Police and Crime Commissioner for Norfolk.", []string{"Office of the Police and Crime Commissioner for Norfolk"}},
		{"The name of the organisations who have made referral are Social Care (North), Police, Early Help, Children and Family Wellbeing Service", []string{"Social Care (North)", "Police", "Early Help", "Children and Family Wellbeing Service"}},
		{"Police and Probation", []string{"Police", "Probation"}},
		{"Police, Probation and Adult Social Care", []string{"Police", "Probation", "Adult Social Care"}},
		{"Police; Probation; Housing", []string{"Police", "Probation", "Housing"}},
		{"- Police\n- Probation\n- Refuge", []string{"Police", "Probation", "Refuge"}},
		{"Office of the Police, Fire and Crime Commissioner", []string{"Office of the Police, Fire and Crime Commissioner"}},
		{"Drug and Alcohol Recovery Service", []string{"Drug and Alcohol Recovery Service"}},
	} {
		if got := parseList(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseList(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}

func TestAnswerFor(t *testing.T) {
	count := Question{Key: "n", Number: 2, Type: TypeCount, Text: "The number of people"}
	for _, c := range []struct {
		in        string
		status    Status
		value     any
		exemption string
		note      string
	}{
		{"", StatusUnanswered, nil, "", ""},
		{"The number is 127 (although this is the total number referred into the service", StatusAnswered, int64(127), "", "although this is the total number referred into the service"},
		{"This information is not held.", StatusNotHeld, nil, "", ""},
		{"We do not hold this information", StatusNotHeld, nil, "", ""},
		{"Fewer than five; withheld under section 40(2) of the Act", StatusExempt, nil, "s.40(2)", ""},
		{"<5 (exempt, s.40(2))", StatusExempt, nil, "s.40(2)", ""},
		{"fewer than 5", StatusAnswered, nil, "", ""},
	} {
		a := answerFor(count, c.in)
		if a.Status != c.status || !reflect.DeepEqual(a.Value, c.value) || a.Exemption != c.exemption || a.Note != c.note {
			t.Errorf("answerFor(%q) = %+v; want %s %v %q %q", c.in, a, c.status, c.value, c.exemption, c.note)
		}
	}
	text := Question{Key: "p", Number: 1, Type: TypeText, Text: "The name of the programme"}
	if a := answerFor(text, "The Programme is called the Safe Steps Programme – North"); a.Value != "Safe Steps Programme – North" {
		t.Errorf("text value %q", a.Value)
	}
	url := Question{Key: "u", Type: TypeURL, Text: "Link"}
	if a := answerFor(url, "See https://example.org/eval.pdf."); a.Value != "https://example.org/eval.pdf" {
		t.Errorf("url value %q", a.Value)
	}
}

func TestFindReference(t *testing.T) {
	for _, c := range []struct{ subject, body, want string }{
		{"RE: Request [FOI/OPCCN/239]", "", "FOI/OPCCN/239"},
		{"FOI 00019-23 - Programme", "Our ref: 00019-23 – Doc 832-21\nDate: 24/8/23", "00019-23"},
		{"Your request", "Reference: RFI-2023-0412", "RFI-2023-0412"},
		{"FOI 2023/1187", "", "FOI 2023/1187"},
		{"Request", "Our Ref: OPCC/FOI/23/064", "OPCC/FOI/23/064"},
		{"Programme 2022/23", "Date: 24/8/23. Telephone: 01953 424455. NR18 0WW", ""},
		{"Freedom of Information request: Programme 2022/2023", "questions 1. and 2.", ""},
		{"Request", "Your request has been logged under reference ABC123.", "ABC123"},
	} {
		if got := findReference(c.subject, c.body); got != c.want {
			t.Errorf("findReference(%q, %q) = %q; want %q", c.subject, c.body, got, c.want)
		}
	}
}

func TestFindDue(t *testing.T) {
	sent := time.Date(2024, 5, 20, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct{ in, want string }{
		{"We will respond no later than 17 June 2024.", "2024-06-17"},
		{"a response by 17/06/2024", "2024-06-17"},
		{"on or before the 17th June", "2024-06-17"},
		{"by Monday 17th of June 2024", "2024-06-17"},
		{"by June 17, 2024", "2024-06-17"},
		{"The due date for your request is 2024-06-17", "2024-06-17"},
		{"which we received on 20 May 2024", ""},
		{"by 1 January 2020", ""},
	} {
		if got := findDue(c.in, sent); got != c.want {
			t.Errorf("findDue(%q) = %q; want %q", c.in, got, c.want)
		}
	}
	// The year is inferred forward across a new year.
	if got := findDue("by 10 January", time.Date(2023, 12, 12, 0, 0, 0, 0, time.UTC)); got != "2024-01-10" {
		t.Errorf("year rollover: %q", got)
	}
}

func TestFindDueAfterWorkingDays(t *testing.T) {
	sent := time.Date(2024, 5, 20, 9, 0, 0, 0, time.UTC)
	if got := findDue("We will reply within 20 working days, i.e. 17 June 2024.", sent); got != "2024-06-17" {
		t.Errorf("got %q", got)
	}
}

func TestParseListAnd(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"Probation and Social Services", []string{"Probation", "Social Services"}},
		{"Police, Victim Support and Probation", []string{"Police", "Victim Support", "Probation"}},
		{"Victim Support and Probation", []string{"Victim Support", "Probation"}},
		{"Police and Crime Commissioner", []string{"Police and Crime Commissioner"}},
		{"The Police and Crime Commissioner and the Home Office", []string{"The Police and Crime Commissioner", "the Home Office"}},
		{"GPs, Mental Health Liaison and Diversion and HM Prison and Probation Service", []string{"GPs", "Mental Health Liaison and Diversion", "HM Prison and Probation Service"}},
		{"Referrals were received from Eastwater Police, the National Probation Service and Eastwater Children and Family Services.", []string{"Eastwater Police", "the National Probation Service", "Eastwater Children and Family Services"}},
		{"Health and Social Care", []string{"Health and Social Care"}},
		{"Northmoor Police, Northmoor Probation Delivery Unit and Stalking Advocacy Service", []string{"Northmoor Police", "Northmoor Probation Delivery Unit", "Stalking Advocacy Service"}},
		{"Barnardo's, Relate and Respect", []string{"Barnardo's", "Relate", "Respect"}},
		{"Police, Drug and Alcohol Service", []string{"Police", "Drug and Alcohol Service"}},
		{"Department for Work and Pensions", []string{"Department for Work and Pensions"}},
		{"police and children's services", []string{"police", "children's services"}},
		{"Fire and Rescue Service and Police", []string{"Fire and Rescue Service", "Police"}},
		{"Safeguarding Adults Board & Community Safety Partnership", []string{"Safeguarding Adults Board", "Community Safety Partnership"}},
	} {
		if got := parseList(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseList(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}

func TestParseTextName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Avonvale Stalking Advocacy and Intervention Programme, delivered by Cranmore Women's Aid.", "Avonvale Stalking Advocacy and Intervention Programme"},
		{"The OPCC commissions the Turning Point Stalking Intervention, which is delivered in partnership with Eastwater Police.", "Turning Point Stalking Intervention"},
		{"The Compass Programme.", "The Compass Programme"},
		{"Westfold does not commission a dedicated service.", "Westfold does not commission a dedicated service"},
	} {
		if got := parseText(c.in); got != c.want {
			t.Errorf("parseText(%q) = %q; want %q", c.in, got, c.want)
		}
	}
	for _, c := range []struct{ subject, body, want string }{
		{"RE: FOI", "Freedom of Information Act 2000 - Request ID: 12345", "12345"},
		{"RE: FOI", "Case number: 12345 Tel: 0116 222 2222", "12345"},
		{"RE: FOI", "Question 12: the number of referrals", ""},
	} {
		if got := findReference(c.subject, c.body); got != c.want {
			t.Errorf("findReference(%q, %q) = %q; want %q", c.subject, c.body, got, c.want)
		}
	}
}

func TestBulletsByPosition(t *testing.T) {
	qs := testQuestions(t)
	// Seven bullets: as many as the numbered questions, so the unnumbered
	// "link to evaluation" is left out.
	text := "Our response is as follows:\n\n- Safe Steps\n- 4\n- 12\n- 9\n- Police and Probation\n- The OPCC\n- £40,000\n\nYours sincerely"
	got := findAnswers(text, qs)
	if got["completions"].Value != int64(9) || got["evaluation"].Status != StatusUnanswered || got["budget"].Value != (Money{40000, "GBP", ""}) {
		t.Errorf("answers %+v", got)
	}
	// Five bullets for eight questions: not answers by position.
	got = findAnswers("Referrals came from:\n\n- Police\n- Probation\n- GPs\n- Housing\n- Refuge\n", qs)
	for k, a := range got {
		if a.Status != StatusUnanswered {
			t.Errorf("%s: %+v", k, a)
		}
	}
	// "1.5 million" is a number, not item 1.
	if got := findAnswers("7. 1.5 million pounds", qs); got["budget"].Value != (Money{1500000, "GBP", ""}) {
		t.Errorf("budget %+v", got["budget"])
	}
}
