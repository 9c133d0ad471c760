package worker_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/mailbox/mailtest"
	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
	"github.com/foiwatch/foiwatch/worker"
	"github.com/foiwatch/foiwatch/worker/deadline"
	"github.com/foiwatch/foiwatch/worker/demo"
)

// imapPeer is a real IMAP server a test appends to.
type imapPeer struct {
	addr, user, pass string
	tls              string // the mailbox's tls setting
	tlsConfig        *tls.Config
	append           func(t *testing.T, raw []byte)
}

func memPeer(t *testing.T) imapPeer {
	s, err := mailtest.NewMemServer("researcher@requests.example.org", "pw-mem-3141")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return imapPeer{addr: s.Addr(), user: s.Username(), pass: s.Password(), tls: "none",
		append: func(t *testing.T, raw []byte) {
			if err := s.Append("INBOX", raw); err != nil {
				t.Fatal(err)
			}
		}}
}

func dovecotPeer(t *testing.T) imapPeer {
	if !mailtest.DovecotInstalled() {
		t.Skip("dovecot is not installed (apt-get install -y dovecot-imapd): skipping the Dovecot end-to-end test")
	}
	d := mailtest.StartDovecot(t, &mailtest.DovecotOptions{TLS: true})
	return imapPeer{addr: d.TLSAddr(), user: d.Username, pass: d.Password, tls: "implicit", tlsConfig: d.TLSConfig(),
		append: func(t *testing.T, raw []byte) { d.Append(t, "INBOX", raw) }}
}

// openDaemon opens foiwatch on a fresh data dir against peer, with the
// demo campaign, the clock at demo.Clock.
func openDaemon(t *testing.T, dir string, peer imapPeer) *worker.Daemon {
	t.Helper()
	camp := filepath.Join(dir, "campaign.toml")
	pw := filepath.Join(dir, "imap-password")
	if err := os.WriteFile(camp, []byte(demo.CampaignTOML()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pw, []byte(peer.pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	off := ""
	idle := false
	cfg := worker.Config{
		DataDir:   filepath.Join(dir, "data"),
		Campaigns: []string{camp},
		Mailboxes: []mailbox.Config{{Name: "foi", Address: peer.addr, TLS: peer.tls, Username: peer.user, PasswordFile: pw, IDLE: &idle}},
		HTTP:      worker.HTTPConfig{Listen: &off},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	d, err := worker.Open(context.Background(), cfg, &worker.Options{
		Logger: log, NoListen: true, Now: func() time.Time { return demo.Clock },
		Poller: &mailbox.PollerOptions{TLSConfig: peer.tlsConfig},
	})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// want is what one sample must become.
type want struct {
	request, match, kind, reference, statedDue string
	answers                                    map[string]string // key → CellValue
}

var wantSamples = map[string]want{
	"01-borsetshire-acknowledgement.eml": {"borsetshire", "thread", "acknowledgement", "FOI/OPCCB/0412", "2024-06-11", nil},
	"02-borsetshire-response.eml": {"borsetshire", "sender", "response", "FOI/OPCCB/0412", "", map[string]string{
		"programme": "Turning Point Borsetshire Behaviour Change Programme", "self_referred": "8", "self_referred_accepted": "6",
		"agency_referred_completed": "19", "referring_organisations": "Borsetshire Police; Children's Services; Probation Service",
		"financial_contributors": "Office of the Police and Crime Commissioner for Borsetshire; Borsetshire County Council",
		"budget":                 "98500", "evaluation_link": ""}},
	"03-midsomer-response.eml": {"midsomer", "sender", "response", "00123-24", "", map[string]string{
		"self_referred": "7", "self_referred_completed": "3", "agency_referred": "88", "agency_referred_completed": "12",
		"referring_organisations": "Midsomer Police; Adult Social Care (Midsomer); Women's Aid Midsomer; Probation",
		"financial_contributors":  "not_held", "budget": "not_held"}},
	"04-wessex-auto-reply.eml": {"wessex", "thread", "auto_reply", "", "", nil},
	"05-barsetshire-response.eml": {"barsetshire", "sender", "response", "BPCC/FOI/24/071", "", map[string]string{
		"self_referred": "11", "self_referred_accepted": "exempt s.40(2)", "self_referred_completed": "0", "agency_referred": "56",
		"evaluation_link": "https://www.barsetshire-pcc.gov.uk/dapp-evaluation-2024", "budget": "72000"}},
	"06-unrelated-newsletter.eml": {"", "none", "other", "", "", nil},
}

func checkReplies(t *testing.T, d *worker.Daemon) {
	t.Helper()
	ctx := context.Background()
	samples, _ := demo.Samples()
	for _, s := range samples {
		w, ok := wantSamples[s.Name]
		if !ok {
			t.Fatalf("no expectation for sample %s", s.Name)
		}
		r, err := d.Store.Reply(ctx, sha(s.Raw))
		if err != nil {
			t.Errorf("%s: not stored: %v", s.Name, err)
			continue
		}
		got := fmt.Sprintf("request=%q match=%q kind=%q reference=%q stated_due=%q", r.Request, r.Match, r.Kind, r.Reference, r.StatedDue)
		exp := fmt.Sprintf("request=%q match=%q kind=%q reference=%q stated_due=%q", w.request, w.match, w.kind, w.reference, w.statedDue)
		if got != exp {
			t.Errorf("%s:\n got %s\nwant %s", s.Name, got, exp)
		}
		for k, v := range w.answers {
			if c := worker.CellValue(r.Answers[k]); c != v {
				t.Errorf("%s: answer %s = %q (%+v), want %q", s.Name, k, c, r.Answers[k], v)
			}
		}
		if r.ParserVersion != parser.Version {
			t.Errorf("%s: parser version %d, want %d", s.Name, r.ParserVersion, parser.Version)
		}
	}
	un, err := d.Store.Unmatched(ctx)
	if err != nil || len(un) != 1 || un[0].From != "news@civicdata.example.net" {
		t.Errorf("unmatched = %+v, %v; want the newsletter only", un, err)
	}
	rows, err := d.Rows(ctx, "", deadline.DateOf(demo.Clock))
	if err != nil {
		t.Fatal(err)
	}
	wantRows := map[string]string{ // request → state due days_late reference
		// Both ignored the unnumbered "link to evaluation" item.
		"borsetshire": "partially_answered 2024-06-11 0 FOI/OPCCB/0412",
		"midsomer":    "partially_answered 2024-06-11 1 00123-24",
		"wessex":      "sent 2024-06-11 8 ",
		"barsetshire": "partially_answered 2024-06-11 0 BPCC/FOI/24/071",
	}
	for _, row := range rows {
		got := fmt.Sprintf("%s %s %d %s", row.Status, row.Due, row.DaysLate, row.Reference)
		if got != wantRows[row.Request] {
			t.Errorf("status of %s = %q, want %q", row.Request, got, wantRows[row.Request])
		}
	}
}

func sha(raw []byte) string { return queue.SHA256(raw) }

func countReplies(t *testing.T, d *worker.Daemon) int {
	t.Helper()
	reps, err := d.Store.Replies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(reps)
}

const extraReply = "From: Borsetshire OPCC Information Access <foi@opcc-borsetshire.police.uk>\r\n" +
	"To: researcher@requests.example.org\r\n" +
	"Subject: RE: Freedom of Information Request FOI/OPCCB/0412\r\n" +
	"Date: Tue, 11 Jun 2024 09:00:00 +0100\r\n" +
	"Message-ID: <thanks-0412@opcc-borsetshire.police.uk>\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
	"Thank you, we have no further comment on FOI/OPCCB/0412.\r\n"

func testEndToEnd(t *testing.T, peer imapPeer) {
	ctx := context.Background()
	samples, err := demo.Samples()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		peer.append(t, s.Raw)
	}
	d := openDaemon(t, t.TempDir(), peer)

	res, err := d.Sync(ctx)
	if err != nil {
		t.Fatalf("first sync: %v", err)
	}
	if res.Fetched != len(samples) || res.Processed != len(samples) || res.Failed != 0 {
		t.Fatalf("first sync = %+v, want %d fetched and processed", res, len(samples))
	}
	checkReplies(t, d)

	res, err = d.Sync(ctx)
	if err != nil {
		t.Fatalf("second sync: %v", err)
	}
	if res.Fetched != 0 || res.Processed != 0 {
		t.Fatalf("second sync = %+v, want nothing fetched or processed", res)
	}
	if n := countReplies(t, d); n != len(samples) {
		t.Fatalf("%d replies stored after the second sync, want %d", n, len(samples))
	}

	peer.append(t, []byte(extraReply))
	res, err = d.Sync(ctx)
	if err != nil {
		t.Fatalf("third sync: %v", err)
	}
	if res.Fetched != 1 || res.Processed != 1 {
		t.Fatalf("third sync = %+v, want exactly one more", res)
	}
	if n := countReplies(t, d); n != len(samples)+1 {
		t.Fatalf("%d replies stored, want %d", n, len(samples)+1)
	}
	r, err := d.Store.Reply(ctx, sha([]byte(extraReply)))
	if err != nil || r.Request != "borsetshire" || r.Match != worker.MatchSender {
		t.Fatalf("extra reply = %+v, %v", r, err)
	}
	checkReplies(t, d) // the extra reply changed no other result
}

func TestEndToEndInMemoryIMAP(t *testing.T) { testEndToEnd(t, memPeer(t)) }

func TestEndToEndDovecot(t *testing.T) { testEndToEnd(t, dovecotPeer(t)) }

func TestSameMessageInTwoFoldersIsStoredOnce(t *testing.T) {
	peer := memPeer(t)
	samples, _ := demo.Samples()
	peer.append(t, samples[0].Raw)
	peer.append(t, samples[0].Raw) // the same bytes twice, e.g. copied by a filter
	d := openDaemon(t, t.TempDir(), peer)
	res, err := d.Sync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Fetched != 2 || countReplies(t, d) != 1 {
		t.Fatalf("sync = %+v, replies = %d; want 2 fetched, 1 stored", res, countReplies(t, d))
	}
	s, _, err := d.Store.State(context.Background(), "dapp-demo-2023-24", "borsetshire")
	if err != nil || len(s.Replies) != 1 {
		t.Fatalf("state = %+v, %v; want one reply", s, err)
	}
}

func TestStateSurvivesReopeningTheStore(t *testing.T) {
	peer := memPeer(t)
	samples, _ := demo.Samples()
	for _, s := range samples {
		peer.append(t, s.Raw)
	}
	dir := t.TempDir()
	d := openDaemon(t, dir, peer)
	if _, err := d.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.Close()
	d2 := openDaemon(t, dir, peer)
	res, err := d2.Sync(context.Background())
	if err != nil || res.Fetched != 0 {
		t.Fatalf("sync after reopening = %+v, %v; want nothing new (the cursor was kept)", res, err)
	}
	checkReplies(t, d2)
	if !strings.Contains(fmt.Sprint(d2.Campaigns.List[0].ID), "demo") {
		t.Fatal("campaign not loaded")
	}
}
