package worker_test

// Tests of a person in the loop: matching that gives the same result in any
// order, review and correction of answers, moves and dismissals that
// reprocessing keeps, the original of every reply, and letters added by
// hand. The replies and the campaign are in testdata/loop.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/mailbox/mailtest"
	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
	"github.com/foiwatch/foiwatch/worker"
	"github.com/foiwatch/foiwatch/worker/deadline"
)

// loopClock is "now" in the loop tests: after every reply.
var loopClock = time.Date(2024, 6, 28, 10, 0, 0, 0, time.UTC)

type loopMail struct {
	name string
	raw  []byte
}

// loopMails are the replies of testdata/loop, in file order.
func loopMails(t *testing.T) []loopMail {
	t.Helper()
	files, err := filepath.Glob("testdata/loop/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in testdata/loop: %v", err)
	}
	sort.Strings(files)
	var out []loopMail
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, loopMail{filepath.Base(f), b})
	}
	return out
}

// syncBuffer is a log a test reads while workers write it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// openLoop opens foiwatch on a fresh data dir with the loop campaign,
// polling peer, processing workers messages at once, logging to log.
func openLoop(t *testing.T, peer imapPeer, workers int, log io.Writer) *worker.Daemon {
	t.Helper()
	dir := t.TempDir()
	camp, err := filepath.Abs("testdata/loop/campaign.toml")
	if err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(dir, "imap-password")
	if err := os.WriteFile(pw, []byte(peer.pass), 0o600); err != nil {
		t.Fatal(err)
	}
	off, idle := "", false
	cfg := worker.Config{
		DataDir:   filepath.Join(dir, "data"),
		Campaigns: []string{camp},
		Workers:   workers,
		Mailboxes: []mailbox.Config{{Name: "foi", Address: peer.addr, TLS: peer.tls, Username: peer.user, PasswordFile: pw, IDLE: &idle}},
		HTTP:      worker.HTTPConfig{Listen: &off},
	}
	if log == nil {
		log = io.Discard
	}
	d, err := worker.Open(context.Background(), cfg, &worker.Options{
		Logger: slog.New(slog.NewTextHandler(log, nil)), NoListen: true, Now: func() time.Time { return loopClock },
		Poller: &mailbox.PollerOptions{TLSConfig: peer.tlsConfig},
	})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func syncAll(t *testing.T, d *worker.Daemon) worker.SyncResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := d.Sync(ctx)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if res.Failed != 0 {
		t.Fatalf("sync = %+v: messages failed", res)
	}
	return res
}

// names maps the sha256 of each fixture to its file name.
func names(mails []loopMail) map[string]string {
	m := map[string]string{}
	for _, l := range mails {
		m[queue.SHA256(l.raw)] = l.name
	}
	return m
}

func shaOf(t *testing.T, mails []loopMail, name string) string {
	t.Helper()
	for _, m := range mails {
		if m.name == name {
			return queue.SHA256(m.raw)
		}
	}
	t.Fatalf("no fixture %s", name)
	return ""
}

// snapshot is every request's state and the unmatched list, in words: what
// must not depend on the order replies were processed in.
func snapshot(t *testing.T, d *worker.Daemon, byName map[string]string) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, c := range d.Campaigns.List {
		for _, r := range c.Requests {
			s, _, err := d.Store.State(ctx, c.ID, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s/%s: %s, reference %q, due %s, replied %q\n", c.ID, r.ID, s.State, s.Reference, s.Due, s.RepliedAt)
			var reps []string
			for _, ref := range s.Replies {
				reps = append(reps, fmt.Sprintf("  %s by %s (%s)", byName[ref.SHA256], ref.Match, ref.Kind))
			}
			sort.Strings(reps)
			for _, l := range reps {
				b.WriteString(l + "\n")
			}
			for _, e := range s.Events {
				fmt.Fprintf(&b, "  event %s %s\n", e.Kind, e.At.Format(time.RFC3339))
			}
		}
	}
	un, err := d.Store.Unmatched(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, u := range un {
		lines = append(lines, fmt.Sprintf("unmatched %s: could be %v", byName[u.SHA256], u.Candidates))
	}
	sort.Strings(lines)
	b.WriteString(strings.Join(lines, "\n"))
	return b.String()
}

// The same mailbox gives the same requests however its replies are
// ordered and however many workers process them at once: the response
// processed before the acknowledgement that teaches its reference, the
// staff member's reply processed before the answer it replies to.
func TestSameRepliesInAnyOrderGiveTheSameRequests(t *testing.T) {
	mails := loopMails(t)
	byName := names(mails)
	reversed := slices.Clone(mails)
	slices.Reverse(reversed)
	shuffled := slices.Clone(mails)
	rand.New(rand.NewPCG(15, 15)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	orders := map[string][]loopMail{"file order": mails, "reversed": reversed, "shuffled": shuffled}

	var want, wantFrom string
	for _, order := range []string{"file order", "reversed", "shuffled"} {
		for _, workers := range []int{1, 6} {
			name := fmt.Sprintf("%s, %d worker(s)", order, workers)
			peer := memPeer(t)
			for _, m := range orders[order] {
				peer.append(t, m.raw)
			}
			d := openLoop(t, peer, workers, nil)
			syncAll(t, d)
			got := snapshot(t, d, byName)
			if want == "" {
				want, wantFrom = got, name
				checkLoopMatches(t, got)
				t.Logf("%s:\n%s", name, got)
				continue
			}
			if got != want {
				t.Errorf("%s gives other requests than %s:\n--- %s\n%s\n--- %s\n%s", name, wantFrom, name, got, wantFrom, want)
			}
		}
	}
}

// checkLoopMatches checks a snapshot of the loop fixtures for what each
// reply must be matched to, and how.
func checkLoopMatches(t *testing.T, snap string) {
	t.Helper()
	for _, want := range []string{
		"  01-opccn-ack.eml by thread (acknowledgement)",
		"  02-opccn-response.eml by sender (response)",
		// From the exact email of one request on a domain another open
		// request shares, after the first was answered.
		"  03-opccn-followup.eml by sender (other)",
		// From someone else at the authority, in the thread of its answer.
		"  04-opccn-staff-thread.eml by thread (other)",
		"  06-constabulary-ack.eml by thread (acknowledgement)",
		// From a domain only Essex lists, with a reference Kent's
		// acknowledgement teaches.
		"  07-hub-reply.eml by reference (response)",
		"  08-kent-ack.eml by thread (acknowledgement)",
		"  10-suffolk-response.eml by sender (response)",
		"  11-constabulary-misfiled.eml by sender (other)",
		"unmatched 05-norfolk-staff-unknown.eml: could be [stalking-2024/constabulary stalking-2024/opccn]",
		"unmatched 09-newsletter.eml: could be []",
	} {
		if !strings.Contains(snap, want+"\n") && !strings.HasSuffix(snap, want) {
			t.Errorf("want %q in\n%s", want, snap)
		}
	}
	kent := snap[strings.Index(snap, "stalking-2024/kent:"):]
	if !strings.Contains(kent, "07-hub-reply.eml") {
		t.Errorf("the hub's reply is not Kent's:\n%s", snap)
	}
}

// A reply matched by domain alone moves when a later reply, filed by firm
// evidence, teaches that its reference is another request's; the move is
// logged.
func TestALaterReferenceMovesAnEarlierDomainMatch(t *testing.T) {
	mails := loopMails(t)
	peer := memPeer(t)
	var log syncBuffer
	d := openLoop(t, peer, 2, &log)
	ctx := context.Background()
	hub, ack := shaOf(t, mails, "07-hub-reply.eml"), shaOf(t, mails, "08-kent-ack.eml")
	for _, m := range mails {
		if m.name == "07-hub-reply.eml" {
			peer.append(t, m.raw)
		}
	}
	syncAll(t, d)
	r, err := d.Store.Reply(ctx, hub)
	if err != nil || r.Request != "essex" || r.Match != worker.MatchDomain {
		t.Fatalf("before Kent's acknowledgement the hub's reply is %s by %s (%v); want essex by domain", r.Request, r.Match, err)
	}
	for _, m := range mails {
		if m.name == "08-kent-ack.eml" {
			peer.append(t, m.raw)
		}
	}
	syncAll(t, d)
	r, _ = d.Store.Reply(ctx, hub)
	if r.Request != "kent" || r.Match != worker.MatchReference || r.Answers["agency_referrals"].Value != int64(27) {
		t.Fatalf("after Kent's acknowledgement the hub's reply is %s by %s, answers %v; want kent by reference", r.Request, r.Match, r.Answers)
	}
	if s, _, _ := d.Store.State(ctx, "stalking-2024", "essex"); len(s.Replies) != 0 {
		t.Errorf("essex still holds %+v", s.Replies)
	}
	if s, _, _ := d.Store.State(ctx, "stalking-2024", "kent"); len(s.Replies) != 2 || s.RepliedAt == "" {
		t.Errorf("kent = %s with %d replies, want answered (replied_at set) with 2", s.State, len(s.Replies))
	}
	logged := log.String()
	if !strings.Contains(logged, "moved") || !strings.Contains(logged, hub[:12]) || !strings.Contains(logged, "stalking-2024/essex") {
		t.Errorf("the move was not reported in the log:\n%s", logged)
	}
	f, err := d.Store.Filing(ctx, hub)
	if err != nil || !strings.Contains(f.Why, "KPCC/FOI/0412") {
		t.Errorf("why = %+v, %v; want it to name the reference", f, err)
	}
	_ = ack
}

// reviewKeys are the question keys review lists for request.
func reviewKeys(t *testing.T, d *worker.Daemon, request string) []string {
	t.Helper()
	items, err := d.Review(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, it := range items {
		if it.Request == request {
			keys = append(keys, it.Key)
		}
	}
	return keys
}

// A campaign driven through a person's hands: a wrong answer corrected, the
// flagged ones accepted; a reply moved, one assigned, one dismissed; an
// event recorded twice by mistake; then reprocess and a parser upgrade,
// which keep every decision.
func TestAPersonFinishesTheJob(t *testing.T) {
	mails := loopMails(t)
	byName := names(mails)
	peer := memPeer(t)
	for _, m := range mails {
		peer.append(t, m.raw)
	}
	d := openLoop(t, peer, 6, nil)
	ctx := context.Background()
	syncAll(t, d)
	const camp = "stalking-2024"

	// The Norfolk follow-up went to the request whose email sent it,
	// though that request was answered and the other on its domain open.
	opccn, _, _ := d.Store.State(ctx, camp, "opccn")
	constab, _, _ := d.Store.State(ctx, camp, "constabulary")
	if constab.State != worker.StateAcknowledged || opccn.RepliedAt == "" {
		t.Fatalf("opccn = %s (replied %q), constabulary = %s: want opccn answered and the constabulary open", opccn.State, opccn.RepliedAt, constab.State)
	}
	follow, _ := d.Store.Reply(ctx, shaOf(t, mails, "03-opccn-followup.eml"))
	if follow.Request != "opccn" || follow.Match != worker.MatchSender {
		t.Fatalf("the follow-up from opccn@norfolk.police.uk is %s by %s", follow.Request, follow.Match)
	}

	// Review lists exactly the answers the parser flagged.
	resp, _ := d.Store.Reply(ctx, shaOf(t, mails, "02-opccn-response.eml"))
	var flagged []string
	for _, q := range d.Campaigns.Get(camp).Questions {
		if resp.Answers[q.Key].Check {
			flagged = append(flagged, q.Key)
		}
	}
	if len(flagged) < 3 {
		t.Fatalf("the bulleted response has %d flagged answers; the test needs at least 3: %+v", len(flagged), resp.Answers)
	}
	all, err := d.Review(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := reviewKeys(t, d, "opccn"); !slices.Equal(got, flagged) || len(all) != len(flagged) {
		t.Fatalf("review lists %v (%d in all), want exactly the flagged %v", got, len(all), flagged)
	}
	for _, it := range all {
		if it.Answer.Why == "" || it.Answer.Text == "" || it.Reply != resp.SHA256 {
			t.Errorf("review item %s lacks why, the words or the reply: %+v", it.Key, it)
		}
	}

	// Values that do not fit the question are refused in plain words.
	for _, tc := range []struct{ key, value, want string }{
		{"self_referrals", "twelve", "not a count"},
		{"budget", "lots", "not an amount of money"},
		{"evaluation", "the council's website", "not a link"},
		{"budget", "exempt", "exempt needs the section"},
		{"nonsense", "1", "has no question"},
	} {
		if _, err := d.SetAnswer(ctx, "opccn", tc.key, tc.value, ""); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("set %s %q: %v, want refused saying %q", tc.key, tc.value, err, tc.want)
		}
	}

	// A wrong answer corrected, one withheld, one not answered after all;
	// the rest accepted one by one: review empties.
	a, err := d.SetAnswer(ctx, "opccn", "budget", "£400,000 per year", "the letter gives £1.2 million over three years")
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := a.Value.(parser.Money); !ok || m.Amount != 400000 || m.Period != "year" || a.Corrected == nil || a.Corrected.Parsed == nil || a.Check {
		t.Fatalf("budget after set = %+v", a)
	}
	if _, err := d.SetAnswer(ctx, "stalking-2024/opccn", "self_referrals", "exempt s.40(2)", "fewer than five: withheld"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SetAnswer(ctx, "opccn", "evaluation", "unanswered", ""); err != nil {
		t.Fatal(err)
	}
	corrected := map[string]bool{"budget": true, "self_referrals": true, "evaluation": true}
	left := slices.DeleteFunc(slices.Clone(flagged), func(k string) bool { return corrected[k] })
	if got := reviewKeys(t, d, "opccn"); !slices.Equal(got, left) {
		t.Fatalf("after three corrections review lists %v, want %v", got, left)
	}
	for i, k := range left {
		if _, err := d.AcceptAnswer(ctx, "opccn", k, ""); err != nil {
			t.Fatal(err)
		}
		if got := reviewKeys(t, d, "opccn"); !slices.Equal(got, left[i+1:]) {
			t.Fatalf("after accepting %s review lists %v, want %v", k, got, left[i+1:])
		}
	}

	// Misfiled and unmatched replies put right, a newsletter dismissed.
	misfiled, staff, news := shaOf(t, mails, "11-constabulary-misfiled.eml"), shaOf(t, mails, "05-norfolk-staff-unknown.eml"), shaOf(t, mails, "09-newsletter.eml")
	if _, err := d.Move(ctx, misfiled, "opccn", "sent on the OPCC's behalf"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Move(ctx, staff, "stalking-2024/constabulary", ""); err != nil {
		t.Fatal(err)
	}
	if err := d.Dismiss(ctx, news); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Move(ctx, misfiled, "nowhere", ""); err == nil {
		t.Error("a move to a request that does not exist was accepted")
	}

	// An event recorded twice by mistake is refused, and one removed.
	clar := time.Date(2024, 6, 3, 12, 0, 0, 0, time.UTC)
	s, err := d.RecordEvent(ctx, "suffolk", "clarification_sent", clar, "they asked which year", false)
	if err != nil {
		t.Fatal(err)
	}
	due := s.Due
	var refused *worker.RefusedError
	if _, err := d.RecordEvent(ctx, "suffolk", "clarification_sent", loopClock, "", false); !errors.As(err, &refused) || !strings.Contains(err.Error(), "already has clarification_sent") {
		t.Fatalf("a second clarification_sent: %v, want refused", err)
	}
	if s, _, _ := d.Store.State(ctx, camp, "suffolk"); s.Due != due || len(s.Events) != 1 {
		t.Fatalf("the refused event changed the state: due %s, %d events", s.Due, len(s.Events))
	}
	if _, err := d.RecordEvent(ctx, "kent", "resent", time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), "", false); !errors.As(err, &refused) || !strings.Contains(err.Error(), "back") {
		t.Fatalf("resent before the request was sent: %v, want refused for moving the due date back", err)
	}
	if _, err := d.RecordEvent(ctx, "kent", "withdrawn", time.Date(2024, 6, 25, 12, 0, 0, 0, time.UTC), "recorded on the wrong request", false); err != nil {
		t.Fatal(err)
	}
	if s, gone, err := d.RemoveEvent(ctx, "kent", "withdrawn"); err != nil || gone.Kind != "withdrawn" || s.State == worker.StateWithdrawn {
		t.Fatalf("removing the mistaken withdrawal: %v, state %s", err, s.State)
	}

	// What the person decided, as every output shows it.
	decided := snapshot(t, d, byName)
	for _, want := range []string{
		"  11-constabulary-misfiled.eml by operator (other)",
		"  05-norfolk-staff-unknown.eml by operator (other)",
		"  event clarification_sent 2024-06-03T12:00:00Z",
	} {
		if !strings.Contains(decided, want) {
			t.Errorf("after the decisions, want %q in\n%s", want, decided)
		}
	}
	if strings.Contains(decided, "unmatched") {
		t.Errorf("replies still unmatched after assign and dismiss:\n%s", decided)
	}
	checkCorrections := func(when string) {
		t.Helper()
		rows, err := d.Rows(ctx, camp, loopToday)
		if err != nil {
			t.Fatal(err)
		}
		row := rows[0]
		if row.Request != "opccn" {
			t.Fatalf("first row is %s", row.Request)
		}
		b := row.Answers["budget"]
		if m, _ := b.Value.(parser.Money); m.Amount != 400000 || b.Corrected == nil || b.Corrected.Note == "" || b.Corrected.By == "" || b.Corrected.Parsed == nil {
			t.Errorf("%s: budget = %+v, want the operator's £400,000 marked corrected", when, b)
		} else if pm, _ := b.Corrected.Parsed.Value.(parser.Money); pm.Amount != 1200000 {
			t.Errorf("%s: budget as parsed = %+v, want 1.2 million", when, b.Corrected.Parsed)
		}
		if sr := row.Answers["self_referrals"]; sr.Status != parser.StatusExempt || sr.Exemption != "s.40(2)" || sr.Corrected == nil {
			t.Errorf("%s: self_referrals = %+v", when, sr)
		}
		if row.Status != worker.StatePartiallyAnswered {
			t.Errorf("%s: opccn = %s, want partially_answered (an answer is withheld)", when, row.Status)
		}
		for _, k := range left {
			if a := row.Answers[k]; a.Check || a.Corrected != nil {
				t.Errorf("%s: accepted answer %s = %+v", when, k, a)
			}
		}
		if got := reviewKeys(t, d, "opccn"); len(got) != 0 {
			t.Errorf("%s: review lists %v, want nothing", when, got)
		}
		var xb bytes.Buffer
		if err := d.WriteXLSX(&xb, rows); err != nil {
			t.Fatal(err)
		}
		wb, err := excelize.OpenReader(&xb)
		if err != nil {
			t.Fatal(err)
		}
		// budget's value column (each question has a value and a status
		// column, a money one a period too), holding the amount as a number
		cell := columnOf(t, wb, camp, "budget") + "2"
		v, _ := wb.GetCellValue(camp, cell, excelize.Options{RawCellValue: true})
		id, _ := wb.GetCellStyle(camp, cell)
		st, _ := wb.GetStyle(id)
		comments, _ := wb.GetComments(camp)
		var note string
		for _, c := range comments {
			if c.Cell == cell {
				note = c.Text
			}
		}
		if v != "400000" || st == nil || len(st.Fill.Color) == 0 || !strings.EqualFold(st.Fill.Color[0], "BDD7EE") || !strings.Contains(note, "Set by hand") || !strings.Contains(note, "£1,200,000") {
			t.Errorf("%s: xlsx %s = %q, fill %+v, note %q: want the corrected value marked", when, cell, v, st, note)
		}
		wb.Close()
		var replies bytes.Buffer
		if err := d.WriteReplies(ctx, &replies, camp); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, l := range strings.Split(strings.TrimSpace(replies.String()), "\n") {
			if strings.Contains(l, `"message_id":"\u003cresp-239@norfolk.police.uk\u003e"`) || strings.Contains(l, `"message_id":"<resp-239@norfolk.police.uk>"`) {
				found = true
				if !strings.Contains(l, `"budget":{"status":"answered","value":{"amount":400000`) || !strings.Contains(l, `"corrected":{"by":`) {
					t.Errorf("%s: export --replies does not carry the correction: %s", when, l)
				}
			}
		}
		if !found {
			t.Errorf("%s: export --replies lacks the response:\n%s", when, replies.String())
		}
		var csvBuf bytes.Buffer
		if err := d.WriteCSV(&csvBuf, rows); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(csvBuf.String(), "\n")
		if !strings.HasSuffix(strings.TrimSpace(lines[0]), ","+worker.CSVCorrected) || !strings.Contains(lines[1], ",400000,") || !strings.HasSuffix(strings.TrimSpace(lines[1]), "self_referrals; evaluation; budget") {
			t.Errorf("%s: csv\n%s", when, csvBuf.String())
		}
	}
	checkCorrections("after the corrections")

	// reprocess: every decision holds.
	n, err := d.Reprocess(ctx, "")
	if err != nil || n != len(mails) {
		t.Fatalf("reprocess queued %d, %v", n, err)
	}
	syncAll(t, d)
	if got := snapshot(t, d, byName); got != decided {
		t.Errorf("reprocess changed what the person decided:\n--- after\n%s\n--- before\n%s", got, decided)
	}
	checkCorrections("after reprocess")
	if r, _ := d.Store.Reply(ctx, news); r.Match != worker.MatchDismissed {
		t.Errorf("after reprocess the newsletter is %q, want dismissed", r.Match)
	}

	// A parser upgrade: every Reply was made by an older version (and said
	// something else); the new one reads them again and the decisions hold.
	keys, _ := d.Q.Replies.Keys(ctx)
	for _, k := range keys {
		b, _, _ := d.Q.Replies.Get(ctx, k)
		b = bytes.Replace(b, []byte(fmt.Sprintf(`"parser_version":%d`, parser.Version)), []byte(fmt.Sprintf(`"parser_version":%d`, parser.Version-1)), 1)
		b = bytes.ReplaceAll(b, []byte(`"amount":1200000`), []byte(`"amount":1`))
		if _, err := d.Q.Replies.Put(ctx, k, b); err != nil {
			t.Fatal(err)
		}
		if err := d.Q.Republish(ctx, queue.Envelope{SHA256: k, Source: "imap"}, "upgrade"); err != nil {
			t.Fatal(err)
		}
	}
	syncAll(t, d)
	for _, k := range keys {
		if r, _ := d.Store.Reply(ctx, k); r.ParserVersion != parser.Version {
			t.Fatalf("reply %s still at parser version %d", k[:12], r.ParserVersion)
		}
	}
	if got := snapshot(t, d, byName); got != decided {
		t.Errorf("a parser upgrade changed what the person decided:\n--- after\n%s\n--- before\n%s", got, decided)
	}
	checkCorrections("after a parser upgrade")

	// Clearing a correction brings the parsed answer back, flagged again.
	if dec, a, err := d.ClearAnswer(ctx, "opccn", "budget"); err != nil || dec == nil || a.Corrected != nil || !a.Check {
		t.Errorf("clear budget: %v, %+v, %+v", err, dec, a)
	}
	if got := reviewKeys(t, d, "opccn"); !slices.Equal(got, []string{"budget"}) {
		t.Errorf("after clearing budget review lists %v, want [budget]", got)
	}

	// raw gives the bytes the IMAP server holds, for every message.
	held, err := peerMessages(peer)
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != len(mails) {
		t.Fatalf("the server holds %d messages", len(held))
	}
	for _, m := range held {
		sha, err := d.ResolveRaw(ctx, queue.SHA256(m)[:12])
		if err != nil {
			t.Fatal(err)
		}
		raw, err := d.Q.GetRaw(ctx, sha)
		if err != nil || !bytes.Equal(raw, m) {
			t.Errorf("raw %s differs from what the IMAP server holds (%v)", sha[:12], err)
		}
	}
}

// loopToday is loopClock's day.
var loopToday = deadline.DateOf(loopClock)

// peerMessages are the raw messages the IMAP server holds in INBOX, as an
// IMAP client fetches them.
func peerMessages(p imapPeer) ([][]byte, error) {
	msgs, err := mailtest.ListMessages(p.addr, p.tlsConfig, p.user, p.pass, "INBOX")
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, m := range msgs {
		out = append(out, m.Raw)
	}
	return out, nil
}
