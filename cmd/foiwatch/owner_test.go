package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A second `run` on the data_dir of a running daemon says so at once, with
// the daemon's pid, instead of waiting for the lock.
func TestSecondRunOnOneDataDirSaysSoAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping a test that runs foiwatch as a process")
	}
	bin := foiwatchBinary(t)
	srv := memMailbox(t, "second-run-pw", sampleMessages(t)...)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.Addr(), srv.Username(), srv.Password(), "")
	p := startFoiwatchLevel(t, bin, cfg, "info")
	ep := filepath.Join(dir, "data", "nats", "endpoint.json")
	waitFor(t, 60*time.Second, "the daemon running", func() (bool, string) {
		_, err := os.Stat(ep)
		return err == nil && logHas(p.stderr.String(), "foiwatch running"), p.stderr.String()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // the lock wait is 30 s
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"run", "--config", cfg, "--log-level", "error"}, strings.NewReader(""), &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "another foiwatch daemon runs on this data_dir") ||
		!strings.Contains(errb.String(), "pid "+strconv.Itoa(p.cmd.Process.Pid)) || ctx.Err() != nil {
		t.Errorf("second run: exit %d, %q (waited until the deadline: %v); want 1 at once naming pid %d", code, errb.String(), ctx.Err() != nil, p.cmd.Process.Pid)
	}
	if err := p.stop(t); err != nil {
		t.Fatalf("the first daemon: %v\n%s", err, p.stderr)
	}
}
