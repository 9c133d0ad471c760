package main

// Two workers started together on a three-node cluster that has only just
// elected its JetStream leader, as a deployment with two workers starts:
// both must come up (creating the same streams at once, while the cluster
// settles), process every reply once, and go on when a node dies.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/foiwatch/foiwatch/queue"
)

// clusterProgress counts the replies stored and the envelopes not yet
// acknowledged, straight from JetStream (opening a foiwatch queue each time
// would update every stream on the cluster each time).
func clusterProgress(url string) (replies int, pending uint64, err error) {
	nc, err := nats.Connect(url, nats.Timeout(5*time.Second))
	if err != nil {
		return 0, 0, err
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, "KV_"+queue.BucketReplies)
	if err != nil {
		return 0, 0, err
	}
	replies = int(s.CachedInfo().State.NumSubjects)
	c, err := js.Consumer(ctx, queue.StreamMail, queue.ConsumerWorker)
	if err != nil {
		return replies, 0, err
	}
	info := c.CachedInfo()
	return replies, info.NumPending + uint64(info.NumAckPending), nil
}

// waitMetaLeader waits until the cluster answers JetStream requests (its
// metadata leader is elected) and returns how long that took.
func waitMetaLeader(t *testing.T, url string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		nc, err := nats.Connect(url, nats.Timeout(2*time.Second))
		if err == nil {
			js, _ := jetstream.New(nc)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err = js.AccountInfo(ctx)
			cancel()
			nc.Close()
			if err == nil {
				return time.Since(start)
			}
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("the cluster elected no JetStream leader within a minute: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestTwoWorkersStartedTogetherOnAFreshClusterProcessEveryReplyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the cluster start test")
	}
	rounds := 2 // about 30 s a round here (5 rounds: 147 s); -long: the 5 rounds of the issue
	if *long {
		rounds = 5
	}
	natsBin := natsServerBinary(t)
	bin := foiwatchBinary(t)
	const first, more, nReqs = 200, 100, 29
	msgs := genMessages(first+more, nReqs)
	for round := 1; round <= rounds; round++ {
		t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) {
			dir := t.TempDir()
			ports := freePorts(t, 8)
			client, routes, httpPorts := ports[:3], ports[3:6], ports[6:]
			var nodes []*natsNode
			var urls []string
			for i := 0; i < 3; i++ {
				nodes = append(nodes, startNATSNode(t, natsBin, dir, i, client, routes))
				urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", client[i]))
			}
			url := strings.Join(urls, ",")
			elected := waitMetaLeader(t, url)

			srv := memMailbox(t, fmt.Sprintf("settle-pw-%d", round), msgs[:first]...)
			var cfgs []string
			for i, hp := range httpPorts {
				d := filepath.Join(dir, fmt.Sprintf("w%d", i))
				os.MkdirAll(d, 0o700)
				cfg := writeConfig(t, d, srv.Addr(), srv.Username(), srv.Password(), "poll_interval = \"1s\"\n")
				os.WriteFile(filepath.Join(d, "campaign.toml"), []byte(genCampaign(nReqs)), 0o600)
				b, _ := os.ReadFile(cfg)
				text := strings.Replace(string(b), "[http]\nlisten = \"\"", fmt.Sprintf("[nats]\nurl = %q\nreplicas = 3\n[http]\nlisten = \"127.0.0.1:%d\"", url, hp), 1)
				os.WriteFile(cfg, []byte(text), 0o600)
				cfgs = append(cfgs, cfg)
			}
			// Both at the same moment, as soon as the leader is elected.
			start := time.Now()
			procs := []*proc{startFoiwatchLevel(t, bin, cfgs[0], "info"), startFoiwatchLevel(t, bin, cfgs[1], "info")}
			for i, hp := range httpPorts {
				base := fmt.Sprintf("http://127.0.0.1:%d", hp)
				p := procs[i]
				waitFor(t, 3*time.Minute, fmt.Sprintf("worker %d /readyz 200", i), func() (bool, string) {
					select {
					case <-p.done:
						t.Fatalf("worker %d exited: %v\n%s", i, p.err, logTail(p.stderr.String(), 4000))
					default:
					}
					code, _, body := getReadyz(base)
					return code == http.StatusOK, fmt.Sprint(code, " ", body)
				})
				t.Logf("worker %d ready %s after it started (the leader was elected %s after the nodes started)", i, time.Since(start).Round(time.Millisecond), elected.Round(time.Millisecond))
			}
			waited := 0
			for _, p := range procs {
				waited += strings.Count(p.stderr.String(), "JetStream is not ready; waiting")
			}
			t.Logf("the two workers waited for JetStream %d times between them", waited)

			waitClusterStored(t, url, first, 3*time.Minute, procs)
			t.Logf("%d replies stored %s after the start", first, time.Since(start).Round(time.Millisecond))

			// One node dies; mail goes on arriving.
			victim := round % 3
			nodes[victim].cmd.Process.Kill()
			<-nodes[victim].done
			for _, m := range msgs[first:] {
				srv.Append("INBOX", m)
			}
			killed := time.Now()
			waitClusterStored(t, url, first+more, 3*time.Minute, procs)
			t.Logf("%d more stored %s after node n%d was killed", more, time.Since(killed).Round(time.Millisecond), victim)
			for i, hp := range httpPorts {
				base := fmt.Sprintf("http://127.0.0.1:%d", hp)
				waitFor(t, time.Minute, fmt.Sprintf("worker %d /readyz 200 on two nodes", i), func() (bool, string) {
					code, _, body := getReadyz(base)
					return code == http.StatusOK, fmt.Sprint(code, " ", body)
				})
			}
			for i, p := range procs {
				select {
				case <-p.done:
					t.Errorf("worker %d exited: %v\n%s", i, p.err, logTail(p.stderr.String(), 3000))
				default:
				}
				if err := p.stop(t); err != nil {
					t.Errorf("worker %d did not stop cleanly: %v\n%s", i, err, logTail(p.stderr.String(), 3000))
				}
			}
			checkStoredOnce(t, openStore(t, cfgs[0]), msgs, nReqs, "")
		})
		if t.Failed() {
			break
		}
	}
}

// waitClusterStored waits until n replies are stored and nothing is queued.
func waitClusterStored(t *testing.T, url string, n int, timeout time.Duration, procs []*proc) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		got, pending, err := clusterProgress(url)
		if err == nil && got == n && pending == 0 {
			return
		}
		last = fmt.Sprintf("%d of %d stored, %d pending, err %v", got, n, pending, err)
		if time.Now().After(deadline) {
			var logs []string
			for _, p := range procs {
				logs = append(logs, logTail(p.stderr.String(), 4000))
			}
			t.Fatalf("after %s: %s\n%s", timeout, last, strings.Join(logs, "\n---\n"))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// The daemon started before its NATS server (a reboot, the servers still
// coming up): it does not exit; /healthz answers, /readyz is 503 and says
// what it waits for, the log says it too; once the server is up it runs.
func TestDaemonStartedBeforeItsNATSServerSaysWhatItWaitsFor(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the early-start test")
	}
	natsBin := natsServerBinary(t)
	bin := foiwatchBinary(t)
	dir := t.TempDir()
	ports := freePorts(t, 2)
	natsPort, httpPort := ports[0], ports[1]
	url := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	msgs := genMessages(20, 7)
	srv := memMailbox(t, "early-pw", msgs...)
	cfg := writeConfig(t, dir, srv.Addr(), srv.Username(), srv.Password(), "poll_interval = \"1s\"\n")
	os.WriteFile(filepath.Join(dir, "campaign.toml"), []byte(genCampaign(7)), 0o600)
	b, _ := os.ReadFile(cfg)
	text := strings.Replace(string(b), "[http]\nlisten = \"\"", fmt.Sprintf("[nats]\nurl = %q\n[http]\nlisten = \"127.0.0.1:%d\"", url, httpPort), 1)
	os.WriteFile(cfg, []byte(text), 0o600)

	p := startFoiwatchLevel(t, bin, cfg, "info")
	waitFor(t, 30*time.Second, "/readyz 503 saying what it waits for", func() (bool, string) {
		code, _, body := getReadyz(base)
		return code == http.StatusServiceUnavailable && strings.Contains(body, "waiting for JetStream: no NATS server at "+url), fmt.Sprint(code, " ", body)
	})
	_, _, body := getReadyz(base)
	t.Logf("/readyz while NATS is not up: %s", body)
	if resp, err := http.Get(base + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/healthz while waiting: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	waitFor(t, 10*time.Second, "the log says what it waits for", func() (bool, string) {
		return logHas(p.stderr.String(), "JetStream is not ready; waiting"), logTail(p.stderr.String(), 2000)
	})
	time.Sleep(2 * time.Second) // a while with no server: the daemon must not exit
	select {
	case <-p.done:
		t.Fatalf("foiwatch exited while waiting for NATS: %v\n%s", p.err, p.stderr)
	default:
	}
	startNATSServer(t, natsBin, dir, natsPort)
	waitFor(t, 90*time.Second, "/readyz 200 once NATS is up", func() (bool, string) {
		code, _, body := getReadyz(base)
		return code == http.StatusOK, fmt.Sprint(code, " ", body)
	})
	if err := waitStored(t, cfg, len(msgs), 2*time.Minute, p); err != nil {
		t.Fatal(err)
	}
	if err := p.stop(t); err != nil {
		t.Errorf("foiwatch did not stop cleanly: %v", err)
	}
}
