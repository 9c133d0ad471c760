package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
)

// Operator decisions are kept in the decisions bucket, apart from parsed
// replies, each under a key of its own:
//
//	place.SHA256                     where a stored reply belongs (Placement)
//	answer.CAMPAIGN.REQUEST.KEY      an answer set or accepted by hand (AnswerDecision)
//	added.SHA256-OF-FILE             a file added by hand (foiwatch add), to refuse it twice
//
// Reprocessing and a parser upgrade re-derive replies, request states and
// the indexes; these keys are read on top and never written by the
// worker's own processing.

// Placement actions.
const (
	PlaceAssign  = "assign"  // foiwatch unmatched assign
	PlaceMove    = "move"    // foiwatch move ID REQUEST
	PlaceUnmatch = "unmatch" // foiwatch move ID none
	PlaceDismiss = "dismiss" // foiwatch unmatched dismiss
	PlaceAdd     = "add"     // foiwatch add
)

// Placement is an operator's decision on where a stored reply belongs.
type Placement struct {
	Action   string    `json:"action"`
	Campaign string    `json:"campaign,omitempty"`
	Request  string    `json:"request,omitempty"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Note     string    `json:"note,omitempty"`
	// Files are the files a reply added by hand was made from.
	Files []string `json:"files,omitempty"`
}

// Describe says the decision in words: "moved by alice on 2024-06-20".
func (p *Placement) Describe() string {
	verb := map[string]string{PlaceAssign: "assigned", PlaceMove: "moved", PlaceUnmatch: "put back among the unmatched",
		PlaceDismiss: "dismissed", PlaceAdd: "added by hand"}[p.Action]
	if verb == "" {
		verb = p.Action
	}
	s := fmt.Sprintf("%s by %s on %s", verb, p.By, p.At.In(london).Format("2006-01-02 15:04"))
	if p.Note != "" {
		s += ": " + p.Note
	}
	return s
}

// Answer actions.
const (
	AnswerSet    = "set"
	AnswerAccept = "accept"
)

// AnswerDecision is an operator's decision on one answer of a request.
type AnswerDecision struct {
	Action string `json:"action"` // set | accept
	// Answer is the operator's (set): status, value, exemption.
	Answer *parser.Answer `json:"answer,omitempty"`
	// Parsed is the answer as parsed when the decision was taken, and
	// Reply the reply it came from; an acceptance holds only while the
	// parser still gives the same status and value.
	Parsed *parser.Answer `json:"parsed,omitempty"`
	Reply  string         `json:"reply,omitempty"`
	By     string         `json:"by"`
	At     time.Time      `json:"at"`
	Note   string         `json:"note,omitempty"`
}

func placeKey(sha string) string { return "place." + sha }

func answerKey(campaign, request, key string) string {
	return "answer." + campaign + "." + request + "." + key
}

func addedKey(fileSHA string) string { return "added." + fileSHA }

// getDecision reads a decision into v; false when there is none.
func (st *Store) getDecision(ctx context.Context, key string, v any) (bool, error) {
	b, _, err := st.q.Decisions.Get(ctx, key)
	if errors.Is(err, queue.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("operator decision %s is not valid JSON: %w", key, err)
	}
	return true, nil
}

func (st *Store) putDecision(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode operator decision %s: %w", key, err)
	}
	_, err = st.q.Decisions.Put(ctx, key, b)
	return err
}

// Placement returns the operator's decision on where reply sha belongs,
// or nil.
func (st *Store) Placement(ctx context.Context, sha string) (*Placement, error) {
	var p Placement
	ok, err := st.getDecision(ctx, placeKey(sha), &p)
	if !ok || err != nil {
		return nil, err
	}
	return &p, nil
}

// AnswerDecisions returns every decision on answers, by
// "campaign.request.key".
func (st *Store) AnswerDecisions(ctx context.Context) (map[string]*AnswerDecision, error) {
	keys, err := st.q.Decisions.Keys(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]*AnswerDecision{}
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, "answer.")
		if !ok {
			continue
		}
		var a AnswerDecision
		found, err := st.getDecision(ctx, k, &a)
		if err != nil {
			return nil, err
		}
		if found {
			out[rest] = &a
		}
	}
	return out, nil
}

// Operator is who runs an operator command, for the record: $FOIWATCH_OPERATOR,
// else the login name, else "operator".
func Operator() string {
	if s := strings.TrimSpace(os.Getenv("FOIWATCH_OPERATOR")); s != "" {
		return s
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "operator"
}
