package worker_test

import (
	"bytes"
	"context"
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
)

// lawCampaign is one request, sent on Mon 2024-01-08, under the given
// calendar and law lines.
func lawCampaign(lines string) string {
	return `id = "law"
title = "Referrals"
` + lines + `
[[questions]]
key = "referrals"
type = "count"
text = "The number of referrals"
[[requests]]
id = "council"
authority = "Borsetshire Council"
email = "foi@borsetshire.example.gov.uk"
sent_at = 2024-01-08T10:00:00Z
message_id = "<req-1@requests.example.org>"
reply_to = "foi+council@requests.example.org"
reference = "FOI-2024-0042"
`
}

func openLetterDaemon(t *testing.T, campaign string, sink *mailtest.SMTPSink, rem worker.RemindersConfig) *worker.Daemon {
	t.Helper()
	dir := t.TempDir()
	camp := filepath.Join(dir, "campaign.toml")
	os.WriteFile(camp, []byte(campaign), 0o600)
	off := ""
	rem.To = []string{"operator@requests.example.org"}
	rem.ChaseAuthorities = true
	cfg := worker.Config{
		DataDir:   filepath.Join(dir, "data"),
		Campaigns: []string{camp},
		SMTP:      &mailbox.SMTPConfig{Address: sink.Addr(), TLS: "none", From: "Research <researcher@requests.example.org>"},
		Requester: worker.RequesterConfig{Name: "Morag Campbell", Signature: "Research Unit, Glasgow"},
		Reminders: rem,
		HTTP:      worker.HTTPConfig{Listen: &off},
	}
	d, err := worker.Open(context.Background(), cfg, &worker.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), NoListen: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// textOf returns the headers and the decoded plain text of a message.
func textOf(t *testing.T, raw []byte) (*gomail.Reader, string) {
	t.Helper()
	mr, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var text string
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		if ih, ok := p.Header.(*gomail.InlineHeader); ok {
			if ct, _, _ := ih.ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(p.Body)
				text = strings.ReplaceAll(string(b), "\r\n", "\n")
			}
		}
	}
	return mr, text
}

func TestChaseUpsCiteTheCampaignsLawAndAreSignedByTheRequester(t *testing.T) {
	// Due 2024-02-05 under either calendar; 20 working days late on
	// 2024-03-05 (FOIA) and 2024-03-04 (FOISA has no other holiday then).
	veryLate := time.Date(2024, 3, 6, 9, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, lines string
		want        []string
		not         []string
	}{
		{"foia", ``,
			[]string{"under the Freedom of Information Act 2000 on 2024-01-08 (your reference FOI-2024-0042)", "Under section 10 of the Freedom of Information Act 2000", "internal review", "Information Commissioner's Office under section 50"},
			[]string{"Scotland", "Environmental"}},
		{"foisa by calendar", `calendar = "foisa"`,
			[]string{"under the Freedom of Information (Scotland) Act 2002", "Under section 10 of the Freedom of Information (Scotland) Act 2002", "require a review under section 20", "Scottish Information Commissioner"},
			[]string{"Freedom of Information Act 2000", "Information Commissioner's Office"}},
		{"eir", `law = "eir"`,
			[]string{"under the Environmental Information Regulations 2004", "Under regulation 5(2) of the Environmental Information Regulations 2004", "regulation 11", "Information Commissioner's Office"},
			[]string{"Freedom of Information Act 2000", "Scotland"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := newSink(t)
			d := openLetterDaemon(t, lawCampaign(tc.lines), sink, worker.RemindersConfig{})
			dry, err := d.Remind(context.Background(), veryLate, true)
			if err != nil || len(dry.Letters) != 2 {
				t.Fatalf("dry run: %d letters, %v", len(dry.Letters), err)
			}
			var shown bytes.Buffer
			for _, l := range dry.Letters {
				worker.WriteLetter(&shown, l)
			}
			if _, err := d.Remind(context.Background(), veryLate, false); err != nil {
				t.Fatal(err)
			}
			var chase []byte
			for _, m := range sink.Messages() {
				if m.To[0] == "foi@borsetshire.example.gov.uk" {
					chase = m.Data
				}
			}
			if chase == nil {
				t.Fatalf("no chase-up among %d messages", len(sink.Messages()))
			}
			mr, text := textOf(t, chase)
			for _, w := range append(tc.want, "Dear Borsetshire Council,", "Yours faithfully,\n\nMorag Campbell\nResearch Unit, Glasgow\n") {
				if !strings.Contains(text, w) {
					t.Errorf("chase-up lacks %q:\n%s", w, text)
				}
				if !strings.Contains(shown.String(), w) {
					t.Errorf("remind --dry-run --show lacks %q:\n%s", w, shown.String())
				}
			}
			for _, w := range tc.not {
				if strings.Contains(text, w) {
					t.Errorf("chase-up names %q:\n%s", w, text)
				}
			}
			if rt, _ := mr.Header.AddressList("Reply-To"); len(rt) != 1 || rt[0].Address != "foi+council@requests.example.org" {
				t.Errorf("Reply-To %v, want the request's reply_to", rt)
			}
			if irt := mr.Header.Get("In-Reply-To"); irt != "<req-1@requests.example.org>" {
				t.Errorf("In-Reply-To %q", irt)
			}
			if !strings.Contains(shown.String(), "Reply-To: ") || !strings.Contains(shown.String(), "===== chase-up to foi@borsetshire.example.gov.uk =====") {
				t.Errorf("the shown letter lacks its headers:\n%s", shown.String())
			}
		})
	}
}

func TestLetterTemplatesFromTheConfigReplaceTheBuiltInOnes(t *testing.T) {
	dir := t.TempDir()
	chase := filepath.Join(dir, "chase.txt")
	digest := filepath.Join(dir, "digest.txt")
	os.WriteFile(chase, []byte("To {{.Authority}}: {{.Law.Short}} says {{.Due}}. {{.Requester.Name}}\n"), 0o600)
	os.WriteFile(digest, []byte("{{range .Notices}}{{.Request}} {{.Stage}} {{.Law.Short}}\n{{end}}"), 0o600)
	sink := newSink(t)
	d := openLetterDaemon(t, lawCampaign(`calendar = "foisa"`), sink, worker.RemindersConfig{ChaseTemplate: chase, DigestTemplate: digest})
	if _, err := d.Remind(context.Background(), time.Date(2024, 2, 6, 9, 30, 0, 0, time.UTC), false); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range sink.Messages() {
		_, text := textOf(t, m.Data)
		got[m.To[0]] = text
	}
	if got["foi@borsetshire.example.gov.uk"] != "To Borsetshire Council: FOISA says 2024-02-05. Morag Campbell\n" {
		t.Errorf("chase-up %q", got["foi@borsetshire.example.gov.uk"])
	}
	if got["operator@requests.example.org"] != "council late FOISA\n" {
		t.Errorf("digest %q", got["operator@requests.example.org"])
	}

	// A misspelt field is refused at start, naming the file.
	os.WriteFile(chase, []byte("{{.Authorty}}\n"), 0o600)
	cfgPath := filepath.Join(dir, "foiwatch.toml")
	os.WriteFile(cfgPath, []byte("data_dir = \"data\"\n[http]\nlisten = \"\"\n[reminders]\nchase_template = \"chase.txt\"\n"), 0o600)
	_, err := worker.LoadConfig(cfgPath)
	if err == nil || !strings.Contains(err.Error(), chase) || !strings.Contains(err.Error(), "Authorty") {
		t.Errorf("bad template: %v", err)
	}
}
