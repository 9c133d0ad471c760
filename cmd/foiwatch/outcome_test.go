package main

// What `foiwatch sync` says happened must be what the store shows after:
// its counts against `export --replies` and `failed list`, on a mailbox of
// hostile headers (a 2 MB Subject, a 2 MB From, 10,000 Received lines) that
// make Replies larger than a NATS message, among ordinary replies.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostileHeaders are messages whose headers are built to be too large.
func hostileHeaders() map[string][]byte {
	tail := "Date: Mon, 17 Jun 2024 10:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Dear Requester,\r\n\r\n1. 12.\r\n2. Police, Probation Service.\r\n\r\nYours sincerely\r\nFOI Team\r\n"
	var received strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&received, "Received: from relay%d.example.net (relay%d.example.net [192.0.2.%d]) by mx.requests.example.org; Mon, 17 Jun 2024 10:00:00 +0100\r\n", i, i, i%250)
	}
	return map[string][]byte{
		// Threaded on a request: matched, its Reply holds the 2 MB subject.
		"subject-2MB": []byte("From: Wessex FOI <enquiries@wessex-pfcc.gov.uk>\r\nTo: researcher@requests.example.org\r\n" +
			"Subject: RE: FOI " + strings.Repeat("very long subject ", 2<<20/18) + "\r\n" +
			"Message-ID: <hostile-subject@wessex-pfcc.gov.uk>\r\nIn-Reply-To: <dapp-demo-wessex@requests.example.org>\r\n" + tail),
		// Not threaded: unmatched, its unmatched entry holds the 2 MB From.
		"from-2MB": []byte("From: \"" + strings.Repeat("A Very Long Display Name ", 2<<20/25) + "\" <someone@unknown.example.com>\r\n" +
			"To: researcher@requests.example.org\r\nSubject: hello\r\nMessage-ID: <hostile-from@unknown.example.com>\r\n" + tail),
		"received-10000": []byte(received.String() + "From: Wessex FOI <enquiries@wessex-pfcc.gov.uk>\r\nTo: researcher@requests.example.org\r\n" +
			"Subject: RE: FOI request\r\nMessage-ID: <hostile-received@wessex-pfcc.gov.uk>\r\nIn-Reply-To: <dapp-demo-wessex@requests.example.org>\r\n" + tail),
		"not-email": []byte("this line is no email header\r\nnor is this\r\n"),
	}
}

var syncLine = regexp.MustCompile(`fetched (\d+), processed (\d+), unmatched (\d+), failed (\d+), waiting for a retry (\d+); replies stored (\d+)`)

func TestSyncCountsAreWhatExportAndFailedListShow(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the hostile-header sync (6 MB of headers)")
	}
	msgs := sampleMessages(t)
	hostile := hostileHeaders()
	for _, name := range []string{"subject-2MB", "from-2MB", "received-10000", "not-email"} {
		msgs = append(msgs, hostile[name])
	}
	srv := memMailbox(t, "outcome-pw", msgs...)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.Addr(), srv.Username(), srv.Password(), "")
	t.Setenv("FOIWATCH_CONFIG", cfg)

	start := time.Now()
	code, out, errOut := foiwatch(t, "sync")
	t.Logf("sync in %s: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(out))
	if code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, logTail(errOut, 3000))
	}
	m := syncLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("sync printed %q", out)
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	fetched, processed, unmatched, failed, waiting, stored := n(1), n(2), n(3), n(4), n(5), n(6)
	if fetched != len(msgs) || processed != len(msgs) {
		t.Errorf("fetched %d, processed %d: want %d each", fetched, processed, len(msgs))
	}
	if waiting != 0 {
		t.Errorf("%d waiting for a retry: every message must be stored or in FAILED", waiting)
	}
	if stored+failed != len(msgs) {
		t.Errorf("stored %d + failed %d != %d messages", stored, failed, len(msgs))
	}

	code, replies, errOut := foiwatch(t, "export", "--format", "jsonl", "--replies")
	if code != 0 {
		t.Fatalf("export --replies: %d %s", code, errOut)
	}
	if got := strings.Count(replies, "\n"); got != stored {
		t.Errorf("export --replies wrote %d replies, sync said %d stored", got, stored)
	}
	if !strings.Contains(replies, "very long subject very long subject") {
		t.Error("the reply with the 2 MB subject is not in the export")
	}
	code, list, _ := foiwatch(t, "failed", "list")
	if code != 0 {
		t.Fatalf("failed list: %d", code)
	}
	lines := 0
	for _, l := range strings.Split(strings.TrimSpace(list), "\n") {
		if l != "" && !strings.HasPrefix(l, "no failed") {
			lines++
			if !strings.Contains(l, " ") || len(strings.Fields(l)) < 6 {
				t.Errorf("failed entry without a reason: %q", l)
			}
		}
	}
	if lines != failed {
		t.Errorf("failed list shows %d, sync said %d:\n%s", lines, failed, list)
	}
	if !strings.Contains(list, "not an email") {
		t.Errorf("failed list does not give the reason: %q", list)
	}
	code, ulist, _ := foiwatch(t, "unmatched", "list")
	if code != 0 {
		t.Fatalf("unmatched list: %d", code)
	}
	// One entry a reply: its first line at the margin, then indented lines
	// (why it matched nothing).
	got := 0
	for _, l := range strings.Split(ulist, "\n") {
		if l != "" && l[0] != ' ' && l[0] != '\t' {
			got++
		}
	}
	if got != unmatched {
		t.Errorf("unmatched list shows %d, sync said %d:\n%.400s", got, unmatched, ulist)
	}
	t.Logf("stored %d (export --replies %d), unmatched %d, failed %d (failed list %d)", stored, strings.Count(replies, "\n"), unmatched, failed, lines)

	// Again: nothing new, the same totals.
	code, out, _ = foiwatch(t, "sync")
	if m2 := syncLine.FindStringSubmatch(out); code != 0 || m2 == nil || m2[1] != "0" || m2[6] != m[6] || m2[4] != m[4] {
		t.Errorf("second sync: %d %q (first: %q)", code, out, m[0])
	}
}
