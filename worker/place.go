package worker

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
)

var hexPrefix = regexp.MustCompile(`^[0-9a-f]{4,64}$`)

// resolvePrefix finds the one key of keys that starts with prefix.
func resolvePrefix(prefix string, keys []string, what, hint string) (string, error) {
	p := strings.ToLower(strings.TrimSpace(prefix))
	if !hexPrefix.MatchString(p) {
		return "", fmt.Errorf("%q is not a %s ID: an ID is the first characters (at least 4) of the sha256 %s shows", prefix, what, hint)
	}
	var found []string
	for _, k := range keys {
		if strings.HasPrefix(k, p) {
			found = append(found, k)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no %s has the ID %q (see %s)", what, prefix, hint)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%d stored messages start with %q: give more of the ID", len(found), prefix)
}

// ResolveReply finds the stored reply whose sha256 starts with prefix.
func (d *Daemon) ResolveReply(ctx context.Context, prefix string) (string, error) {
	keys, err := d.Q.Replies.Keys(ctx)
	if err != nil {
		return "", err
	}
	return resolvePrefix(prefix, keys, "stored reply", "foiwatch show REQUEST, unmatched list or export --replies")
}

// ResolveRaw finds the stored raw message whose sha256 starts with prefix:
// every message taken in, a Reply made of it or not.
func (d *Daemon) ResolveRaw(ctx context.Context, prefix string) (string, error) {
	var keys []string
	if err := d.Q.RawList(ctx, func(sha string) error { keys = append(keys, sha); return nil }); err != nil {
		return "", err
	}
	return resolvePrefix(prefix, keys, "stored message", "foiwatch show REQUEST, unmatched list or export --replies")
}

// ResolveUnmatched finds the unmatched reply whose sha256 starts with
// prefix (the 12 characters `unmatched list` shows are enough).
func (d *Daemon) ResolveUnmatched(ctx context.Context, prefix string) (string, error) {
	keys, err := d.Q.Unmatched.Keys(ctx)
	if err != nil {
		return "", err
	}
	return resolvePrefix(prefix, keys, "unmatched reply", "foiwatch unmatched list")
}

// decide records an operator's decision on where reply sha belongs, then
// files the reply by it at once (parsed again with its new campaign's
// questions) and returns it. Replies whose matching depended on where it
// was are matched again: by the daemon's workers when it runs, here and
// now when it does not.
func (d *Daemon) decide(ctx context.Context, sha string, pl Placement) (*parser.Reply, error) {
	if pl.By == "" {
		pl.By = Operator()
	}
	if pl.At.IsZero() {
		pl.At = d.Now().UTC()
	}
	if err := d.Store.putDecision(ctx, placeKey(sha), pl); err != nil {
		return nil, err
	}
	env := queue.Envelope{SHA256: sha, Source: "operator", Reprocess: true}
	if err := d.Proc.Handle(ctx, &queue.Delivery{Envelope: env, Attempt: 1}); err != nil {
		return nil, fmt.Errorf("the decision is recorded, but filing %s failed (foiwatch reprocess tries again): %w", short(sha), err)
	}
	// What waits in the queue is processed now when this process runs the
	// store (no daemon runs); with a daemon running, its workers do.
	if d.Q.Embedded() {
		if _, err := d.ProcessQueued(ctx); err != nil {
			return nil, err
		}
	}
	return d.Store.Reply(ctx, sha)
}

// Assign gives an unmatched reply to a request, as an operator decided:
// it is parsed with that campaign's questions and the request's state is
// updated as a matched reply would have updated it. Reprocessing keeps it.
func (d *Daemon) Assign(ctx context.Context, sha, request string) (*parser.Reply, error) {
	c, req, err := d.findRequest(request)
	if err != nil {
		return nil, err
	}
	r, err := d.decide(ctx, sha, Placement{Action: PlaceAssign, Campaign: c.ID, Request: req.ID})
	if err == nil {
		d.Log.Info("unmatched reply assigned by an operator", "sha", short(sha), "campaign", c.ID, "request", req.ID)
	}
	return r, err
}

// Dismiss takes a reply off the unmatched list for good. The raw message
// and its Reply stay stored (match "dismissed"); reprocessing keeps it so.
func (d *Daemon) Dismiss(ctx context.Context, sha string) error {
	_, err := d.decide(ctx, sha, Placement{Action: PlaceDismiss})
	return err
}

// Move puts any stored reply on request ("campaign/request" or a request
// id unique across campaigns), or back among the unmatched for "none", as
// an operator decided, with a note kept beside the decision.
func (d *Daemon) Move(ctx context.Context, sha, request, note string) (*parser.Reply, error) {
	if _, err := d.Store.Reply(ctx, sha); err != nil {
		if errors.Is(err, queue.ErrNotFound) {
			return nil, fmt.Errorf("no reply %s is stored", short(sha))
		}
		return nil, err
	}
	pl := Placement{Action: PlaceUnmatch, Note: note}
	if request != "none" {
		c, req, err := d.findRequest(request)
		if err != nil {
			return nil, err
		}
		pl = Placement{Action: PlaceMove, Campaign: c.ID, Request: req.ID, Note: note}
	}
	r, err := d.decide(ctx, sha, pl)
	if err == nil {
		d.Log.Info("reply moved by an operator", "sha", short(sha), "campaign", pl.Campaign, "request", pl.Request)
	}
	return r, err
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

// FindRequest resolves a request as operator commands name it
// ("campaign/request", or a request id unique across the campaigns).
func (d *Daemon) FindRequest(name string) (*Campaign, *Request, error) { return d.findRequest(name) }
