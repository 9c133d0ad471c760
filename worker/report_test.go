package worker

import (
	"bytes"
	"strings"
	"testing"

	"github.com/foiwatch/foiwatch/parser"
)

func TestStatusMarksAnswersReadByAnOlderParser(t *testing.T) {
	rows := []Row{
		{Campaign: "c", Request: "new", Authority: "A", SentAt: "2024-05-13T10:00:00Z", Due: "2024-06-11", Status: StateAnswered, ParserVersion: parser.Version},
		{Campaign: "c", Request: "old", Authority: "B", SentAt: "2024-05-13T10:00:00Z", Due: "2024-06-11", Status: StateAnswered, ParserVersion: parser.Version - 1},
		{Campaign: "c", Request: "none", Authority: "C", SentAt: "2024-05-13T10:00:00Z", Due: "2024-06-11", Status: StateSent, DaysLate: 3},
	}
	if parser.Version == 1 {
		rows[1].ParserVersion = 0 // no older version exists yet: nothing is stale
	}
	var b bytes.Buffer
	if err := WriteStatus(&b, rows); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	stale := parser.Version > 1
	if strings.Contains(out, "answered*") != stale || strings.Contains(out, "foiwatch reprocess") != stale {
		t.Errorf("stale marking (want %v):\n%s", stale, out)
	}
	if !strings.Contains(out, "C  ") || !strings.Contains(out, " 3 ") {
		t.Errorf("status table:\n%s", out)
	}
}

func TestCellValueIsWhatASpreadsheetTakes(t *testing.T) {
	for _, tc := range []struct {
		a    parser.Answer
		want string
	}{
		{parser.Answer{Status: parser.StatusAnswered, Value: int64(12)}, "12"},
		{parser.Answer{Status: parser.StatusAnswered, Value: parser.Money{Amount: 125000, Currency: "GBP", Period: "year"}}, "125000"},
		{parser.Answer{Status: parser.StatusAnswered, Value: []string{"Police", "Early Help"}}, "Police; Early Help"},
		{parser.Answer{Status: parser.StatusExempt, Exemption: "s.40(2)"}, "exempt s.40(2)"},
		{parser.Answer{Status: parser.StatusNotHeld}, "not_held"},
		{parser.Answer{Status: parser.StatusUnanswered}, ""},
		{parser.Answer{Status: parser.StatusAnswered, Value: nil, Text: "fewer than 5"}, "fewer than 5"},
	} {
		if got := CellValue(tc.a); got != tc.want {
			t.Errorf("CellValue(%+v) = %q, want %q", tc.a, got, tc.want)
		}
	}
}
