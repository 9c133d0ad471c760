package worker_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/queue"
	"github.com/foiwatch/foiwatch/worker"
	"github.com/foiwatch/foiwatch/worker/demo"
)

// A daemon whose parse workers cannot get their consumer (here JetStream
// holds a consumer of foiwatch's name with settings it must not change)
// would go on fetching mail that nothing processes. It stops instead, and
// says why.
func TestTheDaemonStopsWhenItsWorkersCannotRun(t *testing.T) {
	dir := t.TempDir()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: filepath.Join(dir, "nats"), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })

	peer := memPeer(t)
	camp := filepath.Join(dir, "campaign.toml")
	pw := filepath.Join(dir, "imap-password")
	os.WriteFile(camp, []byte(demo.CampaignTOML()), 0o600)
	os.WriteFile(pw, []byte(peer.pass+"\n"), 0o600)
	off, idle := "", false
	cfg := worker.Config{
		DataDir:   filepath.Join(dir, "data"),
		Campaigns: []string{camp},
		NATS:      queue.Config{URL: srv.ClientURL()},
		Mailboxes: []mailbox.Config{{Name: "foi", Address: peer.addr, TLS: peer.tls, Username: peer.user, PasswordFile: pw, IDLE: &idle}},
		HTTP:      worker.HTTPConfig{Listen: &off},
	}
	var logs strings.Builder
	ctx := context.Background()
	d, err := worker.Open(ctx, cfg, &worker.Options{Logger: slog.New(slog.NewTextHandler(io.MultiWriter(&logs, io.Discard), nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })

	// The consumer "worker" on MAIL with another MaxWaiting, which
	// JetStream refuses to change to foiwatch's.
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	mail, err := js.Stream(ctx, queue.StreamMail)
	if err != nil {
		t.Fatal(err)
	}
	mail.DeleteConsumer(ctx, queue.ConsumerWorker) // none yet, or foiwatch's
	if _, err := mail.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: queue.ConsumerWorker, AckPolicy: jetstream.AckExplicitPolicy, MaxWaiting: 7, FilterSubject: queue.SubjectMail}); err != nil {
		t.Fatal(err)
	}

	runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	err = d.Run(runCtx)
	if runCtx.Err() != nil {
		t.Fatalf("the daemon ran on without its parse workers until the test's deadline (Run: %v)", err)
	}
	if err == nil || !strings.Contains(err.Error(), "no message would be processed") || !strings.Contains(err.Error(), "consumer "+queue.ConsumerWorker) {
		t.Fatalf("Run = %v; want an error saying the workers cannot run and naming the consumer", err)
	}
	t.Logf("said: %v", err)
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "parse workers cannot run") {
		t.Errorf("the log does not say it at ERROR:\n%s", logs.String())
	}
}
