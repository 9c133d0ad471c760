package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
)

// Checking the store (foiwatch check). The raw messages are the source of
// truth: every Reply is what the parser makes of one of them; every
// request's list of replies, the unmatched list and the learned references
// follow from the Replies, and so do the references and threads indexes
// (what replies filed by firm evidence taught, and the replies waiting on
// them). So a check verifies each raw message against its sha256, that
// each has a Reply (or waits in MAIL, or is in FAILED), and that what
// follows from the Replies is what is stored; a repair parses again the
// raw messages whose Reply is missing and rebuilds the rest from the
// Replies. Operator decisions (the decisions bucket) and send records (the
// sends bucket) are not derived: they are checked for damage, and what is
// lost of them is named, never made up. What cannot be rebuilt is named: a
// raw message that is lost (the mailbox cursors can be reset to fetch it
// again), an operator's event recorded only in a request's state that was
// lost, an operator's decision or a send record that was lost.

// checkedBuckets are the buckets Check reads message by message.
var checkedBuckets = []string{queue.BucketRawSmall, queue.BucketReplies, queue.BucketRequests, queue.BucketUnmatched,
	queue.BucketReferences, queue.BucketThreads, queue.BucketCursors, queue.BucketReminders, queue.BucketDecisions, queue.BucketSends}

// reparseFix is what repair does about a lost or unreadable Reply.
const reparseFix = "parse the raw message again (where an operator put it is applied again from the decisions bucket; a placement recorded only in the lost reply, by a foiwatch older than that bucket, is lost with it: the reply is matched anew, or listed as unmatched)"

// Problem is one thing Check found wrong.
type Problem struct {
	Where string // "requests/gen.r001", "replies/a31c45e2b8f0", "raw/…"
	What  string
	// Fix is what repair does (or did) about it; "" when it cannot.
	Fix      string
	Repaired bool
	Err      string // why the repair failed
}

// CheckReport is what Check found and, when repairing, did.
type CheckReport struct {
	Damage    []queue.Damage // signs of damage seen when the store was opened
	Raw       int            // raw messages
	Replies   int
	Requests  int
	Unmatched int
	Failed    int
	Queued    int
	Problems  []Problem
	// Rebuilt are the buckets whose streams a repair replaced (they held
	// messages that could not be read).
	Rebuilt []string
	// DamageRepaired: a repair rebuilt everything and marked the store
	// checked (the Damage listed is what was found before).
	DamageRepaired bool
	// CursorsReset is how many mailbox cursors repair reset to fetch lost
	// raw messages again.
	CursorsReset int
}

// Sound reports whether nothing is wrong, or a repair left nothing wrong.
func (r *CheckReport) Sound() bool {
	return allRepaired(r.Problems) && (len(r.Damage) == 0 || r.DamageRepaired)
}

// CheckOptions tune Check.
type CheckOptions struct {
	// Repair rebuilds what can be rebuilt. Default false: only report.
	Repair bool
	// Quick skips reading every raw message to verify its sha256.
	// Default false.
	Quick bool
	// Progress, when set, is told what Check does now.
	Progress func(what string)
}

// Check verifies the store against the raw messages (see above) and, with
// o.Repair, rebuilds what is derived from them. It reads every bucket
// message by message (queue.ScanBucket), not through a consumer, so that a
// damaged stream cannot stall it, and names what JetStream cannot read.
//
// It is over 100 lines on purpose: one pass in the order its report reads (each
// say(...) starts a step), whose steps share the maps the earlier ones built
// (replies, filings, states, indexes, unreadable); split, each would take
// half a dozen of them. A checker type holding them is the way to split it.
func (d *Daemon) Check(ctx context.Context, o CheckOptions) (*CheckReport, error) {
	rep := &CheckReport{Damage: append([]queue.Damage(nil), d.Q.Damage()...)}
	say := func(s string) {
		if o.Progress != nil {
			o.Progress(s)
		}
	}
	problem := func(p Problem) *Problem {
		for i := range rep.Problems {
			if rep.Problems[i].Where == p.Where {
				return &rep.Problems[i] // said once per place
			}
		}
		rep.Problems = append(rep.Problems, p)
		return &rep.Problems[len(rep.Problems)-1]
	}
	unreadable := map[string][]uint64{}
	scan := func(name string, fn func(key string, val []byte, deleted bool) error) error {
		bad, dm, err := d.Q.ScanBucket(ctx, name, fn)
		unreadable[name] = bad
		if dm != nil {
			rep.Damage = append(rep.Damage, *dm)
		}
		return err
	}

	rawLost := false
	if o.Repair {
		// A stream holding messages that cannot be read takes no write to
		// the keys of those messages: such a bucket is rebuilt before any
		// repair writes to it.
		resumed, err := d.Q.ResumeRebuilds(ctx)
		if err != nil {
			return nil, err
		}
		for _, name := range resumed {
			rep.Rebuilt = append(rep.Rebuilt, name+" (a rebuild cut short, finished)")
		}
		for _, name := range checkedBuckets {
			say("looking for unreadable messages in bucket " + name)
			_, dm, err := d.Q.ScanBucket(ctx, name, func(string, []byte, bool) error { return nil })
			if err != nil {
				return nil, err
			}
			if dm == nil {
				continue
			}
			rep.Damage = append(rep.Damage, *dm)
			if d.Q.ReachesDaemon() {
				return rep, fmt.Errorf("%s must be rebuilt, which cannot be done while the daemon runs (it writes to it): stop foiwatch run, then run %s again", dm, d.checkCommand())
			}
			say("rebuilding bucket " + name)
			n, err := d.Q.RebuildBucket(ctx, name)
			if err != nil {
				return rep, err
			}
			rep.Rebuilt = append(rep.Rebuilt, fmt.Sprintf("%s (%d values kept; what the unreadable messages held is rebuilt below)", name, n))
			if name == queue.BucketRawSmall || name == queue.BucketCursors {
				rawLost = true
			}
		}
	}

	say("reading the raw messages")
	raw := map[string]bool{}
	err := scan(queue.BucketRawSmall, func(sha string, val []byte, deleted bool) error {
		if deleted {
			delete(raw, sha)
			return nil
		}
		raw[sha] = true
		if !o.Quick && queue.SHA256(val) != sha {
			problem(Problem{Where: "raw/" + short(sha), What: fmt.Sprintf("the raw message (%d bytes, bucket %s) does not match its sha256: it is damaged", len(val), queue.BucketRawSmall)})
			rawLost = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = d.Q.RawObjects(ctx, func(sha string) error {
		raw[sha] = true
		if o.Quick {
			return nil
		}
		b, err := d.Q.GetRaw(ctx, sha)
		switch {
		case err != nil:
			problem(Problem{Where: "raw/" + short(sha), What: "the raw message cannot be read from object store " + queue.ObjectRaw + ": " + err.Error()})
			rawLost = true
		case queue.SHA256(b) != sha:
			problem(Problem{Where: "raw/" + short(sha), What: fmt.Sprintf("the raw message (%d bytes, object store %s) does not match its sha256: it is damaged", len(b), queue.ObjectRaw)})
			rawLost = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Raw = len(raw)
	if len(unreadable[queue.BucketRawSmall]) > 0 {
		rawLost = true
	}

	say("reading the replies")
	replies := map[string]*parser.Reply{}
	filings := map[string]*Filing{}
	badReply := map[string]string{}
	err = scan(queue.BucketReplies, func(sha string, val []byte, deleted bool) error {
		delete(replies, sha)
		delete(filings, sha)
		delete(badReply, sha)
		if deleted {
			return nil
		}
		sr := storedReply{Reply: &parser.Reply{}}
		if val == nil {
			badReply[sha] = "its value cannot be read back (a large value whose object is gone or damaged)"
		} else if err := json.Unmarshal(val, &sr); err != nil {
			badReply[sha] = "it is not valid JSON: " + err.Error()
		} else {
			if sr.Filing == nil {
				sr.Filing = &Filing{} // stored by an older foiwatch
			}
			replies[sha], filings[sha] = sr.Reply, sr.Filing
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Replies = len(replies)
	for sha, why := range badReply {
		p := problem(Problem{Where: queue.BucketReplies + "/" + short(sha), What: "the stored reply is damaged: " + why})
		if raw[sha] {
			p.Fix = reparseFix
		}
	}

	failed, err := d.Q.Failed(ctx)
	if err != nil {
		return nil, err
	}
	rep.Failed = len(failed)
	inFailed := map[string]bool{}
	for _, f := range failed {
		inFailed[f.Envelope.SHA256] = true
	}
	queued, err := d.Q.Queued(ctx)
	if err != nil {
		return nil, err
	}
	rep.Queued = len(queued)

	// Raw messages without a Reply: the Reply was lost (or is damaged).
	var reparse []string
	for sha := range raw {
		if replies[sha] == nil && !inFailed[sha] && !queued[sha] {
			reparse = append(reparse, sha)
			problem(Problem{Where: queue.BucketReplies + "/" + short(sha), What: "the raw message has no reply (not stored, not queued, not in FAILED): the reply was lost",
				Fix: reparseFix})
		}
	}
	sort.Strings(reparse)
	for sha := range replies {
		if !raw[sha] {
			problem(Problem{Where: "raw/" + short(sha), What: "a reply is stored but its raw message is not: it cannot be parsed again"})
			rawLost = true
		}
	}
	if o.Repair && len(reparse) > 0 {
		say(fmt.Sprintf("parsing %d raw messages again", len(reparse)))
		for _, sha := range reparse {
			var err error
			if badReply[sha] != "" {
				// What is there cannot be read: it goes, to be made again.
				err = d.Q.Replies.Delete(ctx, sha)
			}
			if err == nil {
				err = d.Proc.Handle(ctx, &queue.Delivery{Envelope: queue.Envelope{SHA256: sha, Source: "repair"}, Attempt: 1})
			}
			problem(Problem{Where: queue.BucketReplies + "/" + short(sha)}).setErr(err)
			if err == nil {
				if r, f, _, err := d.Store.filed(ctx, sha); err == nil && r != nil {
					replies[sha], filings[sha] = r, f
				}
			}
		}
	}

	say("checking the requests")
	states := map[string]*RequestState{}
	badState := map[string]string{}
	err = scan(queue.BucketRequests, func(key string, val []byte, deleted bool) error {
		delete(states, key)
		delete(badState, key)
		if deleted {
			return nil
		}
		var s RequestState
		if val == nil || json.Unmarshal(val, &s) != nil {
			badState[key] = "the request's state is not valid JSON"
			return nil
		}
		states[key] = &s
		return nil
	})
	if err != nil {
		return nil, err
	}
	byRequest := map[string][]*parser.Reply{}
	for _, r := range replies {
		if r.Campaign != "" && r.Request != "" {
			byRequest[Key(r.Campaign, r.Request)] = append(byRequest[Key(r.Campaign, r.Request)], r)
		}
	}
	for _, c := range d.Campaigns.List {
		for _, req := range c.Requests {
			rep.Requests++
			key := Key(c.ID, req.ID)
			if why := badState[key]; why != "" {
				p := problem(Problem{Where: queue.BucketRequests + "/" + key, What: why, Fix: "rebuild the state from the replies (events recorded with foiwatch event are lost: record them again)"})
				if o.Repair {
					d.rebuildState(ctx, c, req, byRequest[key], filings, nil, p)
				}
				continue
			}
			want := map[string]bool{}
			for _, r := range byRequest[key] {
				want[r.SHA256] = true
			}
			have := map[string]bool{}
			var extra []string
			s := states[key]
			if s != nil {
				for _, ref := range s.Replies {
					have[ref.SHA256] = true
					if !want[ref.SHA256] {
						extra = append(extra, short(ref.SHA256))
					}
				}
			}
			var missing []string
			for sha := range want {
				if !have[sha] {
					missing = append(missing, short(sha))
				}
			}
			if len(missing) == 0 && len(extra) == 0 {
				continue
			}
			sort.Strings(missing)
			sort.Strings(extra)
			var what []string
			if len(missing) > 0 {
				what = append(what, fmt.Sprintf("its state lacks %d of the %d %s stored for it (%s): the state was lost or is an older revision", len(missing), len(want), plural(len(want), "reply", "replies"), strings.Join(missing, ", ")))
			}
			if len(extra) > 0 {
				what = append(what, fmt.Sprintf("its state lists %d %s not stored for it (%s)", len(extra), plural(len(extra), "reply", "replies"), strings.Join(extra, ", ")))
			}
			fix := "rebuild the list of replies from the stored replies, keeping its events"
			if s == nil {
				fix = "rebuild the state from the stored replies (events recorded with foiwatch event, if any, were lost with it: record them again)"
			}
			p := problem(Problem{Where: queue.BucketRequests + "/" + key, What: strings.Join(what, "; "), Fix: fix})
			if o.Repair {
				d.rebuildState(ctx, c, req, byRequest[key], filings, s, p)
			}
		}
	}

	say("checking the unmatched replies")
	listed := map[string]bool{}
	err = scan(queue.BucketUnmatched, func(key string, val []byte, deleted bool) error {
		listed[key] = !deleted
		return nil
	})
	if err != nil {
		return nil, err
	}
	for sha, on := range listed {
		if !on {
			delete(listed, sha)
		}
	}
	rep.Unmatched = len(listed)
	for sha, r := range replies {
		if r.Request == "" && r.Match != MatchDismissed && !listed[sha] {
			p := problem(Problem{Where: queue.BucketUnmatched + "/" + short(sha), What: "a reply that matched no request is not on the unmatched list", Fix: "list it again"})
			if o.Repair {
				p.setErr(d.refile(ctx, sha))
			}
		}
	}
	for sha := range listed {
		r := replies[sha]
		if r == nil && (inFailed[sha] || queued[sha]) {
			continue // its reply waits
		}
		if r == nil || r.Request != "" || r.Match == MatchDismissed {
			p := problem(Problem{Where: queue.BucketUnmatched + "/" + short(sha), What: "on the unmatched list, but its reply is matched, dismissed or gone", Fix: "take it off the list"})
			if o.Repair {
				p.setErr(d.Q.Unmatched.Delete(ctx, sha))
			}
		}
	}

	say("checking the learned references and threads")
	indexes := map[string]map[string]*indexRecord{}
	for _, name := range []string{queue.BucketReferences, queue.BucketThreads} {
		recs := map[string]*indexRecord{}
		err = scan(name, func(key string, val []byte, deleted bool) error {
			delete(recs, key)
			if deleted || val == nil {
				return nil
			}
			x := &indexRecord{}
			if len(val) > 0 && val[0] != '{' {
				x.Filed = map[string]string{legacyFiled: string(val)}
			} else if json.Unmarshal(val, x) != nil {
				return nil // not valid: written again below, as if missing
			}
			recs[key] = x
			return nil
		})
		if err != nil {
			return nil, err
		}
		indexes[name] = recs
	}
	// What each reply teaches (filed by firm evidence) or waits for (filed
	// by weaker evidence, or not at all, and not put by an operator) must
	// be in the keys it names; a repair files it again, which writes them.
	var shas []string
	for sha := range replies {
		shas = append(shas, sha)
	}
	sort.Strings(shas)
	for _, sha := range shas {
		if queued[sha] {
			continue // being filed again now
		}
		r, f := replies[sha], filings[sha]
		isFirm := firm(r, f)
		waits := !isFirm && !pinned(r, f)
		key := Key(r.Campaign, r.Request)
		var lacks []string
		teaches := func(x *indexRecord) bool {
			return x != nil && (x.Filed[sha] == key || x.Filed[legacyFiled] == key)
		}
		waitsOn := func(x *indexRecord) bool {
			_, found := slices.BinarySearch(x.waitingList(), sha)
			return found
		}
		if ref := NormRef(r.Reference); ref != "" {
			x := indexes[queue.BucketReferences][ref]
			switch {
			case isFirm && !teaches(x):
				lacks = append(lacks, fmt.Sprintf("bucket %s lacks what it teaches of reference %q", queue.BucketReferences, r.Reference))
			case waits && !waitsOn(x):
				lacks = append(lacks, fmt.Sprintf("bucket %s does not list it as waiting on reference %q", queue.BucketReferences, r.Reference))
			}
		}
		if r.MessageID != "" && isFirm && !teaches(indexes[queue.BucketThreads][threadKey(r.MessageID)]) {
			lacks = append(lacks, fmt.Sprintf("bucket %s lacks its Message-ID", queue.BucketThreads))
		}
		if waits {
			for _, id := range f.Thread {
				if !waitsOn(indexes[queue.BucketThreads][threadKey(id)]) {
					lacks = append(lacks, fmt.Sprintf("bucket %s does not list it as waiting on the earlier mail %s", queue.BucketThreads, id))
					break
				}
			}
		}
		if len(lacks) == 0 {
			continue
		}
		p := problem(Problem{Where: "index/" + short(sha), What: "what reply " + short(sha) + " teaches or waits for is not recorded: " + strings.Join(lacks, "; "), Fix: "file the reply again"})
		if o.Repair {
			p.setErr(d.refile(ctx, sha))
		}
	}
	for _, name := range []string{queue.BucketCursors, queue.BucketReminders, queue.BucketDecisions, queue.BucketSends} {
		if err := scan(name, func(string, []byte, bool) error { return nil }); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{queue.BucketCursors, queue.BucketReminders, queue.BucketReferences, queue.BucketThreads, queue.BucketUnmatched, queue.BucketDecisions, queue.BucketSends} {
		if len(unreadable[name]) > 0 {
			what := fmt.Sprintf("%d unreadable messages", len(unreadable[name]))
			fix := "nothing to rebuild: what they held is rebuilt above or written again as it is needed"
			switch name {
			case queue.BucketCursors:
				rawLost = true // a cursor may have moved past mail whose raw message is gone
			case queue.BucketReminders:
				fix = "nothing to rebuild: a reminder recorded there may be sent once more"
			case queue.BucketDecisions:
				what += ": operator decisions (where a reply was put by hand, answers set or accepted) they held are lost"
				fix = "nothing can rebuild them: the decisions still readable are kept; see foiwatch review and foiwatch show for what is in place, and make again with foiwatch move, assign or answer what is missing"
			case queue.BucketSends:
				what += ": records of requests sent by foiwatch send they held are lost, and such a request shows as not sent"
				fix = "nothing can rebuild them: the records still readable are kept; before foiwatch send, check the mailbox's sent mail and send with --only the requests that were not sent"
			}
			problem(Problem{Where: "bucket " + name, What: what, Fix: fix, Repaired: o.Repair})
		}
	}

	orphans, err := d.Q.LargeOrphans(ctx, o.Repair)
	if err != nil {
		return nil, err
	}
	for _, name := range orphans {
		problem(Problem{Where: queue.ObjectLarge + "/" + name, What: "a large value no bucket refers to any more", Fix: "remove it", Repaired: o.Repair})
	}

	if rawLost {
		p := problem(Problem{Where: "raw", What: "raw messages were lost or damaged: they cannot be rebuilt from the store",
			Fix: "reset the mailbox cursors, so that the next sync fetches every message again (those still stored are recognised and not processed twice)"})
		if o.Repair {
			n, err := d.Q.ResetCursors(ctx)
			rep.CursorsReset = n
			p.setErr(err)
		}
	}

	if o.Repair && allRepaired(rep.Problems) && (len(rep.Damage) > 0 || len(rep.Problems) > 0) {
		if err := d.Q.MarkRepaired(ctx); err != nil {
			return rep, err
		}
		rep.DamageRepaired = true
	}
	return rep, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func allRepaired(ps []Problem) bool {
	for _, p := range ps {
		if !p.Repaired {
			return false
		}
	}
	return true
}

func (p *Problem) setErr(err error) {
	if err != nil {
		p.Err = err.Error()
		return
	}
	p.Repaired = true
}

// rebuildState writes a request's state with the stored replies for it,
// keeping the events of old (nil: the state was lost or unreadable). It
// writes over what is there: the stored state may be unreadable for a
// compare-and-set.
func (d *Daemon) rebuildState(ctx context.Context, c *Campaign, req *Request, reps []*parser.Reply, filings map[string]*Filing, old *RequestState, p *Problem) {
	refs := make([]ReplyRef, 0, len(reps))
	for _, r := range reps {
		why := ""
		if f := filings[r.SHA256]; f != nil {
			why = f.Why
		}
		refs = append(refs, ReplyRef{SHA256: r.SHA256, MessageID: r.MessageID, Kind: r.Kind, Date: replyTime(r), Match: r.Match,
			Reference: r.Reference, StatedDue: r.StatedDue, Outcome: Outcome(r), Why: why})
	}
	sort.Slice(refs, func(i, j int) bool {
		if !refs[i].Date.Equal(refs[j].Date) {
			return refs[i].Date.Before(refs[j].Date)
		}
		return refs[i].SHA256 < refs[j].SHA256
	})
	s := &RequestState{Campaign: c.ID, Request: req.ID, Replies: refs}
	if old != nil {
		s.Events = old.Events
	}
	s.Derive(c, req)
	s.UpdatedAt = time.Now().UTC()
	b, _ := json.Marshal(s)
	_, err := d.Q.Requests.Put(ctx, Key(c.ID, req.ID), b)
	p.setErr(err)
}

// refile puts the stored reply sha where its Reply says again (its
// request's state or the unmatched list) and records in the indexes what
// it teaches or waits for, as the worker does after storing it.
func (d *Daemon) refile(ctx context.Context, sha string) error {
	r, f, rev, err := d.Store.filed(ctx, sha)
	if err != nil {
		return err
	}
	if r == nil {
		return fmt.Errorf("reply %s is not stored: %w", short(sha), queue.ErrNotFound)
	}
	return d.Proc.reconcile(ctx, &queue.Delivery{Envelope: queue.Envelope{SHA256: sha, Source: "repair"}, Attempt: 1}, r, f, rev)
}

// DamageError says, when the store showed signs of damage at open, what is
// damaged and how to repair it; nil otherwise. Commands that show results
// (status, export) refuse to run on a damaged store: what they would show
// could be silently wrong.
func (d *Daemon) DamageError() error {
	dm := d.Q.Damage()
	if len(dm) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("the store is damaged, so what this command shows could be wrong:")
	for _, x := range dm {
		b.WriteString("\n  " + x.String())
	}
	b.WriteString("\nrun " + d.checkCommand() + " to rebuild what is derived from the raw messages")
	return errors.New(b.String())
}

func (d *Daemon) checkCommand() string {
	if d.Cfg.path != "" {
		return "foiwatch check --config " + d.Cfg.path + " --repair"
	}
	return "foiwatch check --repair"
}
