package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	gomail "github.com/emersion/go-message/mail"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/queue"
)

// Sending a campaign's requests (`foiwatch send`).
//
// Implementation notes:
//
//   - A request is sent at most once. Its record in the sends bucket (key
//     "campaign.request") is written before anything goes to the server:
//     "claimed" with the Message-ID and time the message carries; "data"
//     just before the SMTP DATA command (from then on the server may have
//     the message); then "sent", "failed" (certainly not delivered: no
//     connection, a refusal before DATA, or the server's own error reply)
//     or "uncertain" (the connection broke after DATA began). Records are
//     changed by compare-and-set only.
//   - One `foiwatch send` per campaign at a time, by the lease
//     "send.CAMPAIGN" (renewed every 10 s, expires 30 s after its holder
//     died). So a "claimed" record met by the holder of the lease was left
//     by a run that died before DATA: nothing reached the server, and it is
//     sent again. A "data" or "uncertain" record is never sent again unless
//     an operator says so (--only REQUEST --resend) after checking.
//   - The campaign file is never rewritten. Every foiwatch process reads
//     the sends bucket at start (and the daemon watches it) and gives each
//     request without sent_at the recorded time and Message-ID
//     (overlaySends): matching by thread and the deadline then work exactly
//     as if they were written in the file.

// Status of a send record.
const (
	sendClaimed   = "claimed"
	sendData      = "data"
	sendSent      = "sent"
	sendFailed    = "failed"
	sendUncertain = "uncertain"
)

// sendRecord is foiwatch's record of sending one request.
type sendRecord struct {
	Status     string    `json:"status"`
	MessageID  string    `json:"message_id"` // with angle brackets
	SentAt     time.Time `json:"sent_at"`    // the message's Date: when it was handed to the server
	Email      string    `json:"email"`
	Subject    string    `json:"subject"`
	Attempts   int       `json:"attempts"`
	ClaimedBy  string    `json:"claimed_by"`
	AcceptedAt time.Time `json:"accepted_at,omitzero"` // when the server accepted it
	LastError  string    `json:"last_error,omitempty"`
	Resent     bool      `json:"resent,omitempty"` // sent again by an operator's --resend
}

// mayBeOut reports whether the request may have gone out: a request with
// such a record has sent_at and message_id from it.
func (r sendRecord) mayBeOut() bool {
	switch r.Status {
	case sendClaimed, sendData, sendSent, sendUncertain:
		return true
	}
	return false
}

// sendState is Request.SendState for a record.
func (r sendRecord) sendState() string {
	switch r.Status {
	case sendClaimed:
		return "sending"
	case sendData, sendUncertain:
		return "uncertain"
	case sendSent:
		return "sent"
	}
	return ""
}

// readSends reads every send record.
func readSends(ctx context.Context, q *queue.Queue) (map[string]sendRecord, error) {
	recs := map[string]sendRecord{}
	err := q.Sends.Each(ctx, func(key string, val []byte) error {
		var r sendRecord
		if err := json.Unmarshal(val, &r); err != nil {
			return fmt.Errorf("send record %s is not valid JSON: %w", key, err)
		}
		recs[key] = r
		return nil
	})
	return recs, err
}

// overlaySends returns the campaigns cs with every request that has no
// sent_at in its file given the time, Message-ID and subject of its send
// record, when it may have gone out. cs is not changed.
func overlaySends(cs *Campaigns, recs map[string]sendRecord) *Campaigns {
	list := make([]*Campaign, len(cs.List))
	for i, c := range cs.List {
		cc := *c
		cc.Requests = make([]*Request, len(c.Requests))
		for j, r := range c.Requests {
			rr := *r
			if rec, ok := recs[Key(c.ID, r.ID)]; ok && r.SentAt.IsZero() && rec.mayBeOut() {
				rr.SentAt = TimeOrDate{rec.SentAt}
				if rr.MessageID == "" {
					rr.MessageID = rec.MessageID
				}
				if rr.Subject == "" {
					rr.Subject = rec.Subject
				}
				rr.SendState = rec.sendState()
			}
			cc.Requests[j] = &rr
		}
		list[i] = &cc
	}
	return newCampaigns(list...)
}

// SendOptions say what Send sends.
type SendOptions struct {
	Campaign string
	// Only these requests (ids); all when empty.
	Only []string
	// DryRun builds every letter and records and sends nothing.
	DryRun bool
	// Batch and Pause: after every Batch requests sent, wait Pause before
	// the next (--rate 10/1h). Batch 0: no pause.
	Batch int
	Pause time.Duration
	// Resend sends the requests of Only again although an earlier attempt
	// may have reached the server (an operator checked that it did not).
	Resend bool
	// Progress, when set, is told of each request as it is dealt with, and
	// of each pause (Outcome "pause").
	Progress func(SendOutcome)
}

// SendOutcome is what Send did with one request.
type SendOutcome struct {
	Request   string
	Authority string
	Email     string
	// Result: sent, would_send (dry run), already_sent (by foiwatch),
	// in_file (sent_at written in the campaign file), uncertain (may have
	// reached the server: not sent again), failed, or pause.
	Result    string
	MessageID string
	SentAt    time.Time
	Err       string
	Letter    *Letter // dry run: the message as it would go
	Pause     time.Duration
	Left      int // pause: requests still to send
}

// SendResult is what one Send did.
type SendResult struct {
	Outcomes                         []SendOutcome
	Sent, Failed, Uncertain, Skipped int
}

// ErrUncertain is wrapped by Send's error when some request may have been
// sent already and was not sent again.
var ErrUncertain = errors.New("may have reached the server already")

// Send sends the request of a campaign to each of its authorities not yet
// sent (see the notes above).
//
// It is over 100 lines: one request's send protocol (claim, record before
// DATA, settle) inside the loop with the rate limit and the dry run; the
// steps share the claim and its record, and read in the order they happen.
func (d *Daemon) Send(ctx context.Context, o SendOptions) (SendResult, error) {
	var res SendResult
	c := d.Campaigns.Get(o.Campaign)
	if c == nil {
		return res, fmt.Errorf("no campaign %q (known: %s)", o.Campaign, d.campaignIDs())
	}
	if d.Cfg.SMTP == nil {
		return res, errors.New("there is no [smtp] section in the config to send through")
	}
	who := d.requester()
	if who.Name == "" {
		return res, errors.New("no name to sign the request with: set [requester] name in the config (or a display name in [smtp] from)")
	}
	reqs := c.Requests
	if len(o.Only) > 0 {
		reqs = nil
		for _, id := range o.Only {
			r := c.Request(id)
			if r == nil {
				return res, fmt.Errorf("campaign %s has no request %q", c.ID, id)
			}
			reqs = append(reqs, r)
		}
	}
	if o.Resend && len(o.Only) == 0 {
		return res, errors.New("--resend sends again requests that may have reached the authority already: name each with --only after checking")
	}
	sender, err := mailbox.NewSender(*d.Cfg.SMTP, d.senderOptions())
	if err != nil {
		return res, err
	}
	holder := holderID()
	if !o.DryRun {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		release, err := d.holdSendLease(ctx, c.ID, holder, cancel)
		if err != nil {
			return res, err
		}
		defer release()
	}
	report := func(out SendOutcome) {
		res.Outcomes = append(res.Outcomes, out)
		switch out.Result {
		case "sent", "would_send":
			res.Sent++
		case "failed":
			res.Failed++
		case "uncertain":
			res.Uncertain++
		default:
			res.Skipped++
		}
		if o.Progress != nil {
			o.Progress(out)
		}
	}

	// What is to be sent, decided up front so a pause can say how many
	// are left.
	type todo struct {
		r   *Request
		rec *sendRecord
		rev uint64
	}
	var queue_ []todo
	for _, r := range reqs {
		out := SendOutcome{Request: r.ID, Authority: r.Authority, Email: r.Email}
		rec, rev, err := d.sendRecord(ctx, c.ID, r.ID)
		if err != nil {
			return res, err
		}
		switch {
		case r.SendState == "" && !r.SentAt.IsZero():
			// sent_at is in the campaign file: the operator sent it.
			out.Result, out.SentAt, out.MessageID = "in_file", r.SentAt.Time, r.MessageID
			report(out)
			continue
		case rec != nil && rec.Status == sendSent:
			out.Result, out.SentAt, out.MessageID = "already_sent", rec.SentAt, rec.MessageID
			report(out)
			continue
		case rec != nil && (rec.Status == sendData || rec.Status == sendUncertain) && !o.Resend:
			out.Result, out.SentAt, out.MessageID, out.Err = "uncertain", rec.SentAt, rec.MessageID, rec.LastError
			report(out)
			continue
		}
		queue_ = append(queue_, todo{r, rec, rev})
	}

	inBatch := 0
	for i, t := range queue_ {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if o.Batch > 0 && inBatch == o.Batch && !o.DryRun {
			if o.Progress != nil {
				o.Progress(SendOutcome{Result: "pause", Pause: o.Pause, Left: len(queue_) - i})
			}
			d.Log.Info("pausing between batches", "campaign", c.ID, "pause", o.Pause.String(), "left", len(queue_)-i)
			tm := time.NewTimer(o.Pause)
			select {
			case <-ctx.Done():
				tm.Stop()
				return res, ctx.Err()
			case <-tm.C:
			}
			inBatch = 0
		}
		out := d.sendOne(ctx, sender, c, t.r, t.rec, t.rev, who, holder, o)
		report(out)
		if out.Result == "sent" {
			inBatch++
		}
	}
	var errs []string
	if res.Failed > 0 {
		errs = append(errs, fmt.Sprintf("%d request(s) not sent (run foiwatch send again to retry them)", res.Failed))
	}
	if res.Uncertain > 0 {
		var ids []string
		for _, out := range res.Outcomes {
			if out.Result == "uncertain" {
				ids = append(ids, out.Request)
			}
		}
		sort.Strings(ids)
		return res, fmt.Errorf("%s%d request(s) %w: %s; check the Sent folder or ask the authority, then, only if it did not arrive, run foiwatch send --campaign %s --only REQUEST --resend",
			strings.Join(append(errs, ""), "; "), res.Uncertain, ErrUncertain, strings.Join(ids, ", "), c.ID)
	}
	if len(errs) > 0 {
		return res, errors.New(strings.Join(errs, "; "))
	}
	return res, nil
}

// sendOne claims, sends and settles one request.
func (d *Daemon) sendOne(ctx context.Context, sender *mailbox.Sender, c *Campaign, r *Request, old *sendRecord, rev uint64, who Requester, holder string, o SendOptions) SendOutcome {
	out := SendOutcome{Request: r.ID, Authority: r.Authority, Email: r.Email}
	log := d.Log.With("campaign", c.ID, "request", r.ID)
	now := d.Now()
	msgID := fmt.Sprintf("<%s.%s.%s@%s>", holderID()+holderID(), c.ID, r.ID, domainOf(sender.From()))
	raw, subject, err := d.requestMessage(c, r, who, now, msgID, sender.From())
	if err != nil {
		out.Result, out.Err = "failed", err.Error()
		return out
	}
	out.MessageID, out.SentAt = msgID, now
	if o.DryRun {
		out.Result = "would_send"
		out.Letter = &Letter{Kind: "request", To: []string{r.Email}, Raw: raw}
		return out
	}
	rec := sendRecord{Status: sendClaimed, MessageID: msgID, SentAt: now.UTC(), Email: r.Email, Subject: subject, Attempts: 1, ClaimedBy: holder}
	if old != nil {
		rec.Attempts = old.Attempts + 1
		rec.Resent = o.Resend && (old.Status == sendData || old.Status == sendUncertain)
	}
	key := Key(c.ID, r.ID)
	put := func(rec sendRecord) error {
		b, _ := json.Marshal(rec)
		var err error
		if rev == 0 {
			rev, err = d.Q.Sends.Create(ctx, key, b)
		} else {
			rev, err = d.Q.Sends.Update(ctx, key, b, rev)
		}
		return err
	}
	if err := put(rec); err != nil {
		// Another run took it (it should not: the lease), or the store is
		// down: nothing was sent.
		out.Result, out.Err = "failed", "record the send: "+err.Error()
		log.Error("request not sent: its send could not be recorded", "err", err)
		return out
	}
	reachedData := false
	sendErr := sender.SendRecorded(ctx, []string{r.Email}, raw, func() error {
		rec.Status = sendData
		if err := put(rec); err != nil {
			return err
		}
		reachedData = true
		return nil
	})
	var se *mailbox.SendError
	switch {
	case sendErr == nil:
		rec.Status, rec.AcceptedAt, rec.LastError = sendSent, d.Now().UTC(), ""
		out.Result = "sent"
	case !reachedData:
		rec.Status, rec.LastError = sendFailed, sendErr.Error()
		out.Result, out.Err = "failed", sendErr.Error()
	case errors.As(sendErr, &se) && se.Code != 0:
		// The server answered DATA with an error: it did not take it.
		rec.Status, rec.LastError = sendFailed, sendErr.Error()
		out.Result, out.Err = "failed", sendErr.Error()
	default:
		rec.Status, rec.LastError = sendUncertain, sendErr.Error()
		out.Result, out.Err = "uncertain", sendErr.Error()
	}
	// Settle with a context of its own: a send cut short by Ctrl-C must
	// still say what happened.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	b, _ := json.Marshal(rec)
	if _, err := d.Q.Sends.Update(sctx, key, b, rev); err != nil {
		log.Error("the outcome of a send could not be recorded; the request counts as possibly sent", "status", rec.Status, "err", err)
	}
	switch out.Result {
	case "sent":
		log.Info("request sent", "to", r.Email, "message_id", msgID)
	case "failed":
		log.Warn("request not sent", "to", r.Email, "err", sendErr)
	default:
		log.Error("request may have been sent; it will not be sent again by itself", "to", r.Email, "err", sendErr)
	}
	return out
}

// sendRecord reads the send record of a request (nil when there is none).
func (d *Daemon) sendRecord(ctx context.Context, campaign, request string) (*sendRecord, uint64, error) {
	b, rev, err := d.Q.Sends.Get(ctx, Key(campaign, request))
	if errors.Is(err, queue.ErrNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var rec sendRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, 0, fmt.Errorf("send record of %s/%s is not valid JSON: %w", campaign, request, err)
	}
	return &rec, rev, nil
}

// holdSendLease takes the lease of sending campaign, waiting up to the
// lease's TTL (and a retry) for a run that just died, and renews it until
// release is called. Losing it calls lost (which stops the run).
func (d *Daemon) holdSendLease(ctx context.Context, campaign, holder string, lost func()) (release func(), err error) {
	name := "send." + campaign
	deadline := time.Now().Add(queue.LockTTL + leaseEvery)
	var rev uint64
	for {
		rev, err = d.Q.TryLease(ctx, name, holder)
		if err == nil {
			break
		}
		if !errors.Is(err, queue.ErrLeaseHeld) && !errors.Is(err, queue.ErrConflict) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("another foiwatch send is sending campaign %s: wait for it to finish", campaign)
		}
		d.Log.Info("waiting for another foiwatch send of this campaign (or one that stopped less than 30 s ago)", "campaign", campaign)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(leaseEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				r, err := d.Q.RenewLease(context.Background(), name, holder, rev)
				if err != nil {
					d.Log.Error("lost the lease of sending this campaign; stopping", "campaign", campaign, "err", err)
					lost()
					return
				}
				rev = r
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		rctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		d.Q.ReleaseLease(rctx, name, holder)
	}, nil
}

// requestMessage is the request to r as an RFC 5322 message, and its
// subject.
func (d *Daemon) requestMessage(c *Campaign, r *Request, who Requester, now time.Time, msgID, from string) ([]byte, string, error) {
	body, err := c.RequestBody(r, who, now)
	if err != nil {
		return nil, "", err
	}
	subject := c.RequestSubject(r)
	var h gomail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*gomail.Address{mustAddr(d.Cfg.SMTP.From, from)})
	h.SetAddressList("To", []*gomail.Address{{Name: r.Authority, Address: r.Email}})
	if r.ReplyTo != "" {
		h.SetAddressList("Reply-To", []*gomail.Address{{Name: who.Name, Address: r.ReplyTo}})
	}
	h.SetSubject(subject)
	h.Set("Message-Id", msgID)
	return singlePart(h, body), subject, nil
}

// singlePart is a text/plain message.
func singlePart(h gomail.Header, text string) []byte {
	var buf bytes.Buffer
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	w, err := gomail.CreateSingleInlineWriter(&buf, h)
	if err == nil {
		w.Write([]byte(text))
		w.Close()
	}
	return buf.Bytes()
}

// writeNotSent says, under the status table, which campaigns have requests
// not sent yet or whose sending is uncertain, and what to run.
func writeNotSent(w io.Writer, rows []Row) error {
	notSent, uncertain := map[string]int{}, map[string]int{}
	var order []string
	for _, r := range rows {
		if _, ok := notSent[r.Campaign]; !ok {
			order = append(order, r.Campaign)
			notSent[r.Campaign] = 0
		}
		switch r.Status {
		case StateNotSent:
			notSent[r.Campaign]++
		case "send_uncertain":
			uncertain[r.Campaign]++
		}
	}
	for _, c := range order {
		if n := notSent[c]; n > 0 {
			if _, err := fmt.Fprintf(w, "\n%s: %d request(s) not sent yet: foiwatch send --campaign %s sends them\n", c, n, c); err != nil {
				return err
			}
		}
		if n := uncertain[c]; n > 0 {
			if _, err := fmt.Fprintf(w, "\n%s: %d request(s) may or may not have reached the server (send_uncertain): check the Sent folder; foiwatch send --campaign %s --only REQUEST --resend sends one again\n", c, n, c); err != nil {
				return err
			}
		}
	}
	return nil
}
