package worker_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/worker"
)

// The layout fixture is what the status page and the exports must cope
// with beyond the demo: two campaigns whose ids share their first 31
// characters (Excel's limit on a sheet name), one whose id is "questions"
// (the name of the workbook's explaining sheet, in another case), twelve
// questions with long texts, every kind of answer (a count, an amount, a
// list, a link, not held, exempt, an answer with no value, a caveat), and
// requests answered, late, due soon and not sent yet. Replies are stored
// through the real store, as the worker stores parsed ones.

// fixtureClock is the fixture's today: Friday 21 June 2024.
var fixtureClock = time.Date(2024, 6, 21, 12, 0, 0, 0, time.UTC)

const fixtureLongA = "police-and-crime-commissioners-2024-25-perpetrators"
const fixtureLongB = "police-and-crime-commissioners-2024-25-victims"

// fixtureQuestions are the long campaign's questions: their texts have
// long words ("Non-Statutory", "accommodation-based") and one is
// unnumbered.
var fixtureQuestions = []parser.Question{
	{Key: "programme", Number: 1, Type: parser.TypeText, Text: "The Name/Title/Scope of the commissioned programme in your area"},
	{Key: "self_referred", Number: 2, Type: parser.TypeCount, Text: "The total number of people who self-referred into the programme"},
	{Key: "agency_referred", Number: 3, Type: parser.TypeCount, Text: "The total number of people referred by an agency (e.g., police, social service etc.) into the programme"},
	{Key: "agency_referred_completed", Number: 4, Type: parser.TypeCount, Text: "The total number of referred people who have completed the programme"},
	{Key: "waiting_list", Number: 5, Type: parser.TypeCount, Text: "The number of people on the waiting list at the end of the year"},
	{Key: "referring_organisations", Number: 6, Type: parser.TypeList, Text: "The names of the organisations who have made a referral to the programme"},
	{Key: "evaluation_link", Type: parser.TypeURL, Text: "Link to evaluation of programme efficacy"},
	{Key: "financial_contributors", Number: 7, Type: parser.TypeList, Text: "Financial Contributors: (Inclusive of Statutory, Non-Statutory Organisations and individual voluntary donations)"},
	{Key: "budget", Number: 8, Type: parser.TypeMoney, Text: "Budget inclusive of Running Costs"},
	{Key: "capital_budget", Number: 9, Type: parser.TypeMoney, Text: "Capital budget for accommodation-based interventions"},
	{Key: "staff", Number: 10, Type: parser.TypeCount, Text: "Number of full-time equivalent practitioners delivering the programme"},
	{Key: "policy_document", Number: 11, Type: parser.TypeText, Text: "The title of the commissioning strategy or policy document that governs the programme"},
}

func fixtureCampaignTOML(id, title string, qs []parser.Question, requests string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "id = %q\ntitle = %q\n\n", id, title)
	for _, q := range qs {
		fmt.Fprintf(&b, "[[questions]]\nkey = %q\ntype = %q\ntext = %q\n", q.Key, q.Type, q.Text)
		if q.Number != 0 {
			fmt.Fprintf(&b, "number = %d\n", q.Number)
		}
		b.WriteString("\n")
	}
	b.WriteString(requests)
	return b.String()
}

const fixtureRequestsA = `
[[requests]]
id = "northshire"
authority = "Office of the Police and Crime Commissioner for Northshire"
email = "foi@northshire-pcc.gov.uk"
sent_at = 2024-05-13T10:00:00+01:00

[[requests]]
id = "southshire"
authority = "Office of the Police and Crime Commissioner for Southshire"
email = "foi@southshire-pcc.gov.uk"
sent_at = 2024-05-13T10:00:00+01:00

[[requests]]
id = "eastshire"
authority = "Office of the Police and Crime Commissioner for Eastshire"
email = "foi@eastshire-pcc.gov.uk"
sent_at = 2024-05-24T10:00:00+01:00

[[requests]]
id = "westshire"
authority = "Office of the Police and Crime Commissioner for Westshire"
email = "foi@westshire-pcc.gov.uk"
sent_at = 2024-07-01T09:00:00+01:00
`

// fixture is a daemon on the layout fixture's store.
type fixture struct {
	d       *worker.Daemon
	evalURL string
}

// openFixture writes the fixture's campaigns, opens a daemon on them
// (embedded NATS, no listener) and stores the replies. evalURL is the
// link Northshire gives as its evaluation.
func openFixture(t *testing.T, evalURL string) *fixture {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"a.toml": fixtureCampaignTOML(fixtureLongA, "Perpetrator programmes commissioned by PCCs, 2024/25", fixtureQuestions, fixtureRequestsA),
		"b.toml": fixtureCampaignTOML(fixtureLongB, "Victim services commissioned by PCCs, 2024/25", fixtureQuestions[:3], `
[[requests]]
id = "northshire"
authority = "Office of the Police and Crime Commissioner for Northshire"
email = "foi@northshire-pcc.gov.uk"
sent_at = 2024-05-13T10:00:00+01:00
`),
		"c.toml": fixtureCampaignTOML("questions", "A campaign called questions", fixtureQuestions[1:2], `
[[requests]]
id = "northshire"
authority = "Office of the Police and Crime Commissioner for Northshire"
email = "foi@northshire-pcc.gov.uk"
sent_at = 2024-05-13T10:00:00+01:00
`),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	off := ""
	cfg := worker.Config{DataDir: filepath.Join(dir, "data"), Campaigns: []string{filepath.Join(dir, "*.toml")}, HTTP: worker.HTTPConfig{Listen: &off}}
	d, err := worker.Open(context.Background(), cfg, &worker.Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), NoListen: true, Now: func() time.Time { return fixtureClock },
	})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	f := &fixture{d: d, evalURL: evalURL}

	answered := map[string]parser.Answer{
		"programme":                 {Status: parser.StatusAnswered, Value: "Northshire Change Programme", Text: "1. Northshire Change Programme."},
		"self_referred":             {Status: parser.StatusAnswered, Value: int64(1204), Text: "2. 1,204."},
		"agency_referred":           {Status: parser.StatusAnswered, Value: int64(127), Text: "3. 127 (although this is the total number referred into the service)", Note: "although this is the total number referred into the service, see https://northshire-pcc.gov.uk/referrals"},
		"agency_referred_completed": {Status: parser.StatusExempt, Exemption: "s.40(2)", Text: "4. Fewer than five: withheld under section 40(2)."},
		"waiting_list":              {Status: parser.StatusAnswered, Value: nil, Text: "5. Fewer than ten."},
		"referring_organisations":   {Status: parser.StatusAnswered, Value: []string{"Northshire Police", "Children's Services"}, Text: "6. Northshire Police and Children's Services."},
		"evaluation_link":           {Status: parser.StatusAnswered, Value: evalURL, Text: "Evaluation: " + evalURL},
		"financial_contributors":    {Status: parser.StatusNotHeld, Text: "7. This information is not held."},
		"budget":                    {Status: parser.StatusAnswered, Value: parser.Money{Amount: 125000, Currency: "GBP", Period: "year"}, Text: "8. £125,000 per annum."},
		"capital_budget":            {Status: parser.StatusAnswered, Value: parser.Money{Amount: 1234.5, Currency: "GBP"}, Text: "9. £1,234.50."},
		"staff":                     {Status: parser.StatusUnanswered},
		"policy_document":           {Status: parser.StatusAnswered, Value: "Northshire Domestic Abuse Strategy 2022-2025", Text: "11. Northshire Domestic Abuse Strategy 2022-2025."},
	}
	f.store(t, fixtureLongA, "northshire", "2024-06-07T11:00:00+01:00", parser.KindResponse, answered)
	f.store(t, fixtureLongB, "northshire", "2024-06-07T11:00:00+01:00", parser.KindResponse, map[string]parser.Answer{
		"programme":       {Status: parser.StatusAnswered, Value: "Northshire Victim Hub", Text: "1. Northshire Victim Hub."},
		"self_referred":   {Status: parser.StatusAnswered, Value: int64(7), Text: "2. Seven."},
		"agency_referred": {Status: parser.StatusAnswered, Value: int64(9), Text: "3. Nine."},
	})
	f.store(t, "questions", "northshire", "2024-06-07T11:00:00+01:00", parser.KindResponse, map[string]parser.Answer{
		"self_referred": {Status: parser.StatusAnswered, Value: int64(3), Text: "Three."},
	})
	f.store(t, fixtureLongA, "southshire", "2024-05-14T09:00:00+01:00", parser.KindAcknowledgement, nil)
	return f
}

// store stores a reply to campaign/request as the worker does.
func (f *fixture) store(t *testing.T, campaign, request, date string, kind parser.Kind, answers map[string]parser.Answer) {
	t.Helper()
	ctx := context.Background()
	h := sha256.Sum256([]byte(campaign + request + date))
	r := &parser.Reply{MessageID: "<" + request + "@fixture.example>", From: "foi@" + request + "-pcc.gov.uk", Subject: "Your FOI request",
		Date: date, Campaign: campaign, Request: request, Match: "thread", Kind: kind, Answers: answers,
		SHA256: hex.EncodeToString(h[:]), ParserVersion: parser.Version}
	if r.Answers == nil {
		r.Answers = map[string]parser.Answer{}
	}
	if err := f.d.Store.PutReply(ctx, r); err != nil {
		t.Fatal(err)
	}
	at, err := time.Parse(time.RFC3339, date)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.Store.AddReply(ctx, r, at, "thread: the fixture files it"); err != nil {
		t.Fatal(err)
	}
}
