package worker

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/mail"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	gomail "github.com/emersion/go-message/mail"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/queue"
	"github.com/foiwatch/foiwatch/worker/deadline"
)

// Notice is one request that reached a reminder stage.
type Notice struct {
	Campaign  string         `json:"campaign"`
	Title     string         `json:"title"`
	Request   string         `json:"request"`
	Authority string         `json:"authority"`
	Email     string         `json:"email"`
	Stage     deadline.Stage `json:"stage"`
	SentAt    string         `json:"sent_at"`
	Due       string         `json:"due"`
	DaysLate  int            `json:"days_late"`
	Reference string         `json:"reference,omitempty"`
	State     string         `json:"state"`

	subject, messageID, replyTo, law string
}

// currentStage is the latest reminder stage request s has reached on day
// today, or "" for none. Only the latest counts: a daemon that was down
// over a due date sends "late", not a stale "due soon" as well.
func currentStage(c *Campaign, s *RequestState, today deadline.Date) deadline.Stage {
	due, err := deadline.ParseDate(s.Due)
	if err != nil {
		return ""
	}
	cal := c.Cal()
	switch {
	case awaitsResponse(s.State):
	case s.State == StateReviewRequested:
		if !today.Before(cal.StageDate(deadline.ReviewLate, due)) {
			return deadline.ReviewLate
		}
		return ""
	default:
		return "" // answered, refused, withdrawn, or the clock is stopped (clarification)
	}
	for _, st := range []deadline.Stage{deadline.VeryLate, deadline.Late, deadline.DueSoon} {
		if !today.Before(cal.StageDate(st, due)) {
			if st == deadline.DueSoon && today.After(due) {
				continue
			}
			return st
		}
	}
	return ""
}

// Notices returns the requests that reached a reminder stage on day today.
func (d *Daemon) Notices(ctx context.Context, today deadline.Date) ([]Notice, error) {
	var out []Notice
	for _, c := range d.Campaigns.List {
		for _, r := range c.Requests {
			s, _, err := d.Store.State(ctx, c.ID, r.ID)
			if err != nil {
				return nil, err
			}
			st := currentStage(c, s, today)
			if st == "" {
				continue
			}
			out = append(out, Notice{Campaign: c.ID, Title: c.Title, Request: r.ID, Authority: r.Authority, Email: r.Email,
				Stage: st, SentAt: deadline.DateOf(r.SentAt.Time).String(), Due: s.Due, DaysLate: s.DaysLate(c, today),
				Reference: s.Reference, State: s.State, subject: r.Subject, messageID: r.MessageID, replyTo: r.ReplyTo, law: c.Law})
		}
	}
	return out, nil
}

// reminderRecord is kept in the reminders bucket under
// "campaign.request.stage.digest" or "...chase", one per email that may go.
//
// The record is written (status "claimed") before the email is sent, and
// "sent" after: a second scheduler, or this one after a restart, never sends
// an email whose record says claimed or sent. An SMTP failure that certainly
// delivered nothing (the server refused, or no connection) is "failed" and
// retried later; one that may have delivered it (the connection broke after
// the message was handed over) is "uncertain" and never retried by itself.
type reminderRecord struct {
	Status      reminderStatus `json:"status"`
	Attempts    int            `json:"attempts"`
	ClaimedBy   string         `json:"claimed_by"`
	ClaimedAt   time.Time      `json:"claimed_at"`
	SentAt      time.Time      `json:"sent_at,omitzero"`
	NextAttempt time.Time      `json:"next_attempt,omitzero"`
	LastError   string         `json:"last_error,omitempty"`
	Due         string         `json:"due"`
}

// Retry schedule of a reminder whose email failed: after attempt 1, 5
// minutes; 2, 15 minutes; 3, 1 hour; 4 and later, 4 hours. The attempt is
// recorded (claimed) before it is tried.
var reminderBackoff = []time.Duration{5 * time.Minute, 15 * time.Minute, time.Hour, 4 * time.Hour}

func reminderKey(n Notice, kind string) string {
	return strings.Join([]string{n.Campaign, n.Request, string(n.Stage), kind}, ".")
}

// claim records that this process is about to send the email of key; false
// when it was sent, is being sent, or must wait for its retry time.
func (d *Daemon) claim(ctx context.Context, key, holder, due string, now time.Time) (bool, error) {
	b, rev, err := d.Q.Reminders.Get(ctx, key)
	rec := reminderRecord{Status: reminderClaimed, ClaimedBy: holder, ClaimedAt: now.UTC(), Attempts: 1, Due: due}
	if errors.Is(err, queue.ErrNotFound) {
		nb, _ := json.Marshal(rec)
		_, err := d.Q.Reminders.Create(ctx, key, nb)
		if errors.Is(err, queue.ErrExists) {
			return false, nil // another scheduler claimed it just now
		}
		return err == nil, err
	}
	if err != nil {
		return false, err
	}
	var old reminderRecord
	if err := json.Unmarshal(b, &old); err != nil {
		return false, d.markUnreadable(ctx, key, rev, rec, err)
	}
	if old.Status != reminderFailed || now.Before(old.NextAttempt) {
		return false, nil
	}
	rec.Attempts = old.Attempts + 1
	rec.LastError = old.LastError
	nb, _ := json.Marshal(rec)
	_, err = d.Q.Reminders.Update(ctx, key, nb, rev)
	if errors.Is(err, queue.ErrConflict) {
		return false, nil
	}
	return err == nil, err
}

// UnreadableReminderError is a reminder record that cannot be read (not
// valid JSON: a damaged store, or a hand edit). Whether its email went is
// unknown, so it is treated as "uncertain": never sent again by itself, and
// the operator is told, once, as of an email that may have been sent.
type UnreadableReminderError struct {
	Key string // campaign.request.stage.digest|chase
	Err error
}

func (e *UnreadableReminderError) Error() string {
	return fmt.Sprintf("reminder record %s cannot be read (%v)", e.Key, e.Err)
}

func (e *UnreadableReminderError) Unwrap() error { return e.Err }

// markUnreadable replaces the unreadable record of key (at revision rev) by
// an "uncertain" one, so that it reads as what it is from now on, and
// returns the *UnreadableReminderError to tell the operator. Another
// scheduler replacing it first has told them: nil.
func (d *Daemon) markUnreadable(ctx context.Context, key string, rev uint64, rec reminderRecord, readErr error) error {
	ue := &UnreadableReminderError{Key: key, Err: readErr}
	rec.Status, rec.LastError = reminderUncertain, ue.Error()
	nb, _ := json.Marshal(rec)
	if _, err := d.Q.Reminders.Update(ctx, key, nb, rev); errors.Is(err, queue.ErrConflict) {
		return nil
	} else if err != nil {
		return fmt.Errorf("%w; recording it as uncertain: %w", ue, err)
	}
	return ue
}

// settle records the outcome of a claimed email and returns the record.
func (d *Daemon) settle(ctx context.Context, key string, now time.Time, sendErr error) (reminderRecord, error) {
	b, rev, err := d.Q.Reminders.Get(ctx, key)
	if err != nil {
		return reminderRecord{}, err
	}
	var rec reminderRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		// claim wrote it a moment ago: what it held is known, and the
		// outcome below is what matters; write it whole.
		d.Log.Error("reminder record unreadable after its claim; recording the outcome afresh", "key", key, "err", err)
		rec = reminderRecord{Status: reminderClaimed, ClaimedAt: now.UTC(), Attempts: 1}
	}
	switch {
	case sendErr == nil:
		rec.Status, rec.SentAt, rec.LastError = reminderSent, now.UTC(), ""
	case mayHaveDelivered(sendErr):
		rec.Status, rec.LastError = reminderUncertain, sendErr.Error()
	default:
		rec.Status, rec.LastError = reminderFailed, sendErr.Error()
		i := min(rec.Attempts-1, len(reminderBackoff)-1)
		rec.NextAttempt = now.Add(reminderBackoff[max(i, 0)]).UTC()
	}
	nb, _ := json.Marshal(rec)
	_, err = d.Q.Reminders.Update(ctx, key, nb, rev)
	return rec, err
}

// mayHaveDelivered tells an SMTP error after which the message may have
// reached the server anyway: the connection broke during or at the end of
// DATA with no reply.
func mayHaveDelivered(err error) bool {
	var se *mailbox.SendError
	if errors.As(err, &se) {
		return (se.Step == "DATA" || se.Step == "end of DATA") && se.Code == 0
	}
	return false
}

// RemindResult says what one reminder run did.
type RemindResult struct {
	Notices []Notice // every request at a stage today
	Digest  []Notice // the ones in the digest sent now
	Chased  []Notice // the authorities written to now
	Errors  []string
	// Letters are the emails a dry run would send, in full.
	Letters []Letter
}

// ErrNoSMTP is Remind's error when there is no [smtp] section: reminders
// can only be listed (dry run), not sent.
var ErrNoSMTP = errors.New("there is no [smtp] section in the config, so no reminder can be sent: add one (see deploy/foiwatch.toml), or use --dry-run to list the reminders due")

// SendFailure is one reminder email that could not be sent.
type SendFailure struct {
	What string // "operator digest", "chase-up to foi@example.org"
	Err  error
	// RetryAt is when it is tried again (by the daemon's scheduler, or the
	// next `foiwatch remind` from then on); zero when it is not retried by
	// itself because the server may have received it.
	RetryAt time.Time
	// Unknown: its record could not be read (Err is an
	// *UnreadableReminderError), so whether it went is not known.
	Unknown bool
}

func (f SendFailure) String() string {
	if f.Unknown {
		return fmt.Sprintf("%s: %v; whether it was sent is unknown, so it is not sent again by itself: check the sent mail", f.What, f.Err)
	}
	if f.RetryAt.IsZero() {
		return fmt.Sprintf("%s: %v; the server may have received it, so it is not sent again by itself", f.What, f.Err)
	}
	return fmt.Sprintf("%s: %v; a retry waits: it is tried again from %s", f.What, f.Err, f.RetryAt.In(london).Format("2006-01-02 15:04"))
}

// SendError is Remind's error when emails failed; each was logged once
// (at ERROR) when it failed.
type SendError struct{ Failures []SendFailure }

func (e *SendError) Error() string {
	var parts []string
	for _, f := range e.Failures {
		parts = append(parts, f.String())
	}
	return "not sent: " + strings.Join(parts, "; ")
}

// unreadable records in res, and logs, an email whose record cannot be
// read (see UnreadableReminderError).
func (d *Daemon) unreadable(res *RemindResult, fails *[]SendFailure, n Notice, kind string, ue *UnreadableReminderError) {
	what := "operator digest"
	if kind == "chase" {
		what = "chase-up to " + n.Email
	}
	d.failure(res, fails, fmt.Sprintf("%s for %s/%s (%s)", what, n.Campaign, n.Request, n.Stage), reminderRecord{}, ue, "campaign", n.Campaign, "request", n.Request)
}

// failure records a failed email in res and logs it, once.
func (d *Daemon) failure(res *RemindResult, fails *[]SendFailure, what string, rec reminderRecord, sendErr error, attrs ...any) {
	f := SendFailure{What: what, Err: sendErr}
	var ue *UnreadableReminderError
	f.Unknown = errors.As(sendErr, &ue)
	if rec.Status == reminderFailed {
		f.RetryAt = rec.NextAttempt
	}
	*fails = append(*fails, f)
	res.Errors = append(res.Errors, f.String())
	if f.Unknown {
		d.Log.Error(what+": its reminder record cannot be read; not sending it again by itself", append(attrs, "err", sendErr)...)
		return
	}
	if f.RetryAt.IsZero() {
		d.Log.Error(what+" may have been sent: not sending it again by itself", append(attrs, "err", sendErr)...)
		return
	}
	d.Log.Error(what+" not sent; a retry waits", append(attrs, "retry_at", f.RetryAt.Format(time.RFC3339), "err", sendErr)...)
}

// Remind sends the reminders due at now: one operator digest listing every
// request that reached a stage and was not told yet, and, when
// chase_authorities is on, a chase-up to each authority that is late. With
// dryRun it sends and records nothing and returns what it would send.
func (d *Daemon) Remind(ctx context.Context, now time.Time, dryRun bool) (RemindResult, error) {
	var res RemindResult
	notices, err := d.Notices(ctx, deadline.DateOf(now))
	if err != nil {
		return res, err
	}
	res.Notices = notices
	var fails []SendFailure
	if dryRun {
		err = d.remindDry(ctx, now, &res, &fails)
	} else {
		err = d.remindSend(ctx, now, &res, &fails)
	}
	if err != nil {
		return res, err
	}
	if len(fails) > 0 {
		return res, &SendError{Failures: fails}
	}
	return res, nil
}

// remindDry is Remind's dry run: what would be sent, and the letters.
func (d *Daemon) remindDry(ctx context.Context, now time.Time, res *RemindResult, fails *[]SendFailure) error {
	for _, n := range res.Notices {
		kinds := []string{"digest"}
		if d.Cfg.Reminders.ChaseAuthorities && isChaseStage(n.Stage) {
			kinds = append(kinds, "chase")
		}
		for _, kind := range kinds {
			done, err := d.recorded(ctx, reminderKey(n, kind))
			var ue *UnreadableReminderError
			switch {
			case errors.As(err, &ue):
				d.unreadable(res, fails, n, kind, ue)
			case err != nil:
				return err
			case done:
			case kind == "digest":
				res.Digest = append(res.Digest, n)
			default:
				res.Chased = append(res.Chased, n)
			}
		}
	}
	if d.Cfg.SMTP == nil {
		return nil
	}
	from := ""
	if a, err := mail.ParseAddress(d.Cfg.SMTP.From); err == nil {
		from = a.Address
	}
	if len(d.Cfg.Reminders.To) > 0 && len(res.Digest) > 0 {
		raw, err := d.digestMessage(append([]Notice(nil), res.Digest...), now, from)
		if err != nil {
			return err
		}
		res.Letters = append(res.Letters, Letter{Kind: "digest", To: d.Cfg.Reminders.To, Raw: raw})
	}
	for _, n := range res.Chased {
		raw, err := d.chaseMessage(n, now, from)
		if err != nil {
			return err
		}
		res.Letters = append(res.Letters, Letter{Kind: "chase-up", To: []string{n.Email}, Raw: raw})
	}
	return nil
}

// remindSend sends and records the digest, then the chase-ups.
func (d *Daemon) remindSend(ctx context.Context, now time.Time, res *RemindResult, fails *[]SendFailure) error {
	if d.Cfg.SMTP == nil {
		return ErrNoSMTP
	}
	sender, err := mailbox.NewSender(*d.Cfg.SMTP, d.senderOptions())
	if err != nil {
		return err
	}
	holder := holderID()
	if len(d.Cfg.Reminders.To) > 0 {
		if err := d.sendDigest(ctx, sender, holder, now, res, fails); err != nil {
			return err
		}
	}
	if d.Cfg.Reminders.ChaseAuthorities {
		for _, n := range res.Notices {
			if isChaseStage(n.Stage) {
				if err := d.sendChase(ctx, sender, holder, n, now, res, fails); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// sendDigest claims the digest of every notice not told yet, sends one
// digest of those claimed, and records the outcome of each.
func (d *Daemon) sendDigest(ctx context.Context, sender *mailbox.Sender, holder string, now time.Time, res *RemindResult, fails *[]SendFailure) error {
	var claimed []Notice
	for _, n := range res.Notices {
		ok, err := d.claim(ctx, reminderKey(n, "digest"), holder, n.Due, now)
		if ue := (*UnreadableReminderError)(nil); errors.As(err, &ue) {
			d.unreadable(res, fails, n, "digest", ue)
			continue
		}
		if err != nil {
			return err
		}
		if ok {
			claimed = append(claimed, n)
		}
	}
	if len(claimed) == 0 {
		return nil
	}
	// A letter that cannot be made is a failure that delivered nothing:
	// recorded "failed", it is tried again later.
	msg, sendErr := d.digestMessage(claimed, now, sender.From())
	if sendErr == nil {
		sendErr = sender.Send(ctx, d.Cfg.Reminders.To, msg)
	}
	var rec reminderRecord
	for _, n := range claimed {
		var err error
		if rec, err = d.settle(ctx, reminderKey(n, "digest"), now, sendErr); err != nil {
			return err
		}
	}
	if sendErr != nil {
		d.failure(res, fails, "operator digest", rec, sendErr, "requests", len(claimed))
		return nil
	}
	res.Digest = claimed
	for _, n := range claimed {
		d.Metrics.reminder(string(n.Stage))
	}
	d.Log.Info("operator digest sent", "requests", len(claimed), "to", strings.Join(d.Cfg.Reminders.To, ","))
	return nil
}

// sendChase claims, sends and records the chase-up of notice n.
func (d *Daemon) sendChase(ctx context.Context, sender *mailbox.Sender, holder string, n Notice, now time.Time, res *RemindResult, fails *[]SendFailure) error {
	key := reminderKey(n, "chase")
	ok, err := d.claim(ctx, key, holder, n.Due, now)
	if ue := (*UnreadableReminderError)(nil); errors.As(err, &ue) {
		d.unreadable(res, fails, n, "chase", ue)
		return nil
	}
	if err != nil || !ok {
		return err
	}
	msg, sendErr := d.chaseMessage(n, now, sender.From())
	if sendErr == nil {
		sendErr = sender.Send(ctx, []string{n.Email}, msg)
	}
	rec, err := d.settle(ctx, key, now, sendErr)
	if err != nil {
		return err
	}
	if sendErr != nil {
		d.failure(res, fails, "chase-up to "+n.Email, rec, sendErr, "campaign", n.Campaign, "request", n.Request)
		return nil
	}
	res.Chased = append(res.Chased, n)
	d.Metrics.reminder(string(n.Stage) + "_chase")
	d.Log.Info("chase-up sent", "campaign", n.Campaign, "request", n.Request, "stage", n.Stage, "to", n.Email)
	return nil
}

func isChaseStage(s deadline.Stage) bool {
	return s == deadline.Late || s == deadline.VeryLate
}

// recorded reports whether the email of key was sent or is being sent, or
// may have been (what a dry run leaves out); a record that cannot be read
// is an *UnreadableReminderError: whether it went is unknown.
func (d *Daemon) recorded(ctx context.Context, key string) (bool, error) {
	b, _, err := d.Q.Reminders.Get(ctx, key)
	if errors.Is(err, queue.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reminder record %s: %w", key, err)
	}
	var rec reminderRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return true, &UnreadableReminderError{Key: key, Err: err}
	}
	return rec.Status != reminderFailed, nil
}

func holderID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

var stageWords = map[deadline.Stage]string{
	deadline.DueSoon:    "due in 2 working days",
	deadline.Late:       "late",
	deadline.VeryLate:   "20 working days late: consider asking for an internal review or complaining to the Information Commissioner",
	deadline.ReviewLate: "internal review overdue",
}

// WriteNotices prints notices as a table (remind --dry-run).
func WriteNotices(w io.Writer, ns []Notice) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tCAMPAIGN\tREQUEST\tAUTHORITY\tSENT\tDUE\tDAYS LATE\tREFERENCE")
	for _, n := range ns {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", n.Stage, n.Campaign, n.Request, truncate(n.Authority, 40), n.SentAt, n.Due, n.DaysLate, dash(n.Reference))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

var digestHTML = template.Must(template.New("digest").Parse(`<html><body>
<p>foiwatch: {{len .}} request(s) reached a reminder stage.</p>
<table border="1" cellpadding="4" cellspacing="0">
<tr><th>Stage</th><th>Campaign</th><th>Authority</th><th>Sent</th><th>Due</th><th>Working days late</th><th>Reference</th></tr>
{{range .}}<tr><td>{{.Stage}}</td><td>{{.Title}}</td><td>{{.Authority}}</td><td>{{.SentAt}}</td><td>{{.Due}}</td><td>{{.DaysLate}}</td><td>{{.Reference}}</td></tr>
{{end}}</table></body></html>
`))

func newMessageID(domainFrom string) string {
	dom := "foiwatch.invalid"
	if i := strings.LastIndexByte(domainFrom, '@'); i >= 0 {
		dom = domainFrom[i+1:]
	}
	return holderID() + holderID() + "@" + dom
}

// digestMessage is the operator digest: plain text (the digest template)
// and HTML (a table), or the text alone when the template is the
// operator's own.
func (d *Daemon) digestMessage(ns []Notice, now time.Time, from string) ([]byte, error) {
	sort.SliceStable(ns, func(i, j int) bool { return ns[i].Stage > ns[j].Stage })
	data := DigestData{Date: deadline.DateOf(now).String()}
	for _, n := range ns {
		law := laws[n.law]
		if law.Key == "" {
			law = laws[LawFOIA]
		}
		words := stageWords[n.Stage]
		if n.Stage == deadline.VeryLate {
			words = law.VeryLate
		}
		data.Notices = append(data.Notices, DigestNotice{Notice: n, StageWords: words, Law: law})
	}
	var text bytes.Buffer
	if err := d.letterTemplates().digest.Execute(&text, data); err != nil {
		d.Log.Error("digest template failed; sending the built-in digest", "err", err)
		text.Reset()
		if err := defaultDigestLetter.Execute(&text, data); err != nil {
			return nil, fmt.Errorf("the built-in digest letter: %w", err)
		}
	}

	var h gomail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*gomail.Address{mustAddr(d.Cfg.SMTP.From, from)})
	var to []*gomail.Address
	for _, a := range d.Cfg.Reminders.To {
		to = append(to, &gomail.Address{Address: a})
	}
	h.SetAddressList("To", to)
	h.SetSubject(fmt.Sprintf("foiwatch: %d FOI request(s) need attention (%s)", len(ns), deadline.DateOf(now)))
	h.SetMessageID(newMessageID(from))
	h.Set("Auto-Submitted", "auto-generated")
	if d.letterTemplates().customDigest {
		return singlePart(h, tidyLetter(text.String())), nil
	}
	var html bytes.Buffer
	if err := digestHTML.Execute(&html, ns); err != nil {
		return nil, fmt.Errorf("the digest's HTML table: %w", err)
	}
	return alternative(h, tidyLetter(text.String()), html.String())
}

// letterTemplates are the daemon's chase-up and digest templates.
func (d *Daemon) letterTemplates() letterTemplates {
	if d.letters.chase == nil {
		return letterTemplates{chase: defaultChaseLetter, digest: defaultDigestLetter}
	}
	return d.letters
}

// chaseMessage is the chase-up to an authority: it keeps the request's
// thread, quotes the reference, the date sent and the date due, cites the
// campaign's law, is signed by the requester and asks for replies at the
// request's reply_to where it has one.
func (d *Daemon) chaseMessage(n Notice, now time.Time, from string) ([]byte, error) {
	law := laws[n.law]
	if law.Key == "" {
		law = laws[LawFOIA]
	}
	data := ChaseData{Title: n.Title, Authority: n.Authority, Email: n.Email, Reference: n.Reference, SentAt: n.SentAt,
		Due: n.Due, DaysLate: n.DaysLate, Stage: n.Stage, VeryLate: n.Stage == deadline.VeryLate, Law: law,
		Requester: d.requester(), Date: deadline.DateOf(now).String()}
	var text bytes.Buffer
	if err := d.letterTemplates().chase.Execute(&text, data); err != nil {
		d.Log.Error("chase-up template failed; sending the built-in chase-up", "campaign", n.Campaign, "request", n.Request, "err", err)
		text.Reset()
		if err := defaultChaseLetter.Execute(&text, data); err != nil {
			return nil, fmt.Errorf("the built-in chase-up letter: %w", err)
		}
	}

	var h gomail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*gomail.Address{mustAddr(d.Cfg.SMTP.From, from)})
	h.SetAddressList("To", []*gomail.Address{{Name: n.Authority, Address: n.Email}})
	if n.replyTo != "" {
		h.SetAddressList("Reply-To", []*gomail.Address{{Name: data.Requester.Name, Address: n.replyTo}})
	}
	subj := n.subject
	if subj == "" {
		subj = law.Subject + ": " + n.Title
	}
	if n.Reference != "" && !strings.Contains(subj, n.Reference) {
		subj += " [" + n.Reference + "]"
	}
	h.SetSubject("Re: " + subj)
	h.SetMessageID(newMessageID(from))
	if id := n.messageID; id != "" {
		if !strings.HasPrefix(id, "<") {
			id = "<" + id + ">"
		}
		h.Set("In-Reply-To", id)
		h.Set("References", id)
	}
	return singlePart(h, tidyLetter(text.String())), nil
}

func mustAddr(configured, fallback string) *gomail.Address {
	if a, err := mail.ParseAddress(configured); err == nil {
		return &gomail.Address{Name: a.Name, Address: a.Address}
	}
	return &gomail.Address{Address: fallback}
}

// alternative is a multipart/alternative message of text and html. Its
// errors are the header's (the buffer takes every write): an empty message
// must not be sent in its place.
func alternative(h gomail.Header, text, html string) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gomail.CreateInlineWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	for _, p := range []struct{ ct, body string }{{"text/plain", text}, {"text/html", html}} {
		var ph gomail.InlineHeader
		ph.SetContentType(p.ct, map[string]string{"charset": "utf-8"})
		pw, err := w.CreatePart(ph)
		if err != nil {
			return nil, fmt.Errorf("digest: %s part: %w", p.ct, err)
		}
		io.WriteString(pw, p.body)
		if err := pw.Close(); err != nil {
			return nil, fmt.Errorf("digest: %s part: %w", p.ct, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	return buf.Bytes(), nil
}
