package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/foiwatch/foiwatch/worker/deadline"
)

// ID names an event for foiwatch event --undo ID: 8 hex digits, the same
// for the same kind at the same time (which is recorded once).
func (e Event) ID() string {
	h := sha256.Sum256([]byte(e.Kind + "|" + e.At.UTC().Format(time.RFC3339Nano)))
	return hex.EncodeToString(h[:4])
}

// RefusedError is an operator's command refused because it looks like a
// mistake; the message says why and how to go ahead anyway.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

// RecordEvent records an operator's event on a request (see EventKinds).
// Unless force is set it refuses (a *RefusedError) an event of a kind the
// request already has (a second clarification_sent, recorded with the
// default time, once moved a due date by three months), an event that
// would move the due date back, and one more than a day in the future.
func (d *Daemon) RecordEvent(ctx context.Context, request, kind string, at time.Time, note string, force bool) (*RequestState, error) {
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
	if !force && at.After(d.Now().Add(24*time.Hour)) {
		return nil, &RefusedError{fmt.Sprintf("%s on %s is in the future: give --at the day it happened, or --force", kind, deadline.DateOf(at))}
	}
	var refused error
	s, err := d.Store.UpdateState(ctx, c.ID, r.ID, func(s *RequestState) bool {
		refused = nil
		for _, e := range s.Events {
			if e.Kind == ev.Kind && e.At.Equal(ev.At) {
				return false
			}
		}
		if !force {
			for _, e := range s.Events {
				if e.Kind == kind {
					refused = &RefusedError{fmt.Sprintf("%s/%s already has %s on %s (event %s): to record another, give --force; to remove that one, foiwatch event %s/%s %s --undo",
						c.ID, r.ID, kind, deadline.DateOf(e.At), e.ID(), c.ID, r.ID, e.ID())}
					return false
				}
			}
			if movesClock(kind) {
				sim := *s
				sim.Events = append(slices.Clone(s.Events), ev)
				sim.Derive(c, r)
				if sim.Due < s.Due {
					refused = &RefusedError{fmt.Sprintf("%s on %s would move the due date of %s/%s back, from %s to %s: check --at (the day it happened), or give --force",
						kind, deadline.DateOf(at), c.ID, r.ID, s.Due, sim.Due)}
					return false
				}
			}
		}
		s.Events = append(s.Events, ev)
		return true
	})
	if refused != nil {
		return nil, refused
	}
	if err == nil {
		d.Log.Info("event recorded by an operator", "campaign", c.ID, "request", r.ID, "event", kind, "id", ev.ID(), "at", ev.At)
	}
	return s, err
}

// RemoveEvent takes an event recorded by mistake off a request: which is
// an event's ID, or a kind (the latest event of that kind). It returns the
// state after and the event removed.
func (d *Daemon) RemoveEvent(ctx context.Context, request, which string) (*RequestState, Event, error) {
	c, r, err := d.findRequest(request)
	if err != nil {
		return nil, Event{}, err
	}
	var gone Event
	var missing error
	s, err := d.Store.UpdateState(ctx, c.ID, r.ID, func(s *RequestState) bool {
		missing = nil
		at := -1
		for i, e := range s.Events {
			if e.ID() == which || e.Kind == which && (at < 0 || !e.At.Before(s.Events[at].At)) {
				at = i
			}
		}
		if at < 0 {
			var have []string
			for _, e := range s.Events {
				have = append(have, fmt.Sprintf("%s %s on %s", e.ID(), e.Kind, deadline.DateOf(e.At)))
			}
			if len(have) == 0 {
				have = []string{"none"}
			}
			missing = fmt.Errorf("%s/%s has no event %q (its events: %s)", c.ID, r.ID, which, strings.Join(have, "; "))
			return false
		}
		gone = s.Events[at]
		s.Events = slices.Delete(s.Events, at, at+1)
		return true
	})
	if missing != nil {
		return nil, Event{}, missing
	}
	if err == nil {
		d.Log.Info("event removed by an operator", "campaign", c.ID, "request", r.ID, "event", gone.Kind, "id", gone.ID())
	}
	return s, gone, err
}
