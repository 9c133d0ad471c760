package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/mailbox/mailtest"
	"github.com/foiwatch/foiwatch/queue"
	"github.com/foiwatch/foiwatch/worker"
)

// freePorts returns n distinct free loopback ports (mailtest.FreePorts).
func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	ports, err := mailtest.FreePorts(n)
	if err != nil {
		tb.Fatal(err)
	}
	return ports
}

// natsNode is one nats-server process of a test cluster.
type natsNode struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startNATSNode(t *testing.T, bin, dir string, i int, client, routes []int) *natsNode {
	t.Helper()
	var rs []string
	for _, p := range routes {
		rs = append(rs, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
	}
	conf := fmt.Sprintf(`server_name: n%d
listen: 127.0.0.1:%d
jetstream { store_dir: %q }
cluster {
  name: foiwatch-test
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, i, client[i], filepath.Join(dir, fmt.Sprintf("n%d", i)), routes[i], strings.Join(rs, ", "))
	return runNATSServer(t, bin, filepath.Join(dir, fmt.Sprintf("n%d.conf", i)), conf)
}

// runNATSServer writes conf to path and runs nats-server (bin) on it until
// the test ends.
func runNATSServer(t *testing.T, bin, path, conf string) *natsNode {
	t.Helper()
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", path)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &natsNode{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(n.done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-n.done })
	return n
}

func TestTwoWorkersOnAThreeNodeClusterSurviveLosingANodeAndAWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the cluster test")
	}
	nMsgs, nReqs := 1500, 29
	if *long {
		nMsgs = 6000
	}
	nats := natsServerBinary(t)
	bin := foiwatchBinary(t)
	dir := t.TempDir()
	ports := freePorts(t, 6)
	client, routes := ports[:3], ports[3:]
	var nodes []*natsNode
	for i := 0; i < 3; i++ {
		nodes = append(nodes, startNATSNode(t, nats, dir, i, client, routes))
	}
	var urls []string
	for _, p := range client {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	url := strings.Join(urls, ",")

	// Wait until the cluster has a JetStream meta leader: creating the
	// replicated streams succeeds.
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		q, err := queue.Open(ctx, queue.Config{URL: url, Replicas: 3}, &queue.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		cancel()
		if err == nil {
			q.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the NATS cluster did not become ready: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}

	msgs := genMessages(nMsgs, nReqs)
	srv := memMailbox(t, "cluster-test-pw", msgs...)
	cfg := writeConfig(t, dir, srv.Addr(), srv.Username(), srv.Password(), "")
	os.WriteFile(filepath.Join(dir, "campaign.toml"), []byte(genCampaign(nReqs)), 0o600) // in place of the demo campaign
	b, _ := os.ReadFile(cfg)
	// [nats] goes after the top-level keys, before the first table.
	text := strings.Replace(string(b), "[http]", fmt.Sprintf("[nats]\nurl = %q\nreplicas = 3\n[http]", url), 1)
	os.WriteFile(cfg, []byte(text), 0o600)

	start := time.Now()
	a := startFoiwatch(t, bin, cfg)
	bproc := startFoiwatch(t, bin, cfg)
	// Mid-run: one NATS node and one worker die.
	for {
		n, _ := progress(t, cfg)
		if n >= nMsgs/5 || time.Since(start) > time.Minute {
			t.Logf("%d of %d stored when node n2 and a worker are killed", n, nMsgs)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	nodes[2].cmd.Process.Kill()
	<-nodes[2].done
	a.kill()

	if err := waitStored(t, cfg, nMsgs, 4*time.Minute, bproc); err != nil {
		t.Error(err) // go on: the checks below name what is missing
	}
	if !t.Failed() {
		t.Logf("all %d messages stored in %s on two of three NATS nodes and one of two workers", nMsgs, time.Since(start).Round(time.Millisecond))
	}
	if err := bproc.stop(t); err != nil {
		t.Errorf("worker did not stop cleanly: %v\n%s", err, bproc.stderr)
	}

	d := openStore(t, cfg)
	ctx := context.Background()
	if n, _ := d.Q.Replies.Keys(ctx); len(n) != nMsgs {
		stored := map[string]bool{}
		for _, k := range n {
			stored[k] = true
		}
		for i, m := range msgs {
			if !stored[queue.SHA256(m)] {
				_, rawErr := d.Q.GetRaw(ctx, queue.SHA256(m))
				t.Errorf("message %d (%s) has no stored reply; raw stored: %v", i, queue.SHA256(m)[:12], rawErr)
			}
		}
	}
	checkStoredOnce(t, d, msgs, nReqs, worker.StateAnswered)
}
