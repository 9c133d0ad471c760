package worker_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/foiwatch/foiwatch/worker"
	"github.com/foiwatch/foiwatch/worker/deadline"
)

// The same request is as late in the status table, the CSV and the JSON
// lines (and the page, TestBrowserStatusPage*): days late is one number
// everywhere, 0 when not late, and a waiting request says when it is due.
func TestDaysLateAndDueInAreTheSameInStatusCSVAndJSONL(t *testing.T) {
	f := openFixture(t, "https://example.org/evaluation")
	ctx := context.Background()
	rows, err := f.d.Rows(ctx, fixtureLongA, deadline.DateOf(fixtureClock))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		late   int
		dueIn  string
		words  string
		status string
	}{
		"northshire": {0, "", "replied on time", "partially_answered"},
		"southshire": {8, "", "8 working days late", "acknowledged"},
		"eastshire":  {0, "1", "due in 1 working day", "sent"},
		"westshire":  {0, "", "not sent yet", "sent"},
	}

	var st bytes.Buffer
	if err := worker.WriteStatus(&st, rows); err != nil {
		t.Fatal(err)
	}
	cols := regexp.MustCompile(`\s{2,}`)
	status := map[string][]string{}
	stText := st.String()
	sc := bufio.NewScanner(strings.NewReader(stText))
	var head []string
	for sc.Scan() {
		f := cols.Split(strings.TrimSpace(sc.Text()), -1)
		if head == nil {
			head = f
			continue
		}
		if len(f) >= len(head)-1 {
			status[f[1]] = f
		}
	}
	if strings.Join(head, "|") != "CAMPAIGN|REQUEST|AUTHORITY|SENT|DUE|STATUS|DAYS LATE|REFERENCE|DEADLINE" {
		t.Fatalf("status header %q", head)
	}
	if !strings.Contains(stText, fixtureLongA+": answered 1 of 4, late 1, due soon 1, not yet sent 1") {
		t.Errorf("status has no summary line:\n%s", stText)
	}

	var cb bytes.Buffer
	if err := f.d.WriteCSV(&cb, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&cb).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i, h := range recs[0] {
		idx[h] = i
	}
	byReq := map[string][]string{}
	for _, r := range recs[1:] {
		byReq[r[idx["request"]]] = r
	}

	var jb bytes.Buffer
	if err := worker.WriteJSONL(&jb, rows); err != nil {
		t.Fatal(err)
	}
	jrows := map[string]worker.Row{}
	for _, line := range strings.Split(strings.TrimSpace(jb.String()), "\n") {
		var r worker.Row
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		jrows[r.Request] = r
	}

	for req, w := range want {
		s := status[req]
		if len(s) < 9 {
			t.Errorf("%s: status line %q", req, s)
			continue
		}
		if s[6] != strconv.Itoa(w.late) || s[8] != w.words || s[5] != w.status {
			t.Errorf("%s: status says days late %q, deadline %q, status %q; want %d, %q, %q", req, s[6], s[8], s[5], w.late, w.words, w.status)
		}
		c := byReq[req]
		if c[idx["days_late"]] != strconv.Itoa(w.late) || c[idx["due_in_working_days"]] != w.dueIn {
			t.Errorf("%s: CSV days_late %q due_in_working_days %q, want %d %q", req, c[idx["days_late"]], c[idx["due_in_working_days"]], w.late, w.dueIn)
		}
		if !regexp.MustCompile(`^\d{4}-\d\d-\d\d$`).MatchString(c[idx["sent_at"]]) || c[idx["sent_at"]] != s[3] {
			t.Errorf("%s: CSV sent_at %q, status SENT %q: want the same YYYY-MM-DD", req, c[idx["sent_at"]], s[3])
		}
		j := jrows[req]
		gotDueIn := ""
		if j.DueIn != nil {
			gotDueIn = strconv.Itoa(*j.DueIn)
		}
		if j.DaysLate != w.late || gotDueIn != w.dueIn {
			t.Errorf("%s: JSONL days_late %d due_in %q, want %d %q", req, j.DaysLate, gotDueIn, w.late, w.dueIn)
		}
	}
}

// The CSV keeps its contract (the fixed columns, then a column per
// question) and adds its new columns after those: an answer given with no
// value ("fewer than ten") is told from no answer by its status column.
func TestCSVKeepsItsColumnsAndTellsNoValueFromNoAnswer(t *testing.T) {
	f := openFixture(t, "https://example.org/evaluation")
	rows, err := f.d.Rows(context.Background(), fixtureLongA, deadline.DateOf(fixtureClock))
	if err != nil {
		t.Fatal(err)
	}
	var cb bytes.Buffer
	if err := f.d.WriteCSV(&cb, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&cb).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string{}, worker.CSVHeader...)
	for _, q := range fixtureQuestions {
		want = append(want, q.Key)
	}
	want = append(want, worker.CSVMoreHeader...)
	for _, q := range fixtureQuestions {
		want = append(want, q.Key+".status")
	}
	want = append(want, worker.CSVCorrected)
	if strings.Join(recs[0], ",") != strings.Join(want, ",") {
		t.Fatalf("CSV header\n%s\nwant\n%s", strings.Join(recs[0], ","), strings.Join(want, ","))
	}
	idx := map[string]int{}
	for i, h := range recs[0] {
		idx[h] = i
	}
	north := recs[1]
	for key, w := range map[string][2]string{
		"waiting_list":              {"5. Fewer than ten.", "answered"}, // answered, no figure
		"staff":                     {"", "unanswered"},
		"financial_contributors":    {"not_held", "not_held"},
		"agency_referred_completed": {"exempt s.40(2)", "exempt"},
		"self_referred":             {"1204", "answered"},
		"budget":                    {"125000", "answered"},
	} {
		if north[idx[key]] != w[0] || north[idx[key+".status"]] != w[1] {
			t.Errorf("%s: value %q status %q, want %q %q", key, north[idx[key]], north[idx[key+".status"]], w[0], w[1])
		}
	}
	if north[idx["sent_time"]] != "2024-05-13T10:00:00+01:00" || north[idx["sent_at"]] != "2024-05-13" || north[idx["from_scan"]] != "false" {
		t.Errorf("sent_at %q sent_time %q from_scan %q", north[idx["sent_at"]], north[idx["sent_time"]], north[idx["from_scan"]])
	}
}

// The overdue gauge counts what the summary calls late.
func TestOverdueGaugeIsTheSummarysLate(t *testing.T) {
	f := openFixture(t, "https://example.org/evaluation")
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Host = "127.0.0.1:8080" // the HTTP side answers to loopback names only
	f.d.HTTPHandler().ServeHTTP(rec, req)
	body := rec.Body.String()
	for _, c := range f.d.Campaigns.List {
		rows, err := f.d.Rows(context.Background(), c.ID, deadline.DateOf(fixtureClock))
		if err != nil {
			t.Fatal(err)
		}
		want := "foiwatch_requests_overdue{campaign=\"" + c.ID + "\"} " + strconv.Itoa(worker.Summarise(rows)[0].Late) + "\n"
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
