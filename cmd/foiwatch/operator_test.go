package main

import (
	"strings"
	"testing"
	"time"
)

// Operator commands reach the running daemon's embedded NATS server (on
// loopback, with the credential in data_dir) instead of opening the store.
func TestOperatorCommandsWorkWhileTheDaemonRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping a test that runs foiwatch as a process")
	}
	bin := foiwatchBinary(t)
	samples := sampleMessages(t)
	srv := memMailbox(t, "op-test-pw", samples...)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.Addr(), srv.Username(), srv.Password(), "")
	t.Setenv("FOIWATCH_CONFIG", cfg)
	p := startFoiwatch(t, bin, cfg)

	deadline := time.Now().Add(60 * time.Second)
	for {
		if n, pending := progress(t, cfg); n == len(samples) && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not store the samples in 60s\n%s", p.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"status", "--now", "2024-06-21"}, "FOI/OPCCB/0412"},
		{[]string{"export", "--format", "csv"}, "borsetshire"},
		{[]string{"export", "--format", "jsonl", "--replies"}, `"match":"thread"`},
		{[]string{"failed", "list"}, "no failed messages"},
		{[]string{"unmatched", "list"}, "news@civicdata.example.net"},
		{[]string{"remind", "--dry-run", "--now", "2024-06-21"}, "wessex"},
		{[]string{"event", "wessex", "withdrawn", "--at", "2024-06-20"}, "state withdrawn"},
		{[]string{"reprocess"}, "the running daemon's workers process them"},
	} {
		code, out, errOut := foiwatch(t, tc.args...)
		if code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("foiwatch %s while the daemon runs: exit %d, output %q %q; want %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
	// The reprocessed messages go through the daemon's own workers.
	deadline = time.Now().Add(60 * time.Second)
	for {
		if n, pending := progress(t, cfg); n == len(samples) && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("reprocessing did not finish in 60s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := p.stop(t); err != nil {
		t.Fatalf("foiwatch run did not stop cleanly on SIGTERM: %v\n%s", err, p.stderr)
	}
	// And once it is stopped, the same commands open the store themselves.
	code, out, errOut := foiwatch(t, "status", "--now", "2024-06-21")
	if code != 0 || !strings.Contains(out, "withdrawn") {
		t.Errorf("status on the stopped daemon: %d %q %q", code, out, errOut)
	}
}
