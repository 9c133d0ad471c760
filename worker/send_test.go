package worker_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/mailbox/mailtest"
	"github.com/foiwatch/foiwatch/worker"
	"github.com/foiwatch/foiwatch/worker/deadline"
)

const sendQuestions = `id = "pcc-referrals"
title = "Referrals 2023/24"
period = "2023/24"
subject = "FOI request: referrals in 2023/24"

[[questions]]
key = "referrals"
number = 1
type = "count"
text = "The total number of people referred into the programme"

[[questions]]
key = "partners"
type = "list"
text = "The names of the organisations who made referrals"
`

const sendCSV = `# five authorities, for the test
name,email,domains,reply_to
Office of the Police and Crime Commissioner for Borsetshire,foi@borsetshire-pcc.example.gov.uk,,
Office of the Police and Crime Commissioner for Ambridge,FOI@ambridge-pcc.example.gov.uk,ambridge-pcc.example.gov.uk;ambridge.example.gov.uk,
Office of the Police and Crime Commissioner for Felpersham,foi@felpersham-pcc.example.gov.uk,,foi+felpersham@requests.example.org
Office of the Police and Crime Commissioner for Loxley Barrett,foi@loxley-pcc.example.gov.uk,,
Office of the Police and Crime Commissioner for Hollerton,foi@hollerton-pcc.example.gov.uk,,
`

// importedCampaign writes the campaign imported from sendCSV into dir.
func importedCampaign(t *testing.T, dir string) string {
	t.Helper()
	reqs, err := worker.ImportAuthorities(strings.NewReader(sendCSV), worker.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	text, err := worker.CampaignWithRequests("questions.toml", []byte(sendQuestions), reqs, "imported")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "campaign.toml")
	if err := os.WriteFile(p, text, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func openSendDaemon(t *testing.T, dir, camp string, sink *mailtest.SMTPSink, clk func() time.Time) *worker.Daemon {
	t.Helper()
	off := ""
	cfg := worker.Config{
		DataDir:   filepath.Join(dir, "data"),
		Campaigns: []string{camp},
		SMTP:      &mailbox.SMTPConfig{Address: sink.Addr(), TLS: "none", From: "Alex Researcher <researcher@requests.example.org>"},
		Requester: worker.RequesterConfig{Name: "Alex Researcher", Signature: "Borsetshire Research Unit\n1 High Street"},
		HTTP:      worker.HTTPConfig{Listen: &off},
	}
	d, err := worker.Open(context.Background(), cfg, &worker.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), NoListen: true, Now: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func newSink(t *testing.T) *mailtest.SMTPSink {
	t.Helper()
	sink, err := mailtest.NewSMTPSink(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	return sink
}

// byRecipient counts the sink's messages per envelope recipient.
func byRecipient(sink *mailtest.SMTPSink) map[string]int {
	n := map[string]int{}
	for _, m := range sink.Messages() {
		for _, to := range m.To {
			n[to]++
		}
	}
	return n
}

func TestImportMakesIDsFromNamesAndRefusesBadRows(t *testing.T) {
	reqs, err := worker.ImportAuthorities(strings.NewReader(sendCSV), worker.ImportOptions{ReplyTo: "foi+{id}@requests.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range reqs {
		ids = append(ids, r.ID)
	}
	if got := strings.Join(ids, " "); got != "borsetshire ambridge felpersham loxley-barrett hollerton" {
		t.Errorf("ids %q: want the words that differ", got)
	}
	if reqs[1].Email != "foi@ambridge-pcc.example.gov.uk" || len(reqs[1].Domains) != 2 || reqs[1].Domains[1] != "ambridge.example.gov.uk" {
		t.Errorf("row 2: %+v", reqs[1])
	}
	if reqs[0].ReplyTo != "foi+borsetshire@requests.example.org" || reqs[2].ReplyTo != "foi+felpersham@requests.example.org" {
		t.Errorf("reply_to: %q %q (the CSV's own wins over --reply-to)", reqs[0].ReplyTo, reqs[2].ReplyTo)
	}

	for _, tc := range []struct{ name, csv, want string }{
		{"no email column", "name,domains\nA,a.example\n", "line 1: the header has no email column"},
		{"unknown column", "name,email,phone\nA,a@a.example,1\n", `line 1: unknown column "phone"`},
		{"bad email", "name,email\nA,a@a.example\nB,not an address\n", `line 3 (B): email = "not an address" is not a plain email address`},
		{"empty name", "name,email\n,a@a.example\n", "line 2: name is empty"},
		{"duplicate email", "name,email\nA,a@a.example\nB,A@a.example\n", "line 3 (B): email a@a.example is also on line 2"},
		{"duplicate id", "name,email\nNorth Wales,a@a.example\nNorth-Wales,b@b.example\n", `line 3 (North-Wales): id "north-wales" is also the id of line 2`},
		{"bad id", "name,email,id\nA,a@a.example,A_1\n", `line 2 (A): id = "A_1"`},
		{"unchecked", "name,email,checked,website\nA,a@a.example,no,https://a.example\n", "line 2 (A): checked = no: this row's address has not been checked: confirm the authority's FOI address on its website (https://a.example)"},
		{"short row", "name,email,domains\nA,a@a.example\n", "line 2 (A): 2 fields, but the header has 3"},
		{"bad domain", "name,email,domains\nA,a@a.example,not_a_domain\n", `line 2 (A): domains: "not_a_domain" is not a mail domain`},
	} {
		_, err := worker.ImportAuthorities(strings.NewReader(tc.csv), worker.ImportOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestTheShippedAuthoritiesListIsRefusedUntilChecked(t *testing.T) {
	f, err := os.Open("../deploy/authorities/pcc-england-wales.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = worker.ImportAuthorities(f, worker.ImportOptions{})
	if err == nil {
		t.Fatal("an unchecked list was imported")
	}
	if n := strings.Count(err.Error(), "has not been checked"); n != 42 {
		t.Errorf("%d rows refused as unchecked, want all 42:\n%v", n, err)
	}
	// Once checked and given addresses, it imports with its ids.
	f.Seek(0, 0)
	cr := csv.NewReader(f)
	cr.Comment = '#'
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "id,name,email,domains,website,checked,notes" {
		t.Fatalf("header %v", recs[0])
	}
	var out bytes.Buffer
	cw := csv.NewWriter(&out)
	cw.Write(recs[0])
	for _, r := range recs[1:] {
		r[2], r[5] = "foi@"+r[0]+".example.gov.uk", "yes"
		cw.Write(r)
	}
	cw.Flush()
	reqs, err := worker.ImportAuthorities(&out, worker.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 42 || reqs[0].ID != "avon-somerset" {
		t.Errorf("%d requests, first %+v", len(reqs), reqs[0])
	}
}

func TestSendSendsEachRequestOnceAndNeverOneThatMayHaveArrived(t *testing.T) {
	dir := t.TempDir()
	camp := importedCampaign(t, dir)
	sink := newSink(t)
	now := time.Date(2024, 5, 13, 10, 0, 0, 0, time.UTC)
	d := openSendDaemon(t, dir, camp, sink, func() time.Time { return now })
	ctx := context.Background()

	// Not sent yet: no due date, status says so.
	rows, err := d.Rows(ctx, "pcc-referrals", deadline.DateOf(now))
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Status != worker.StateNotSent || rows[0].SentAt != "" || rows[0].Due != "" {
		t.Fatalf("unsent row: %+v", rows[0])
	}
	var st bytes.Buffer
	worker.WriteStatus(&st, rows)
	if !strings.Contains(st.String(), "pcc-referrals: 5 request(s) not sent yet: foiwatch send --campaign pcc-referrals") {
		t.Errorf("status does not say what is not sent:\n%s", st.String())
	}

	// A dead run left ambridge claimed (it never reached DATA: safe to send)
	// and felpersham at DATA (it may have arrived: never sent again alone).
	for key, val := range map[string]string{
		"pcc-referrals.ambridge":   `{"status":"claimed","message_id":"<dead-1@requests.example.org>","sent_at":"2024-05-13T09:00:00Z","email":"foi@ambridge-pcc.example.gov.uk","attempts":1}`,
		"pcc-referrals.felpersham": `{"status":"data","message_id":"<dead-2@requests.example.org>","sent_at":"2024-05-13T09:00:00Z","email":"foi@felpersham-pcc.example.gov.uk","attempts":1}`,
	} {
		if _, err := d.Q.Sends.Create(ctx, key, []byte(val)); err != nil {
			t.Fatal(err)
		}
	}
	dry, err := d.Send(ctx, worker.SendOptions{Campaign: "pcc-referrals", DryRun: true})
	if !errors.Is(err, worker.ErrUncertain) || dry.Sent != 4 || len(sink.Messages()) != 0 {
		t.Fatalf("dry run: %+v %v, %d sent", dry, err, len(sink.Messages()))
	}
	var pauses int
	start := time.Now()
	res, err := d.Send(ctx, worker.SendOptions{Campaign: "pcc-referrals", Batch: 2, Pause: 50 * time.Millisecond,
		Progress: func(o worker.SendOutcome) {
			if o.Result == "pause" {
				pauses++
			}
		}})
	if !errors.Is(err, worker.ErrUncertain) || !strings.Contains(err.Error(), "felpersham") || !strings.Contains(err.Error(), "--resend") {
		t.Fatalf("send: %v, want felpersham named as uncertain with what to do", err)
	}
	if res.Sent != 4 || res.Uncertain != 1 || pauses != 1 || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("send: %+v, %d pauses", res, pauses)
	}
	n := byRecipient(sink)
	if len(n) != 4 || n["foi@felpersham-pcc.example.gov.uk"] != 0 || n["foi@ambridge-pcc.example.gov.uk"] != 1 {
		t.Fatalf("sent to %v", n)
	}
	// Again: nothing more.
	if res, _ := d.Send(ctx, worker.SendOptions{Campaign: "pcc-referrals"}); res.Sent != 0 || len(sink.Messages()) != 4 {
		t.Fatalf("second send sent %d", res.Sent)
	}
	// The operator checked: felpersham's never arrived.
	if _, err := d.Send(ctx, worker.SendOptions{Campaign: "pcc-referrals", Resend: true}); err == nil {
		t.Fatal("--resend without --only was accepted")
	}
	if res, err := d.Send(ctx, worker.SendOptions{Campaign: "pcc-referrals", Only: []string{"felpersham"}, Resend: true}); err != nil || res.Sent != 1 {
		t.Fatalf("resend: %+v %v", res, err)
	}
	if n := byRecipient(sink); len(n) != 5 || n["foi@felpersham-pcc.example.gov.uk"] != 1 {
		t.Fatalf("sent to %v", n)
	}

	// The letter: numbered questions, period, name and signature, Reply-To.
	var fel *gomail.Reader
	for _, m := range sink.Messages() {
		if m.To[0] == "foi@felpersham-pcc.example.gov.uk" {
			fel, err = gomail.CreateReader(bytes.NewReader(m.Data))
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if rt, _ := fel.Header.AddressList("Reply-To"); len(rt) != 1 || rt[0].Address != "foi+felpersham@requests.example.org" {
		t.Errorf("Reply-To %v", rt)
	}
	if s, _ := fel.Header.Subject(); s != "FOI request: referrals in 2023/24" {
		t.Errorf("subject %q", s)
	}
	p, _ := fel.NextPart()
	body, _ := io.ReadAll(p.Body)
	body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
	for _, want := range []string{"Dear Office of the Police and Crime Commissioner for Felpersham,",
		"under the Freedom of Information Act 2000", "the period 2023/24",
		"1. The total number of people referred into the programme", "2. The names of the organisations who made referrals",
		"Please send your reply to foi+felpersham@requests.example.org.", "Yours faithfully,\n\nAlex Researcher\nBorsetshire Research Unit\n1 High Street\n"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("letter lacks %q:\n%s", want, body)
		}
	}

	// Sent requests have their time and Message-ID, as if in the file,
	// for every process that opens the store.
	msgID, _ := fel.Header.MessageID()
	d.Close()
	d = openSendDaemon(t, dir, camp, sink, func() time.Time { return now })
	r := d.Campaigns.Get("pcc-referrals").Request("felpersham")
	if r.MessageID != "<"+msgID+">" || !r.SentAt.Equal(now) || r.SendState != "sent" {
		t.Errorf("felpersham after reopening: %+v, want message id %s", r, msgID)
	}
	rows, _ = d.Rows(ctx, "pcc-referrals", deadline.DateOf(now))
	if rows[2].Status != worker.StateSent || rows[2].Due != "2024-06-11" {
		t.Errorf("sent row: %+v", rows[2])
	}
}

func TestACampaignFileMayLackSentAtButNotHaveABadLaw(t *testing.T) {
	base := "id = \"c\"\n[[requests]]\nid = \"r\"\nauthority = \"A\"\nemail = \"a@a.example\"\n"
	c, err := worker.ParseCampaign("c.toml", base)
	if err != nil {
		t.Fatal(err)
	}
	if c.Law != worker.LawFOIA || c.Requests[0].Sent() {
		t.Errorf("law %q, sent %v", c.Law, c.Requests[0].Sent())
	}
	if c, err := worker.ParseCampaign("c.toml", "calendar = \"foisa\"\n"+base); err != nil || c.Law != worker.LawFOISA {
		t.Errorf("calendar foisa: law %q %v, want foisa", c.Law, err)
	}
	if _, err := worker.ParseCampaign("c.toml", "law = \"gdpr\"\n"+base); err == nil || !strings.Contains(err.Error(), `law = "gdpr": want foia`) {
		t.Errorf("law gdpr: %v", err)
	}
	if _, err := worker.ParseCampaign("c.toml", "template = \"{{.Nonsense}}\"\n"+base); err == nil || !strings.Contains(err.Error(), "Nonsense") {
		t.Errorf("bad template: %v", err)
	}
}
