package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
	"github.com/foiwatch/foiwatch/worker/deadline"
)

// Answers set or accepted by hand (foiwatch answer). A decision is kept
// per request and question, apart from the replies, and applied on top of
// the parsed answers wherever a request's answers are shown (Rows: the
// status page, status, review and every export); reprocessing and parser
// upgrades leave it alone.

// question returns campaign c's question key, or an error listing them.
func question(c *Campaign, key string) (parser.Question, error) {
	var keys []string
	for _, q := range c.Questions {
		if q.Key == key {
			return q, nil
		}
		keys = append(keys, q.Key)
	}
	return parser.Question{}, fmt.Errorf("campaign %s has no question %q (its questions: %s)", c.ID, key, strings.Join(keys, ", "))
}

// bestReply is the reply a request's answers come from: its latest
// response or internal review (nil when it has none).
func (d *Daemon) bestReply(ctx context.Context, s *RequestState) (*parser.Reply, error) {
	var best *parser.Reply
	for _, ref := range s.Replies {
		if ref.Kind != parser.KindResponse && ref.Kind != parser.KindInternalReview {
			continue
		}
		rep, err := d.Store.Reply(ctx, ref.SHA256)
		if errors.Is(err, queue.ErrNotFound) {
			return nil, fmt.Errorf("the store is damaged: request %s/%s lists reply %s, which is not in bucket %s (%s); run %s to rebuild it from the raw messages",
				s.Campaign, s.Request, short(ref.SHA256), queue.BucketReplies, d.Q.StreamDir("KV_"+queue.BucketReplies), d.checkCommand())
		}
		if err != nil {
			return nil, err
		}
		if best == nil || rep.Date >= best.Date {
			best = rep
		}
	}
	return best, nil
}

// parsedAnswer is request r's answer to key as parsed, and the reply it
// came from ("" when no reply with answers is stored).
func (d *Daemon) parsedAnswer(ctx context.Context, c *Campaign, r *Request, key string) (parser.Answer, string, error) {
	s, _, err := d.Store.State(ctx, c.ID, r.ID)
	if err != nil {
		return parser.Answer{}, "", err
	}
	best, err := d.bestReply(ctx, s)
	if err != nil || best == nil {
		return parser.Answer{Status: parser.StatusUnanswered}, "", err
	}
	a, ok := best.Answers[key]
	if !ok {
		a = parser.Answer{Status: parser.StatusUnanswered}
	}
	return a, best.SHA256, nil
}

// SetAnswer records value as request's answer to question key, read by
// the question's type (ReadValue), with note kept beside it. It returns
// the answer as exports now show it.
func (d *Daemon) SetAnswer(ctx context.Context, request, key, value, note string) (parser.Answer, error) {
	c, r, err := d.findRequest(request)
	if err != nil {
		return parser.Answer{}, err
	}
	q, err := question(c, key)
	if err != nil {
		return parser.Answer{}, err
	}
	a, err := ReadValue(q, value)
	if err != nil {
		return parser.Answer{}, fmt.Errorf("%s is a %s question: %w", key, q.Type, err)
	}
	parsed, from, err := d.parsedAnswer(ctx, c, r, key)
	if err != nil {
		return parser.Answer{}, err
	}
	dec := AnswerDecision{Action: AnswerSet, Answer: &a, Parsed: &parsed, Reply: from, By: Operator(), At: d.Now().UTC(), Note: note}
	if err := d.Store.putDecision(ctx, answerKey(c.ID, r.ID, key), dec); err != nil {
		return parser.Answer{}, err
	}
	d.Log.Info("answer set by an operator", "campaign", c.ID, "request", r.ID, "question", key, "by", dec.By)
	return d.shownAnswer(ctx, c, r, key)
}

// AcceptAnswer records that request's answer to key is right as parsed:
// it leaves the review list, for as long as the parser reads the same
// status and value.
func (d *Daemon) AcceptAnswer(ctx context.Context, request, key, note string) (parser.Answer, error) {
	c, r, err := d.findRequest(request)
	if err != nil {
		return parser.Answer{}, err
	}
	if _, err := question(c, key); err != nil {
		return parser.Answer{}, err
	}
	parsed, from, err := d.parsedAnswer(ctx, c, r, key)
	if err != nil {
		return parser.Answer{}, err
	}
	if from == "" {
		return parser.Answer{}, fmt.Errorf("nothing to accept: %s/%s has no reply with answers yet (set the answer with foiwatch answer %s/%s %s set VALUE)", c.ID, r.ID, c.ID, r.ID, key)
	}
	dec := AnswerDecision{Action: AnswerAccept, Parsed: &parsed, Reply: from, By: Operator(), At: d.Now().UTC(), Note: note}
	if err := d.Store.putDecision(ctx, answerKey(c.ID, r.ID, key), dec); err != nil {
		return parser.Answer{}, err
	}
	d.Log.Info("answer accepted by an operator", "campaign", c.ID, "request", r.ID, "question", key, "by", dec.By)
	return d.shownAnswer(ctx, c, r, key)
}

// ClearAnswer drops the operator's decision on request's answer to key:
// the parsed answer shows again (and is reviewed again if flagged). It
// returns the decision dropped, nil when there was none.
func (d *Daemon) ClearAnswer(ctx context.Context, request, key string) (*AnswerDecision, parser.Answer, error) {
	c, r, err := d.findRequest(request)
	if err != nil {
		return nil, parser.Answer{}, err
	}
	if _, err := question(c, key); err != nil {
		return nil, parser.Answer{}, err
	}
	var dec AnswerDecision
	found, err := d.Store.getDecision(ctx, answerKey(c.ID, r.ID, key), &dec)
	if err != nil {
		return nil, parser.Answer{}, err
	}
	if found {
		if err := d.Q.Decisions.Delete(ctx, answerKey(c.ID, r.ID, key)); err != nil {
			return nil, parser.Answer{}, err
		}
		d.Log.Info("operator's answer cleared", "campaign", c.ID, "request", r.ID, "question", key)
	}
	a, err := d.shownAnswer(ctx, c, r, key)
	if !found {
		return nil, a, err
	}
	return &dec, a, err
}

// shownAnswer is request r's answer to key as exports show it.
func (d *Daemon) shownAnswer(ctx context.Context, c *Campaign, r *Request, key string) (parser.Answer, error) {
	rows, err := d.Rows(ctx, c.ID, deadline.DateOf(d.Now()))
	if err != nil {
		return parser.Answer{}, err
	}
	for _, row := range rows {
		if row.Request == r.ID {
			return row.Answers[key], nil
		}
	}
	return parser.Answer{}, fmt.Errorf("no row for %s/%s", c.ID, r.ID)
}

// sameAnswer reports whether two answers say the same: status, value and
// exemption (the words they were read from may differ).
func sameAnswer(a, b parser.Answer) bool {
	if a.Status != b.Status || a.Exemption != b.Exemption {
		return false
	}
	va, _ := json.Marshal(a.Value)
	vb, _ := json.Marshal(b.Value)
	return string(va) == string(vb)
}

// applyDecisions puts the operators' decisions (by
// "campaign.request.key") on row, whose answers came from best (nil when
// none). A set answer gets the operator's status and value, keeps the
// words the parser read, and carries "corrected" with the answer as
// parsed; it is flagged again (check) when a newer reply came after it
// was set. An accepted answer loses its flag while the parser still reads
// it the same. When corrections change what the answers add up to, the
// row's status follows (partially_answered to answered, say).
func applyDecisions(c *Campaign, row *Row, best *parser.Reply, decs map[string]*AnswerDecision) {
	changed := false
	for _, q := range c.Questions {
		dec := decs[Key(c.ID, row.Request)+"."+q.Key]
		if dec == nil {
			continue
		}
		parsed := row.Answers[q.Key]
		switch dec.Action {
		case AnswerSet:
			if dec.Answer == nil {
				continue
			}
			a := *dec.Answer
			a.Text, a.Note = parsed.Text, parsed.Note
			a.Check, a.Why = false, ""
			p := parsed
			a.Corrected = &parser.Correction{By: dec.By, At: dec.At.UTC().Format(time.RFC3339), Note: dec.Note, Parsed: &p}
			if best != nil && dec.Reply != best.SHA256 {
				a.Check = true
				a.Why = fmt.Sprintf("set by hand on %s; a newer reply (%s) says %s: set it again, or clear it", deadline.DateOf(dec.At), short(best.SHA256), DisplayValue(parsed))
			}
			row.Answers[q.Key] = a
			changed = true
		case AnswerAccept:
			if dec.Parsed != nil && sameAnswer(parsed, *dec.Parsed) {
				parsed.Check, parsed.Why = false, ""
				row.Answers[q.Key] = parsed
			}
		}
	}
	if changed && best != nil && best.Kind == parser.KindResponse && row.Status == Outcome(best) {
		row.Status = Outcome(&parser.Reply{Kind: parser.KindResponse, Answers: row.Answers})
	}
}

// DisplayValue is an answer as a person reads it: "12", "£125,000 per
// year", "Police; Probation", "not held", "exempt s.40(2)", "no answer".
func DisplayValue(a parser.Answer) string {
	switch a.Status {
	case parser.StatusNotHeld:
		return "not held"
	case parser.StatusExempt:
		if a.Exemption != "" {
			return "exempt " + a.Exemption
		}
		return "exempt"
	case parser.StatusUnanswered:
		return "no answer"
	}
	switch v := a.Value.(type) {
	case nil:
		return "answered, no value read"
	case parser.Money:
		return FormatMoney(v)
	}
	return CellValue(a)
}

// CSVCorrected is the CSV export's last column: the keys of the answers an
// operator set by hand, separated by "; " (a CSV cell cannot be marked
// otherwise).
const CSVCorrected = "corrected_by_operator"

// correctedKeys are the keys (of keys) whose answers in r were set by hand.
func correctedKeys(r Row, keys []string) []string {
	var out []string
	for _, k := range keys {
		if a, ok := r.Answers[k]; ok && a.Corrected != nil {
			out = append(out, k)
		}
	}
	return out
}

// decidedAnswers returns the rows (by the sha256 of the reply their answers
// came from) of the requests with an operator's decision on an answer.
func (d *Daemon) decidedAnswers(ctx context.Context) (map[string]Row, error) {
	decs, err := d.Store.AnswerDecisions(ctx)
	if err != nil || len(decs) == 0 {
		return nil, err
	}
	rows, err := d.Rows(ctx, "", deadline.DateOf(d.Now()))
	if err != nil {
		return nil, err
	}
	out := map[string]Row{}
	for _, r := range rows {
		if r.AnswersFrom == "" {
			continue
		}
		for k := range r.Answers {
			if decs[Key(r.Campaign, r.Request)+"."+k] != nil {
				out[r.AnswersFrom] = r
				break
			}
		}
	}
	return out, nil
}
