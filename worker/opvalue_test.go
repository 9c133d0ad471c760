package worker_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/worker"
)

func TestOperatorValuesAreReadByTheQuestionsType(t *testing.T) {
	q := func(typ parser.QuestionType) parser.Question { return parser.Question{Key: "k", Type: typ} }
	money := func(a float64, period string) parser.Money {
		return parser.Money{Amount: a, Currency: "GBP", Period: period}
	}
	for _, tc := range []struct {
		typ    parser.QuestionType
		in     string
		status parser.Status
		value  any
		exempt string
	}{
		{parser.TypeCount, "12", parser.StatusAnswered, int64(12), ""},
		{parser.TypeCount, "0", parser.StatusAnswered, int64(0), ""},
		{parser.TypeCount, "1,250", parser.StatusAnswered, int64(1250), ""},
		{parser.TypeCount, " 7 ", parser.StatusAnswered, int64(7), ""},
		{parser.TypeMoney, "£125,000 per year", parser.StatusAnswered, money(125000, "year"), ""},
		{parser.TypeMoney, "£125,000", parser.StatusAnswered, money(125000, ""), ""},
		{parser.TypeMoney, "125000", parser.StatusAnswered, money(125000, ""), ""},
		{parser.TypeMoney, "£1.5 million", parser.StatusAnswered, money(1500000, ""), ""},
		{parser.TypeMoney, "£98,500.50 per annum", parser.StatusAnswered, money(98500.5, "year"), ""},
		{parser.TypeMoney, "GBP 72000 a year", parser.StatusAnswered, money(72000, "year"), ""},
		{parser.TypeMoney, "€40k", parser.StatusAnswered, parser.Money{Amount: 40000, Currency: "EUR"}, ""},
		{parser.TypeList, "Police; Probation; Children's Services", parser.StatusAnswered, []string{"Police", "Probation", "Children's Services"}, ""},
		{parser.TypeList, "Police", parser.StatusAnswered, []string{"Police"}, ""},
		{parser.TypeList, " Police ;  ; Probation  Service ", parser.StatusAnswered, []string{"Police", "Probation Service"}, ""},
		{parser.TypeURL, "https://www.example.gov.uk/evaluation-2024.pdf", parser.StatusAnswered, "https://www.example.gov.uk/evaluation-2024.pdf", ""},
		{parser.TypeText, "  The   Change Hub ", parser.StatusAnswered, "The Change Hub", ""},
		{parser.TypeCount, "not_held", parser.StatusNotHeld, nil, ""},
		{parser.TypeMoney, "Not held", parser.StatusNotHeld, nil, ""},
		{parser.TypeList, "unanswered", parser.StatusUnanswered, nil, ""},
		{parser.TypeCount, "exempt s.40(2)", parser.StatusExempt, nil, "s.40(2)"},
		{parser.TypeCount, "exempt s40(2)", parser.StatusExempt, nil, "s.40(2)"},
		{parser.TypeText, "exempt section 43(2)", parser.StatusExempt, nil, "s.43(2)"},
		{parser.TypeMoney, "exempt s.40(2) and s.31(1)(a)", parser.StatusExempt, nil, "s.40(2), s.31(1)(a)"},
		{parser.TypeText, "Exempt: reg.12(4)(b)", parser.StatusExempt, nil, "reg.12(4)(b)"},
	} {
		a, err := worker.ReadValue(q(tc.typ), tc.in)
		if err != nil {
			t.Errorf("%s %q: %v", tc.typ, tc.in, err)
			continue
		}
		if a.Status != tc.status || !reflect.DeepEqual(a.Value, tc.value) || a.Exemption != tc.exempt {
			t.Errorf("%s %q = %s %#v %q, want %s %#v %q", tc.typ, tc.in, a.Status, a.Value, a.Exemption, tc.status, tc.value, tc.exempt)
		}
	}
}

// What the parser would make something of is refused when an operator
// types it: a person correcting a result writes it one way, and is told
// which.
func TestOperatorValuesThatDoNotFitAreRefusedInPlainWords(t *testing.T) {
	for _, tc := range []struct {
		typ      parser.QuestionType
		in, want string
	}{
		{parser.TypeCount, "twelve", "not a count: write a whole number such as 12"},
		{parser.TypeCount, "12.5", "not a count"},
		{parser.TypeCount, "-3", "not a count"},
		{parser.TypeCount, "fewer than 5", "not a count"},
		{parser.TypeCount, "1,25", "not a count"},
		{parser.TypeCount, "99999999999999999999", "too large"},
		{parser.TypeMoney, "lots", "not an amount of money: write an amount such as £125,000"},
		{parser.TypeMoney, "£125,000 over three years", "not an amount of money"},
		{parser.TypeMoney, "£12.345", "not an amount of money"},
		{parser.TypeList, " ; ; ", "names nothing"},
		{parser.TypeURL, "www.example.org/report", "not a link: write a link starting with https://"},
		{parser.TypeURL, "javascript:alert(1)", "not a link"},
		{parser.TypeURL, "https://example.org/a b", "not a link"},
		{parser.TypeText, "", "no value given"},
		{parser.TypeText, "two\nlines", "control character"},
		{parser.TypeCount, "exempt", "exempt needs the section"},
		{parser.TypeCount, "exempt because", "not a section: write it as s.40(2)"},
	} {
		_, err := worker.ReadValue(parser.Question{Key: "k", Type: tc.typ}, tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: %v, want refused saying %q", tc.typ, tc.in, err, tc.want)
		}
	}
}
