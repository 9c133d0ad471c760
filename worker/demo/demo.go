// Package demo is in charge of `foiwatch demo`: the whole pipeline on
// embedded parts, with no config and no network. It starts an in-memory IMAP
// server holding sample replies that this project wrote (modelled on real
// letters from Offices of the Police and Crime Commissioner), the embedded
// NATS server with its store in a temporary directory, and runs one sync
// through the real mailbox poller, queue, parser and worker; then it prints
// the status table and each request's answers. It is not in charge of
// anything the daemon does: it only wires the real parts together.
package demo

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	gomail "github.com/emersion/go-message/mail"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/mailbox/localmail"
	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/worker"
	"github.com/foiwatch/foiwatch/worker/deadline"
)

//go:embed samples
var samples embed.FS

// Sample is one sample reply.
type Sample struct {
	Name string
	Raw  []byte
}

// Samples returns the sample replies in the order they arrive.
func Samples() ([]Sample, error) {
	var out []Sample
	err := fs.WalkDir(samples, "samples", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".eml") {
			return err
		}
		b, err := samples.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, Sample{Name: filepath.Base(path), Raw: b})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// CampaignTOML is the demo campaign's file.
func CampaignTOML() string {
	b, err := samples.ReadFile("samples/campaign.toml")
	if err != nil {
		panic("demo: campaign.toml is not embedded: " + err.Error())
	}
	return string(b)
}

// Clock is the demo's "now": a day on which some replies are in, one is
// late and the demo campaign's deadlines mean something.
var Clock = time.Date(2024, 6, 21, 9, 0, 0, 0, time.UTC)

// Options tune Run.
type Options struct {
	// Logger for the pipeline. Default: warnings and errors only, to stderr.
	Logger *slog.Logger
	// Dir keeps the data directory (default: a temporary one, removed).
	Dir string
}

// Run runs the demo and prints what it found to w.
//
// It is over 100 lines: the demo's script in the order a reader follows it
// (servers, config, one sync, what is printed), with nothing to share.
func Run(ctx context.Context, w io.Writer, opts *Options) error {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		// The demo prints what matters itself; the log says only what broke.
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	}
	dir := o.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "foiwatch-demo-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}

	// The mailbox: go-imap's in-memory server with the sample replies.
	const user, pass = "researcher@requests.example.org", "demo-password"
	imap, err := localmail.NewMemServer(user, pass)
	if err != nil {
		return fmt.Errorf("demo: in-memory IMAP server: %w", err)
	}
	defer imap.Close()
	ss, err := Samples()
	if err != nil {
		return fmt.Errorf("demo: samples: %w", err)
	}
	for _, s := range ss {
		if err := imap.Append("INBOX", s.Raw); err != nil {
			return fmt.Errorf("demo: append %s: %w", s.Name, err)
		}
	}
	// Reminders go to an in-process SMTP server, so the demo shows them
	// without sending anything anywhere.
	sink, err := localmail.NewSMTPSink(nil)
	if err != nil {
		return fmt.Errorf("demo: SMTP sink: %w", err)
	}
	defer sink.Close()
	campFile := filepath.Join(dir, "campaign.toml")
	pwFile := filepath.Join(dir, "imap-password")
	if err := os.WriteFile(campFile, []byte(CampaignTOML()), 0o600); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := os.WriteFile(pwFile, []byte(pass+"\n"), 0o600); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	off := ""
	idle := false
	cfg := worker.Config{
		DataDir:   filepath.Join(dir, "data"),
		Campaigns: []string{campFile},
		Mailboxes: []mailbox.Config{{
			Name: "demo", Address: imap.Addr(), TLS: "none", Username: user, PasswordFile: pwFile,
			Folders: []string{"INBOX"}, IDLE: &idle,
		}},
		HTTP:      worker.HTTPConfig{Listen: &off},
		SMTP:      &mailbox.SMTPConfig{Address: sink.Addr(), TLS: "none", From: "foiwatch demo <researcher@requests.example.org>"},
		Reminders: worker.RemindersConfig{To: []string{"researcher@requests.example.org"}, ChaseAuthorities: true},
	}
	d, err := worker.Open(ctx, cfg, &worker.Options{Logger: o.Logger, NoListen: true, Now: func() time.Time { return Clock }})
	if err != nil {
		return err
	}
	defer d.Close()

	fmt.Fprintf(w, "foiwatch demo: %d sample replies in an in-memory IMAP mailbox (%s), the embedded NATS JetStream server, parser version %d.\n\n", len(ss), imap.Addr(), parser.Version)
	res, err := d.Sync(ctx)
	if err != nil {
		return fmt.Errorf("demo: sync: %w", err)
	}
	fmt.Fprintf(w, "Sync: fetched %d messages, processed %d, %d unmatched, %d failed.\n", res.Fetched, res.Processed, res.Unmatched, res.Failed)
	res2, err := d.Sync(ctx)
	if err != nil {
		return fmt.Errorf("demo: second sync: %w", err)
	}
	fmt.Fprintf(w, "Sync again: fetched %d, processed %d (nothing is fetched or stored twice).\n\n", res2.Fetched, res2.Processed)

	today := deadline.DateOf(Clock)
	rows, err := d.Rows(ctx, "", today)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Status as of %s (the demo's clock):\n\n", today)
	if err := worker.WriteStatus(w, rows); err != nil {
		return err
	}
	c := d.Campaigns.List[0]
	for _, row := range rows {
		if row.RepliedAt == "" {
			continue // no substantive response yet
		}
		fmt.Fprintf(w, "\n%s (%s), %s:\n", row.Authority, row.Request, row.Status)
		for _, q := range c.Questions {
			a := row.Answers[q.Key]
			v := worker.AnswerWords(a)
			if a.Status == parser.StatusUnanswered {
				v = "(not answered)"
			}
			fmt.Fprintf(w, "  %-26s %s\n", q.Key, v)
		}
	}
	un, err := d.Store.Unmatched(ctx)
	if err != nil {
		return err
	}
	if len(un) > 0 {
		fmt.Fprintf(w, "\nWaiting for an operator (matched no request):\n")
		for _, u := range un {
			fmt.Fprintf(w, "  %s  %s  %q\n", u.SHA256[:12], u.From, u.Subject)
		}
	}
	fmt.Fprintf(w, "\nLate, as of %s:\n", today)
	late := 0
	for _, row := range rows {
		if row.DaysLate > 0 && row.RepliedAt == "" {
			late++
			fmt.Fprintf(w, "  %s: due %s, %d working days late, no response yet\n", row.Authority, row.Due, row.DaysLate)
		}
	}
	if late == 0 {
		fmt.Fprintln(w, "  none")
	}

	rem, err := d.Remind(ctx, Clock, false)
	if err != nil {
		return fmt.Errorf("demo: reminders: %w", err)
	}
	fmt.Fprintf(w, "\nReminders sent on %s (to an in-process SMTP server; nothing leaves this machine):\n", today)
	for _, m := range sink.Messages() {
		subject := ""
		if msg, err := gomail.CreateReader(bytes.NewReader(m.Data)); err == nil {
			subject, _ = msg.Header.Subject()
		}
		fmt.Fprintf(w, "  to %s: %s\n", strings.Join(m.To, ", "), subject)
	}
	if len(rem.Digest)+len(rem.Chased) == 0 {
		fmt.Fprintln(w, "  none")
	}
	again, err := d.Remind(ctx, Clock, false)
	if err != nil {
		return fmt.Errorf("demo: reminders: %w", err)
	}
	fmt.Fprintf(w, "Reminders run again the same day: %d sent (each stage goes once).\n", len(again.Digest)+len(again.Chased))
	return nil
}
