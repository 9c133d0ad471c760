package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
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
//
// Implementation notes:
//
//   - The same reply may be handled by two workers at once (a reprocess, an
//     operator's move and a re-match in flight together). The Reply is
//     written by compare-and-set; the writer that replaces a version takes
//     the reply off where that version put it; and every handler, after
//     putting a reply where its version says, reads the Reply again and
//     takes back what it put if a newer version says otherwise. So a reply
//     ends up in exactly one place: the one its last version names.
//   - An operator's decision (decisions bucket) outranks the matcher.
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

// maxHops bounds how many times in a row a reply is queued to be matched
// again because a reply it depends on changed. Matching converges in a
// hop or two (see index.go); the bound only stops a loop nobody foresaw.
const maxHops = 16

// Handle processes one delivery (a queue.Handler).
func (p *Processor) Handle(ctx context.Context, d *queue.Delivery) error {
	log := p.Log.With("sha", short(d.SHA256), "attempt", d.Attempt)
	if d.Mailbox != "" {
		log = log.With("mailbox", d.Mailbox, "folder", d.Folder, "uid", d.UID)
	}
	// A first delivery of a message fetched from a mailbox usually has no
	// Reply stored yet: it is parsed without reading the replies bucket
	// first. That stays correct when one is stored (a second copy of the
	// same mail, from another folder or after the duplicate window; a
	// replay after a crash): the Reply is created by compare-and-set,
	// which fails on an existing key, and the next try reads what is
	// stored and goes the usual way.
	fresh := d.Attempt == 1 && !d.Reprocess && d.Source == "imap"
	for try := 0; try < 8; try++ {
		err := p.handle(ctx, d, log, fresh && try == 0)
		if !errors.Is(err, errReplyChanged) {
			return err
		}
		log.Debug("another worker stored this reply meanwhile; starting again from its version")
	}
	return fmt.Errorf("reply %s: other workers stored it again and again meanwhile", short(d.SHA256))
}

// handle is one try of Handle. fresh: assume no Reply of d is stored
// (see Handle).
func (p *Processor) handle(ctx context.Context, d *queue.Delivery, log *slog.Logger, fresh bool) error {
	var prev *parser.Reply
	var pf *Filing
	var rev uint64
	if !fresh {
		var err error
		if prev, pf, rev, err = p.Store.filed(ctx, d.SHA256); err != nil {
			return err
		}
	}
	if prev != nil && prev.ParserVersion == parser.Version && !d.Reprocess {
		// Already stored by this parser: a redelivery, a second copy of the
		// same mail, or a replay after a crash. Make sure it is where it
		// belongs (the crash may have come before that), and stop.
		log.Debug("already stored; skipping", "request", prev.Request)
		p.Metrics.duplicate()
		return p.reconcile(ctx, d, prev, pf, rev)
	}

	raw, err := p.Q.OpenRaw(ctx, d.SHA256) // a large one is read as a stream by p.readStored (parseraw.go)
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
	msg, err := p.readStored(ctx, raw)
	if notRead(err) {
		return err // the store, not the message: tried again
	}
	if err != nil {
		p.Metrics.parsed(time.Since(start), err)
		if errors.Is(err, context.DeadlineExceeded) {
			return queue.RetryLater(fmt.Errorf("parse message %s: %w", short(d.SHA256), err))
		}
		// What the parser cannot read at all (not an email) no retry cures.
		return queue.Permanent(fmt.Errorf("parse message %s: %w", short(d.SHA256), err))
	}
	// Mail fetched for the first time has no operator decision yet.
	var dec *Placement
	if prev != nil || d.Source != "imap" {
		if dec, err = p.Store.Placement(ctx, d.SHA256); err != nil {
			return err
		}
	}
	t, f := p.match(ctx, d.SHA256, msg, dec, prev)
	r := replyFor(msg, t)
	p.Metrics.parsed(time.Since(start), nil)
	r.SHA256 = d.SHA256
	if t == nil && f.Pinned && (dec != nil && dec.Action == PlaceDismiss || dec == nil && prev != nil && prev.Match == MatchDismissed) {
		r.Match = MatchDismissed
	}
	nrev, err := p.Store.putFiled(ctx, r, f, rev)
	if err != nil {
		return err
	}
	if prev != nil {
		if err := p.unplace(ctx, d, prev, r); err != nil {
			return err
		}
		if was, now := placementOf(prev), placementOf(r); was != now && d.Source == "rematch" {
			// A reply filed under one request and now under another (or
			// none) is what an operator wants to hear of; one that waited
			// unmatched and found its request is not.
			level := slog.LevelInfo
			if was.key != "" {
				level = slog.LevelWarn
			}
			log.Log(ctx, level, "a reply was matched again because what another reply taught changed, and moved", "from", was.String(), "to", now.String(), "match", r.Match, "why", f.Why)
		}
	}
	log.Info("reply stored", "campaign", r.Campaign, "request", r.Request, "match", r.Match, "kind", r.Kind, "reference", r.Reference, "warnings", len(r.Warnings))
	p.Metrics.stored(r)
	return p.reconcileNew(ctx, d, r, f, nrev, fresh)
}

// match decides where msg belongs: where an operator put it, else where
// the matcher finds.
func (p *Processor) match(ctx context.Context, sha string, msg *parser.Message, dec *Placement, prev *parser.Reply) (*Target, *Filing) {
	if dec != nil {
		f := &Filing{Pinned: true, Why: dec.Describe()}
		if dec.Action == PlaceUnmatch || dec.Action == PlaceDismiss {
			return nil, f
		}
		if c := p.Campaigns.Get(dec.Campaign); c != nil && c.Request(dec.Request) != nil {
			return &Target{Campaign: c, Request: c.Request(dec.Request), How: MatchOperator, Why: f.Why}, f
		}
		f.Why = fmt.Sprintf("%s, to %s/%s, which is no longer in the campaign files", f.Why, dec.Campaign, dec.Request)
		return nil, f
	}
	// Decisions recorded in the Reply itself, by foiwatch before the
	// decisions bucket.
	if prev != nil && prev.Match == MatchOperator {
		if c := p.Campaigns.Get(prev.Campaign); c != nil && c.Request(prev.Request) != nil {
			f := &Filing{Pinned: true, Why: "assigned by an operator"}
			return &Target{Campaign: c, Request: c.Request(prev.Request), How: MatchOperator, Why: f.Why}, f
		}
	}
	if prev != nil && prev.Match == MatchDismissed {
		return nil, &Filing{Pinned: true, Why: "dismissed by an operator"}
	}
	m := &Matcher{Campaigns: p.Campaigns,
		Learned: func(norm string) string { return p.Store.refIndex().says(ctx, norm, sha) },
		Thread:  func(id string) string { return p.Store.threadIndex().says(ctx, threadKey(id), sha) },
	}
	res := m.Find(msg, msg.Reference())
	f := &Filing{Thread: res.Thread}
	if res.Target != nil {
		f.Why, f.Learned = res.Target.Why, res.Target.Learned
	} else {
		f.Why, f.Candidates = res.Why, res.Candidates
	}
	return res.Target, f
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

// reconcile puts the stored reply v (filed as f, at revision rev) where it
// belongs, then checks that it is still the stored version; if a newer one
// was stored meanwhile it does the same for that one, and takes back what
// it put where the newest version does not say.
func (p *Processor) reconcile(ctx context.Context, d *queue.Delivery, v *parser.Reply, f *Filing, rev uint64) error {
	return p.reconcileNew(ctx, d, v, f, rev, false)
}

// reconcileNew is reconcile; created says that v is the first version of
// its Reply ever stored, created by this handler from a mail just fetched
// (see place).
func (p *Processor) reconcileNew(ctx context.Context, d *queue.Delivery, v *parser.Reply, f *Filing, rev uint64, created bool) error {
	var put []placement
	for i := 0; i < 10; i++ {
		if err := p.place(ctx, d, v, f, created && i == 0); err != nil {
			return err
		}
		put = append(put, placementOf(v))
		_, nrev, err := p.Q.Replies.Get(ctx, v.SHA256)
		if err != nil {
			return err
		}
		if nrev == rev {
			for _, pl := range put {
				if pl != placementOf(v) {
					if err := p.unplaceAt(ctx, pl, v.SHA256); err != nil {
						return err
					}
				}
			}
			return nil
		}
		nv, nf, nr, err := p.Store.filed(ctx, v.SHA256)
		if err != nil {
			return err
		}
		v, f, rev = nv, nf, nr
	}
	return fmt.Errorf("reply %s changed ten times while it was being filed; retrying later", short(v.SHA256))
}

// place puts a stored reply where its Reply says: in its request's state,
// in the unmatched list, or nowhere (dismissed); and records in the
// indexes what it teaches or waits for.
//
// created says that r is the first version of its Reply ever stored: the
// unmatched list holds only replies a stored version put there, so there
// is nothing to take off it (a delete in a key-value bucket is a write,
// a round trip and a marker kept in the stream), and the reply's
// Message-ID is most likely a new key of the threads index.
func (p *Processor) place(ctx context.Context, d *queue.Delivery, r *parser.Reply, f *Filing, created bool) error {
	switch {
	case placed(r):
		if _, ok := indexFor(p.Campaigns).byKey[Key(r.Campaign, r.Request)]; !ok {
			return queue.Permanent(fmt.Errorf("reply %s belongs to %s/%s, which is no longer in the campaign files", short(r.SHA256), r.Campaign, r.Request))
		}
		if _, err := p.Store.AddReply(ctx, r, replyTime(r), f.Why); err != nil {
			return err
		}
		if !created {
			if err := p.Q.Unmatched.Delete(ctx, r.SHA256); err != nil {
				return err
			}
		}
	case r.Match == MatchDismissed:
		if !created {
			if err := p.Q.Unmatched.Delete(ctx, r.SHA256); err != nil {
				return err
			}
		}
	default:
		if err := p.putUnmatched(ctx, r, f, created); err != nil {
			return err
		}
	}
	again, self, err := p.Store.teach(ctx, r, f, created)
	if err != nil {
		return err
	}
	if self {
		again = append(again, r.SHA256)
	}
	return p.rematch(ctx, d, r, again)
}

// putUnmatched lists r among the replies waiting for an operator; created
// (see place): it is not listed yet.
func (p *Processor) putUnmatched(ctx context.Context, r *parser.Reply, f *Filing, created bool) error {
	e := UnmatchedEntry{SHA256: r.SHA256, From: r.From, Subject: r.Subject, Date: r.Date, Kind: r.Kind, Reference: r.Reference,
		Since: time.Now().UTC(), Candidates: f.Candidates, Why: f.Why}
	var b []byte
	err := fmt.Errorf("not listed yet: %w", queue.ErrNotFound)
	if !created {
		b, _, err = p.Q.Unmatched.Get(ctx, r.SHA256)
	}
	isNew := errors.Is(err, queue.ErrNotFound)
	if err == nil {
		var old UnmatchedEntry
		if json.Unmarshal(b, &old) == nil {
			e.Since = old.Since
			if old.Why == e.Why && slices.Equal(old.Candidates, e.Candidates) && old.Kind == e.Kind && old.Reference == e.Reference {
				return nil
			}
		}
	} else if !isNew {
		return err
	}
	nb, _ := json.Marshal(e)
	if _, err := p.Q.Unmatched.Put(ctx, r.SHA256, nb); err != nil {
		return err
	}
	if isNew {
		p.Log.Warn("reply matched no request; it waits for an operator (foiwatch unmatched list)", "sha", short(r.SHA256), "from", r.From, "subject", r.Subject, "why", f.Why)
		p.Metrics.unmatched()
	}
	return nil
}

// rematch queues the replies shas to be matched again: what they depend on
// changed (see index.go).
func (p *Processor) rematch(ctx context.Context, d *queue.Delivery, r *parser.Reply, shas []string) error {
	if len(shas) == 0 {
		return nil
	}
	if d.Hops >= maxHops {
		p.Log.Error("replies were queued to be matched again too many times in a row; stopping (run foiwatch reprocess, and report this)", "sha", short(r.SHA256), "hops", d.Hops, "waiting", len(shas))
		return nil
	}
	for _, sha := range shas {
		p.Log.Info("matching a reply again: a reply it depends on changed", "sha", short(sha), "because", short(r.SHA256), "campaign", r.Campaign, "request", r.Request, "reference", r.Reference)
		env := queue.Envelope{SHA256: sha, Source: "rematch", Reprocess: true, Hops: d.Hops + 1}
		if err := p.Q.Republish(ctx, env, "rematch"); err != nil {
			return err
		}
	}
	return nil
}

// unplace takes a reply's previous version prev off where it was, when the
// new version r is elsewhere, and off the reference prev carried when r
// carries another.
func (p *Processor) unplace(ctx context.Context, d *queue.Delivery, prev, r *parser.Reply) error {
	if placementOf(prev) != placementOf(r) {
		if err := p.unplaceAt(ctx, placementOf(prev), r.SHA256); err != nil {
			return err
		}
	}
	if old := NormRef(prev.Reference); old != "" && old != NormRef(r.Reference) {
		again, err := p.Store.forget(ctx, old, r.SHA256)
		if err != nil {
			return err
		}
		return p.rematch(ctx, d, r, again)
	}
	return nil
}

// unplaceAt takes reply sha out of placement pl.
func (p *Processor) unplaceAt(ctx context.Context, pl placement, sha string) error {
	switch {
	case pl.key != "":
		cid, rid, _ := strings.Cut(pl.key, ".")
		if c := p.Campaigns.Get(cid); c == nil || c.Request(rid) == nil {
			return nil // gone from the campaign files: nothing to take it off
		}
		return p.Store.RemoveReply(ctx, cid, rid, sha)
	case !pl.dismissed:
		return p.Q.Unmatched.Delete(ctx, sha)
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

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
