package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
	"github.com/foiwatch/foiwatch/worker/deadline"
)

// london is the time zone FOI days are counted in.
var london = deadline.London()

// ReplyRef is what a request's state keeps of one reply.
type ReplyRef struct {
	SHA256    string      `json:"sha256"`
	MessageID string      `json:"message_id"`
	Kind      parser.Kind `json:"kind"`
	Date      time.Time   `json:"date"`
	Match     string      `json:"match"`
	Reference string      `json:"reference,omitempty"`
	StatedDue string      `json:"stated_due,omitempty"`
	// Outcome summarises a response's answers: answered,
	// partially_answered or not_held.
	Outcome string `json:"outcome,omitempty"`
	// Why says what matched it to the request, in words.
	Why string `json:"why,omitempty"`
}

// Event is something an operator recorded that happened outside the
// mailbox (a clarification sent, a review requested, a withdrawal).
type Event struct {
	Kind string    `json:"kind"`
	At   time.Time `json:"at"`
	Note string    `json:"note,omitempty"`
}

// RequestState is the stored state of one request, kept in the requests
// bucket under Key(campaign, request) and changed by compare-and-set only.
// State, Reference, Due and the dates are derived from Replies and Events
// by Derive, so applying a reply twice changes nothing.
type RequestState struct {
	Campaign string     `json:"campaign"`
	Request  string     `json:"request"`
	Replies  []ReplyRef `json:"replies"`
	Events   []Event    `json:"events,omitempty"`

	State     string    `json:"state"`
	Reference string    `json:"reference,omitempty"`
	StatedDue string    `json:"stated_due,omitempty"`
	ClockFrom string    `json:"clock_from"` // the day the clock counts from (day 0)
	Due       string    `json:"due"`
	RepliedAt string    `json:"replied_at,omitempty"` // the day of the substantive reply
	UpdatedAt time.Time `json:"updated_at"`
}

// Derive recomputes the derived fields of s from its replies and events,
// in date order, for the request r of campaign c.
//
// It is over 100 lines: the request's state machine over its replies and
// events in date order, every transition in one switch so that none is
// missed.
func (s *RequestState) Derive(c *Campaign, r *Request) {
	s.State = StateSent
	s.Reference = r.Reference
	s.StatedDue = ""
	s.RepliedAt = ""
	if r.SentAt.IsZero() {
		// Not sent (yet): no clock, no due date, whatever came in.
		s.State, s.ClockFrom, s.Due = StateNotSent, "", ""
		return
	}
	cal := c.Cal()
	from := deadline.Received(r.SentAt.Time)
	due := cal.Due(from, c.WorkingDays)

	type step struct {
		at    time.Time
		reply *ReplyRef
		event *Event
	}
	var steps []step
	for i := range s.Replies {
		steps = append(steps, step{at: s.Replies[i].Date, reply: &s.Replies[i]})
	}
	for i := range s.Events {
		steps = append(steps, step{at: s.Events[i].At, event: &s.Events[i]})
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].at.Before(steps[j].at) })

	final := func() bool { return finalState(s.State) }
	for _, st := range steps {
		if e := st.event; e != nil {
			day := deadline.DateOf(e.At)
			switch e.Kind {
			case EventClarificationSent:
				// s.1(3): the clock starts again from day 0 on the day the
				// clarification is received.
				from = day
				due = cal.Due(from, c.WorkingDays)
				s.State = StateAcknowledged
			case EventWithdrawn:
				s.State = StateWithdrawn
			case EventReviewRequested:
				s.State = StateReviewRequested
				due = cal.Due(day, 20)
			case EventResent:
				from = day
				due = cal.Due(from, c.WorkingDays)
				s.State = StateSent
			}
			continue
		}
		rp := st.reply
		if rp.Reference != "" && s.Reference == "" {
			s.Reference = rp.Reference
		}
		switch rp.Kind {
		case parser.KindAcknowledgement:
			if rp.StatedDue != "" {
				s.StatedDue = rp.StatedDue
			}
			if !final() && s.State != StateExtension {
				s.State = StateAcknowledged
			}
		case parser.KindClarification:
			if !final() {
				s.State = StateClarification
			}
		case parser.KindExtension:
			if !final() {
				s.State = StateExtension
				if d, err := deadline.ParseDate(rp.StatedDue); err == nil && rp.StatedDue != "" {
					s.StatedDue = rp.StatedDue
					due = d
				} else {
					due = cal.AddWorkingDays(due, 20)
				}
			}
		case parser.KindResponse:
			if s.State != StateReviewRequested && s.State != StateReviewAnswered && s.State != StateWithdrawn {
				s.State = rp.Outcome
				if s.State == "" {
					s.State = StateAnswered
				}
				if s.RepliedAt == "" {
					s.RepliedAt = deadline.DateOf(rp.Date).String()
				}
			}
		case parser.KindRefusal:
			if s.State != StateReviewRequested && s.State != StateReviewAnswered && s.State != StateWithdrawn {
				s.State = StateRefused
				if s.RepliedAt == "" {
					s.RepliedAt = deadline.DateOf(rp.Date).String()
				}
			}
		case parser.KindInternalReview:
			s.State = StateReviewAnswered
		case parser.KindBounce:
			if !final() {
				s.State = StateBounced
			}
		}
	}
	s.ClockFrom = from.String()
	s.Due = due.String()
}

// Outcome summarises a response's answers for the request state: not_held
// when the authority holds none of it; answered when every question got a
// substantive answer (a value, or "not held"); partially_answered when
// something was withheld (an exemption) or left unanswered.
func Outcome(r *parser.Reply) string {
	if r.Kind != parser.KindResponse {
		return ""
	}
	held, notHeld, missing := 0, 0, 0
	for _, a := range r.Answers {
		switch a.Status {
		case parser.StatusAnswered:
			held++
		case parser.StatusNotHeld:
			notHeld++
		default:
			missing++
		}
	}
	switch {
	case held == 0 && notHeld > 0 && missing == 0:
		return StateNotHeld
	case missing > 0 && held+notHeld > 0:
		return StatePartiallyAnswered
	}
	// Everything answered, or a response none of whose answers could be
	// read (the reply shows the letter for a person to read).
	return StateAnswered
}

// DaysLate is how many working days a request is (or was) late on day
// today: up to its reply when it has one.
func (s *RequestState) DaysLate(c *Campaign, today deadline.Date) int {
	due, err := deadline.ParseDate(s.Due)
	if err != nil {
		return 0
	}
	if s.RepliedAt != "" {
		if d, err := deadline.ParseDate(s.RepliedAt); err == nil {
			return c.Cal().WorkingDaysLate(due, d)
		}
	}
	switch s.State {
	case StateWithdrawn, StateClarification:
		return 0
	}
	return c.Cal().WorkingDaysLate(due, today)
}

// Store is the worker's view of the state in JetStream: requests, replies
// and the unmatched queue, each read and written as JSON.
type Store struct {
	q         *queue.Queue
	campaigns *Campaigns
}

// NewStore returns a Store over q for the given campaigns.
func NewStore(q *queue.Queue, cs *Campaigns) *Store { return &Store{q: q, campaigns: cs} }

// State returns the stored state of a request, or a fresh one derived from
// the campaign file when nothing is stored yet.
func (st *Store) State(ctx context.Context, campaign, request string) (*RequestState, uint64, error) {
	c := st.campaigns.Get(campaign)
	if c == nil {
		return nil, 0, fmt.Errorf("no campaign %q", campaign)
	}
	r := c.Request(request)
	if r == nil {
		return nil, 0, fmt.Errorf("campaign %s has no request %q", campaign, request)
	}
	b, rev, err := st.q.Requests.Get(ctx, Key(campaign, request))
	s := &RequestState{Campaign: campaign, Request: request}
	if errors.Is(err, queue.ErrNotFound) {
		s.Derive(c, r)
		return s, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, 0, &queue.DamagedError{What: queue.BucketRequests + "/" + Key(campaign, request), Why: "the request's state is not valid JSON: " + err.Error()}
	}
	s.Derive(c, r) // campaign file or calendar may have changed
	return s, rev, nil
}

// UpdateState applies fn to a request's state by compare-and-set, retrying
// when another worker changed it in between. fn may be called more than
// once and must only change s.
func (st *Store) UpdateState(ctx context.Context, campaign, request string, fn func(s *RequestState) (changed bool)) (*RequestState, error) {
	c := st.campaigns.Get(campaign)
	if c == nil {
		return nil, fmt.Errorf("no campaign %q", campaign)
	}
	r := c.Request(request)
	if r == nil {
		return nil, fmt.Errorf("campaign %s has no request %q", campaign, request)
	}
	for attempt := 0; attempt < 50; attempt++ {
		s, rev, err := st.State(ctx, campaign, request)
		if err != nil {
			return nil, err
		}
		if !fn(s) && rev != 0 {
			return s, nil
		}
		s.Derive(c, r)
		s.UpdatedAt = time.Now().UTC()
		b, _ := json.Marshal(s)
		key := Key(campaign, request)
		if rev == 0 {
			_, err = st.q.Requests.Create(ctx, key, b)
			if errors.Is(err, queue.ErrExists) {
				continue
			}
		} else {
			_, err = st.q.Requests.Update(ctx, key, b, rev)
			if errors.Is(err, queue.ErrConflict) {
				continue
			}
		}
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("state of %s/%s: too many concurrent updates, try again", campaign, request)
}

// AddReply records a reply in its request's state (idempotent); why says
// what matched it.
func (st *Store) AddReply(ctx context.Context, r *parser.Reply, date time.Time, why string) (*RequestState, error) {
	ref := ReplyRef{SHA256: r.SHA256, MessageID: r.MessageID, Kind: r.Kind, Date: date, Match: r.Match,
		Reference: r.Reference, StatedDue: r.StatedDue, Outcome: Outcome(r), Why: why}
	return st.UpdateState(ctx, r.Campaign, r.Request, func(s *RequestState) bool {
		for i, old := range s.Replies {
			if old.SHA256 == ref.SHA256 {
				if old == ref {
					return false
				}
				s.Replies[i] = ref
				return true
			}
		}
		s.Replies = append(s.Replies, ref)
		return true
	})
}

// RemoveReply takes a reply out of a request's state (re-assignment).
func (st *Store) RemoveReply(ctx context.Context, campaign, request, sha string) error {
	_, err := st.UpdateState(ctx, campaign, request, func(s *RequestState) bool {
		for i, old := range s.Replies {
			if old.SHA256 == sha {
				s.Replies = append(s.Replies[:i], s.Replies[i+1:]...)
				return true
			}
		}
		return false
	})
	return err
}

// Reply returns the stored reply of a raw message.
func (st *Store) Reply(ctx context.Context, sha string) (*parser.Reply, error) {
	b, _, err := st.q.Replies.Get(ctx, sha)
	if err != nil {
		return nil, err
	}
	var r parser.Reply
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, &queue.DamagedError{What: queue.BucketReplies + "/" + sha, Why: "the stored reply is not valid JSON: " + err.Error()}
	}
	return &r, nil
}

// PutReply stores a reply under its raw message's sha256.
func (st *Store) PutReply(ctx context.Context, r *parser.Reply) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode reply %s: %w", r.SHA256, err)
	}
	_, err = st.q.Replies.Put(ctx, r.SHA256, b)
	return err
}

// Replies returns every stored reply, oldest first.
func (st *Store) Replies(ctx context.Context) ([]*parser.Reply, error) {
	var out []*parser.Reply
	err := st.q.Replies.Each(ctx, func(key string, val []byte) error {
		var r parser.Reply
		if err := json.Unmarshal(val, &r); err != nil {
			return &queue.DamagedError{What: queue.BucketReplies + "/" + key, Why: "the stored reply is not valid JSON: " + err.Error()}
		}
		out = append(out, &r)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Date != out[j].Date {
			return out[i].Date < out[j].Date
		}
		return out[i].SHA256 < out[j].SHA256
	})
	return out, err
}

// UnmatchedEntry is a reply waiting for an operator in the unmatched bucket.
type UnmatchedEntry struct {
	SHA256    string      `json:"sha256"`
	From      string      `json:"from"`
	Subject   string      `json:"subject"`
	Date      string      `json:"date"`
	Kind      parser.Kind `json:"kind"`
	Reference string      `json:"reference,omitempty"`
	Since     time.Time   `json:"since"`
	// Candidates are the requests ("campaign/request") it could belong to,
	// none of which the evidence singles out; Why says why none was chosen.
	Candidates []string `json:"candidates,omitempty"`
	Why        string   `json:"why,omitempty"`
}

// Unmatched lists the replies waiting for an operator, oldest first.
func (st *Store) Unmatched(ctx context.Context) ([]UnmatchedEntry, error) {
	var out []UnmatchedEntry
	err := st.q.Unmatched.Each(ctx, func(key string, val []byte) error {
		var e UnmatchedEntry
		if err := json.Unmarshal(val, &e); err != nil {
			return &queue.DamagedError{What: queue.BucketUnmatched + "/" + key, Why: "the entry is not valid JSON: " + err.Error()}
		}
		out = append(out, e)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return out, err
}
