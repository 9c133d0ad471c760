package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
)

// ParseStateless parses raw and matches it against the campaigns with no
// stored state (foiwatch parse): thread, address, the references written in
// the campaign files, subject and domain.
func ParseStateless(ctx context.Context, cs *Campaigns, raw []byte, lim *parser.Limits) (*parser.Reply, error) {
	msg, err := parser.Read(ctx, raw, lim)
	if err != nil {
		return nil, err
	}
	t := (&Matcher{Campaigns: cs}).Match(msg, msg.Reference())
	r := replyFor(msg, t)
	r.SHA256 = queue.SHA256(raw)
	return r, nil
}

// ResolveUnmatched finds the unmatched reply whose sha256 starts with
// prefix (the 12 characters `unmatched list` shows are enough).
func (d *Daemon) ResolveUnmatched(ctx context.Context, prefix string) (string, error) {
	list, err := d.Store.Unmatched(ctx)
	if err != nil {
		return "", err
	}
	var found []string
	for _, u := range list {
		if strings.HasPrefix(u.SHA256, strings.ToLower(prefix)) {
			found = append(found, u.SHA256)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no unmatched reply has the ID %q (see foiwatch unmatched list)", prefix)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%d unmatched replies start with %q: give more of the ID", len(found), prefix)
}

// findRequest resolves "campaign/request", or a request id that is unique
// across the campaigns.
func (d *Daemon) findRequest(name string) (*Campaign, *Request, error) {
	if c, r, ok := strings.Cut(name, "/"); ok {
		camp := d.Campaigns.Get(c)
		if camp == nil {
			return nil, nil, fmt.Errorf("no campaign %q (known: %s)", c, d.campaignIDs())
		}
		req := camp.Request(r)
		if req == nil {
			return nil, nil, fmt.Errorf("campaign %s has no request %q", c, r)
		}
		return camp, req, nil
	}
	var hits []*Campaign
	for _, c := range d.Campaigns.List {
		if c.Request(name) != nil {
			hits = append(hits, c)
		}
	}
	switch len(hits) {
	case 0:
		return nil, nil, fmt.Errorf("no campaign has a request %q", name)
	case 1:
		return hits[0], hits[0].Request(name), nil
	}
	return nil, nil, fmt.Errorf("request %q is in %d campaigns: write CAMPAIGN/%s", name, len(hits), name)
}

// Assign gives an unmatched reply to a request, as an operator decided:
// it is parsed with that campaign's questions and the request's state is
// updated as a matched reply would have updated it. Reprocessing keeps it.
func (d *Daemon) Assign(ctx context.Context, sha, request string) (*parser.Reply, error) {
	c, req, err := d.findRequest(request)
	if err != nil {
		return nil, err
	}
	raw, err := d.Q.GetRaw(ctx, sha)
	if err != nil {
		return nil, err
	}
	msg, err := parser.Read(ctx, raw, d.Proc.Limits)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", short(sha), err)
	}
	prev, err := d.Store.Reply(ctx, sha)
	if err != nil && !errors.Is(err, queue.ErrNotFound) {
		return nil, err
	}
	r := replyFor(msg, &Target{Campaign: c, Request: req, How: MatchOperator})
	r.SHA256 = sha
	if err := d.Store.PutReply(ctx, r); err != nil {
		return nil, err
	}
	if prev != nil && prev.Request != "" && (prev.Campaign != c.ID || prev.Request != req.ID) {
		if err := d.Store.RemoveReply(ctx, prev.Campaign, prev.Request, sha); err != nil {
			return nil, err
		}
	}
	if err := d.Proc.record(ctx, r); err != nil {
		return nil, err
	}
	d.Log.Info("unmatched reply assigned by an operator", "sha", short(sha), "campaign", c.ID, "request", req.ID)
	return r, nil
}

// Dismiss takes a reply off the unmatched list for good. The raw message
// and its Reply stay stored (match "dismissed").
func (d *Daemon) Dismiss(ctx context.Context, sha string) error {
	r, err := d.Store.Reply(ctx, sha)
	if err != nil {
		return err
	}
	r.Match = "dismissed"
	if err := d.Store.PutReply(ctx, r); err != nil {
		return err
	}
	return d.Q.Unmatched.Delete(ctx, sha)
}

// Reprocess queues every stored message to be parsed again by the current
// parser (only those of one campaign, and the unmatched, when campaign is
// set). It returns how many were queued.
func (d *Daemon) Reprocess(ctx context.Context, campaign string) (int, error) {
	if campaign != "" && d.Campaigns.Get(campaign) == nil {
		return 0, fmt.Errorf("no campaign %q (known: %s)", campaign, d.campaignIDs())
	}
	n := 0
	err := d.Q.RawList(ctx, func(sha string) error {
		if campaign != "" {
			b, _, err := d.Q.Replies.Get(ctx, sha)
			if err == nil {
				var r struct {
					Campaign string `json:"campaign"`
				}
				json.Unmarshal(b, &r)
				if r.Campaign != "" && r.Campaign != campaign {
					return nil
				}
			}
		}
		n++
		return d.Q.Republish(ctx, queue.Envelope{SHA256: sha, Source: "reprocess", Reprocess: true}, "reprocess")
	})
	return n, err
}

// EventKinds are the things an operator records that happened outside the
// mailbox, with what each does to the request's clock.
var EventKinds = map[string]string{
	"clarification_sent": "the requester answered the authority's request for clarification: the clock starts again from day 0 on that day",
	"review_requested":   "the requester asked for an internal review: it is due 20 working days later",
	"withdrawn":          "the requester withdrew the request: no more reminders",
	"resent":             "the request was sent again (e.g. to a new address after a bounce): the clock starts again",
}

// RecordEvent records an operator's event on a request (see EventKinds).
func (d *Daemon) RecordEvent(ctx context.Context, request, kind string, at time.Time, note string) (*RequestState, error) {
	if _, ok := EventKinds[kind]; !ok {
		var kinds []string
		for k := range EventKinds {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		return nil, fmt.Errorf("unknown event %q: want one of %s", kind, strings.Join(kinds, ", "))
	}
	c, r, err := d.findRequest(request)
	if err != nil {
		return nil, err
	}
	ev := Event{Kind: kind, At: at.UTC(), Note: note}
	return d.Store.UpdateState(ctx, c.ID, r.ID, func(s *RequestState) bool {
		for _, e := range s.Events {
			if e.Kind == ev.Kind && e.At.Equal(ev.At) {
				return false
			}
		}
		s.Events = append(s.Events, ev)
		return true
	})
}
