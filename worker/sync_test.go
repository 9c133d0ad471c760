package worker_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/worker"
	"github.com/foiwatch/foiwatch/worker/demo"
)

// A sync pass reports its progress over the whole pass, fetching then
// processing, so that the sync command shows one line to its end.
func TestSyncReportsProgressOverTheWholePass(t *testing.T) {
	peer := memPeer(t)
	const n = 250 // more than a fetch batch (100): the fetch reports too
	for i := 0; i < n; i++ {
		peer.append(t, []byte(fmt.Sprintf("From: news%d@example.net\r\nTo: researcher@requests.example.org\r\nSubject: bulletin %d\r\nMessage-ID: <%d@example.net>\r\nDate: Mon, 3 Jun 2024 09:00:00 +0100\r\n\r\nNews of the week, number %d.\r\n", i, i, i, i)))
	}
	dir := t.TempDir()
	camp := filepath.Join(dir, "campaign.toml")
	pw := filepath.Join(dir, "imap-password")
	os.WriteFile(camp, []byte(demo.CampaignTOML()), 0o600)
	os.WriteFile(pw, []byte(peer.pass), 0o600)
	off, idle := "", false
	var mu sync.Mutex
	var reports []worker.SyncProgress
	d, err := worker.Open(context.Background(), worker.Config{
		DataDir: filepath.Join(dir, "data"), Campaigns: []string{camp}, HTTP: worker.HTTPConfig{Listen: &off},
		Mailboxes: []mailbox.Config{{Name: "foi", Address: peer.addr, TLS: peer.tls, Username: peer.user, PasswordFile: pw, IDLE: &idle}},
	}, &worker.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), NoListen: true,
		SyncProgress: func(p worker.SyncProgress) { mu.Lock(); reports = append(reports, p); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := d.Sync(ctx)
	if err != nil || res.Processed != n {
		t.Fatalf("sync = %+v, %v", res, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reports) < 4 {
		t.Fatalf("%d progress reports: %+v", len(reports), reports)
	}
	sawFetching, sawProcessing := false, false
	for i, p := range reports {
		if p.Fetching && p.ToFetch == n && p.Fetched > 0 && p.Fetched < n {
			sawFetching = true
		}
		if !p.Fetching && p.Processed > 0 && p.Processed < n {
			sawProcessing = true
			if p.ToProcess != n || p.ProcessingSince.IsZero() {
				t.Errorf("report %d while processing: %+v, want %d to process", i, p, n)
			}
		}
		if i > 0 && (p.Processed < reports[i-1].Processed || p.Fetched < reports[i-1].Fetched) {
			t.Errorf("report %d goes back: %+v after %+v", i, p, reports[i-1])
		}
	}
	last := reports[len(reports)-1]
	if !sawFetching || !sawProcessing || last.Fetching || last.Fetched != n || last.Processed != n || last.ToProcess != n {
		t.Errorf("fetching seen %v, processing seen %v, last report %+v; want both and %d of %d done", sawFetching, sawProcessing, last, n, n)
	}
}
