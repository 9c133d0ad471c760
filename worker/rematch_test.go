package worker_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/foiwatch/foiwatch/worker"
)

// Two campaigns went to the same authority, so its domain alone cannot tell
// which request a reply answers.
const twinCampaigns = `
id = "%s"
title = "t"
[[questions]]
key = "n"
number = 1
type = "count"
text = "How many referrals were made?"
[[requests]]
id = "norfolk"
authority = "OPCC for Norfolk"
email = "opccn@norfolk.police.uk"
sent_at = 2024-05-19T20:14:00+01:00
message_id = "<%s-norfolk@requests.example.org>"
`

func TestReplyBeforeItsAcknowledgementIsMatchedWhenTheReferenceIsLearned(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, id := range []string{"males", "females"} {
		f := filepath.Join(dir, id+".toml")
		os.WriteFile(f, []byte(fmt.Sprintf(twinCampaigns, id, id)), 0o600)
		files = append(files, f)
	}
	off := ""
	d, err := worker.Open(context.Background(), worker.Config{DataDir: filepath.Join(dir, "data"), Campaigns: files, HTTP: worker.HTTPConfig{Listen: &off}},
		&worker.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), NoListen: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ctx := context.Background()

	response := "From: OPCC Norfolk <opccn@norfolk.police.uk>\r\nTo: researcher@requests.example.org\r\n" +
		"Subject: Freedom of Information Request FOI/OPCCN/239\r\nDate: Mon, 17 Jun 2024 11:02:13 +0100\r\n" +
		"Message-ID: <resp-239@norfolk.police.uk>\r\n\r\nI can advise the following:\r\n\r\n1. 12.\r\n"
	ack := "From: OPCC Norfolk <opccn@norfolk.police.uk>\r\nTo: researcher@requests.example.org\r\n" +
		"Subject: RE: Freedom of Information request [FOI/OPCCN/239]\r\nDate: Mon, 20 May 2024 09:41:07 +0100\r\n" +
		"Message-ID: <ack-239@norfolk.police.uk>\r\nIn-Reply-To: <females-norfolk@requests.example.org>\r\n\r\n" +
		"Your request has been logged under reference FOI/OPCCN/239.\r\n"

	// The response comes first (a backfill, or an acknowledgement delayed).
	respSHA, err := d.IngestRaw(ctx, []byte(response), "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if un, _ := d.Store.Unmatched(ctx); len(un) != 1 {
		t.Fatalf("the response should wait unmatched (two requests share the domain), unmatched = %+v", un)
	}
	if _, err := d.IngestRaw(ctx, []byte(ack), "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := d.Store.Reply(ctx, respSHA)
	if err != nil {
		t.Fatal(err)
	}
	if r.Campaign != "females" || r.Request != "norfolk" || r.Match != worker.MatchReference || r.Answers["n"].Value != int64(12) {
		t.Fatalf("response after the acknowledgement taught its reference: %s/%s by %s, answers %+v", r.Campaign, r.Request, r.Match, r.Answers)
	}
	if un, _ := d.Store.Unmatched(ctx); len(un) != 0 {
		t.Fatalf("still unmatched: %+v", un)
	}
	s, _, _ := d.Store.State(ctx, "females", "norfolk")
	if s.State != worker.StateAnswered || len(s.Replies) != 2 {
		t.Fatalf("females/norfolk = %s with %d replies", s.State, len(s.Replies))
	}
}
