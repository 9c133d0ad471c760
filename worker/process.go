package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
)

// Processor turns one queued envelope into a stored Reply: it reads the raw
// message, parses it, matches it to a request, stores the Reply and updates
// the request's state, or keeps it for an operator when nothing matches.
//
// Delivery is at least once, so every step is idempotent: the Reply is keyed
// by the raw message's sha256 and skipped when the same parser version made
// it; the request's state keeps each reply once (by sha256) and is changed by
// compare-and-set.
type Processor struct {
	Q         *queue.Queue
	Store     *Store
	Campaigns *Campaigns
	Limits    *parser.Limits
	Log       *slog.Logger
	Metrics   *Metrics // may be nil

	// BeforeParse, when set, runs before each message is parsed; an error
	// fails the attempt. Tests use it to make processing fail on demand.
	BeforeParse func(ctx context.Context, sha string) error
}

// Handle processes one delivery (a queue.Handler).
func (p *Processor) Handle(ctx context.Context, d *queue.Delivery) error {
	log := p.Log.With("sha", short(d.SHA256), "attempt", d.Attempt)
	if d.Mailbox != "" {
		log = log.With("mailbox", d.Mailbox, "folder", d.Folder, "uid", d.UID)
	}
	prev, err := p.Store.Reply(ctx, d.SHA256)
	if err != nil && !errors.Is(err, queue.ErrNotFound) {
		return fmt.Errorf("read stored reply %s: %w", short(d.SHA256), err)
	}
	if prev != nil && prev.ParserVersion == parser.Version && !d.Reprocess {
		// Already stored by this parser: a redelivery, a second copy of the
		// same mail, or a replay after a crash. Make sure the request's
		// state has it (the crash may have come before that), and stop.
		log.Debug("already stored; skipping", "request", prev.Request)
		if err := p.record(ctx, prev); err != nil {
			return err
		}
		p.Metrics.duplicate()
		return nil
	}

	raw, err := p.Q.GetRaw(ctx, d.SHA256)
	if errors.Is(err, queue.ErrNotFound) {
		// Retried, not failed at once: the same message stored a second
		// time (two folders) is briefly missing while the object is replaced.
		return fmt.Errorf("the raw message %s is not stored (neither in %s nor in %s)", d.SHA256, queue.BucketRawSmall, queue.ObjectRaw)
	}
	if err != nil {
		return err
	}
	if p.BeforeParse != nil {
		if err := p.BeforeParse(ctx, d.SHA256); err != nil {
			return err
		}
	}
	start := time.Now()
	r, err := p.parse(ctx, raw, prev)
	p.Metrics.parsed(time.Since(start), err)
	if errors.Is(err, context.DeadlineExceeded) {
		return queue.RetryLater(fmt.Errorf("parse message %s: %w", short(d.SHA256), err))
	}
	if err != nil {
		// What the parser cannot read at all (not an email) no retry cures.
		return queue.Permanent(fmt.Errorf("parse message %s: %w", short(d.SHA256), err))
	}
	r.SHA256 = d.SHA256
	if err := p.Store.PutReply(ctx, r); err != nil {
		return err
	}
	if prev != nil && prev.Request != "" && (prev.Campaign != r.Campaign || prev.Request != r.Request) {
		// Reprocessing moved it to another request: take it off the old one.
		if err := p.Store.RemoveReply(ctx, prev.Campaign, prev.Request, r.SHA256); err != nil {
			return err
		}
	}
	if err := p.record(ctx, r); err != nil {
		return err
	}
	log.Info("reply stored", "campaign", r.Campaign, "request", r.Request, "match", r.Match, "kind", r.Kind, "reference", r.Reference, "warnings", len(r.Warnings))
	p.Metrics.stored(r)
	return nil
}

// parse reads raw and matches it. An operator's earlier assignment (prev)
// is kept: reprocessing never undoes a person's decision.
func (p *Processor) parse(ctx context.Context, raw []byte, prev *parser.Reply) (*parser.Reply, error) {
	msg, err := parser.Read(ctx, raw, p.Limits)
	if err != nil {
		return nil, err
	}
	var t *Target
	if prev != nil && prev.Match == MatchOperator {
		if c := p.Campaigns.Get(prev.Campaign); c != nil {
			if r := c.Request(prev.Request); r != nil {
				t = &Target{Campaign: c, Request: r, How: MatchOperator}
			}
		}
	}
	if t == nil {
		m := &Matcher{Campaigns: p.Campaigns,
			Reference: func(norm string) (string, string, bool) { return p.Store.LearnedReference(ctx, norm) },
			Open: func(campaign, request string) bool {
				s, _, err := p.Store.State(ctx, campaign, request)
				return err != nil || isOpen(s.State)
			}}
		t = m.Match(msg, msg.Reference())
	}
	return replyFor(msg, t), nil
}

// replyFor finishes the Reply of msg for target t (nil: unmatched).
func replyFor(msg *parser.Message, t *Target) *parser.Reply {
	var asked *parser.Asked
	if t != nil {
		asked = t.Campaign.Asked()
	}
	r := msg.Reply(asked)
	if t == nil {
		r.Campaign, r.Request, r.Match = "", "", MatchNone
	} else {
		r.Campaign, r.Request, r.Match = t.Campaign.ID, t.Request.ID, t.How
	}
	return r
}

// record puts a stored reply where it belongs: in its request's state, or
// in the unmatched queue.
func (p *Processor) record(ctx context.Context, r *parser.Reply) error {
	if r.Campaign == "" || r.Request == "" {
		if r.Match == "dismissed" {
			return nil
		}
		e := UnmatchedEntry{SHA256: r.SHA256, From: r.From, Subject: r.Subject, Date: r.Date, Kind: r.Kind, Reference: r.Reference, Since: time.Now().UTC()}
		if _, _, err := p.Q.Unmatched.Get(ctx, r.SHA256); err == nil {
			return nil
		}
		b, _ := json.Marshal(e)
		if _, err := p.Q.Unmatched.Put(ctx, r.SHA256, b); err != nil {
			return err
		}
		p.Log.Warn("reply matched no request; it waits for an operator (foiwatch unmatched list)", "sha", short(r.SHA256), "from", r.From, "subject", r.Subject)
		p.Metrics.unmatched()
		return nil
	}
	if p.Campaigns.Get(r.Campaign) == nil || p.Campaigns.Get(r.Campaign).Request(r.Request) == nil {
		return queue.Permanent(fmt.Errorf("reply %s belongs to %s/%s, which is no longer in the campaign files", short(r.SHA256), r.Campaign, r.Request))
	}
	if _, err := p.Store.AddReply(ctx, r, replyTime(r)); err != nil {
		return err
	}
	if err := p.Store.LearnReference(ctx, r); err != nil {
		return err
	}
	if err := p.rematch(ctx, r); err != nil {
		return err
	}
	return p.Q.Unmatched.Delete(ctx, r.SHA256)
}

// rematch queues again the unmatched replies that carry the reference r
// just taught: a response processed before (or at the same time as) the
// acknowledgement that names its reference finds its request after all.
func (p *Processor) rematch(ctx context.Context, r *parser.Reply) error {
	ref := NormRef(r.Reference)
	if ref == "" {
		return nil
	}
	list, err := p.Store.Unmatched(ctx)
	if err != nil {
		return err
	}
	for _, u := range list {
		if u.SHA256 == r.SHA256 || NormRef(u.Reference) != ref {
			continue
		}
		p.Log.Info("an unmatched reply carries a reference just learned; matching it again", "sha", short(u.SHA256), "reference", r.Reference, "campaign", r.Campaign, "request", r.Request)
		if err := p.Q.Republish(ctx, queue.Envelope{SHA256: u.SHA256, Source: "rematch", Reprocess: true}, "rematch"); err != nil {
			return err
		}
	}
	return nil
}

// replyTime is when a reply was sent (its Date header), for ordering.
func replyTime(r *parser.Reply) time.Time {
	if t, err := time.Parse(time.RFC3339, r.Date); err == nil {
		return t
	}
	return time.Time{}
}

func isOpen(state string) bool {
	switch state {
	case StateSent, StateAcknowledged, StateClarification, StateExtension, StateBounced:
		return true
	}
	return false
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
