package worker

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/worker/deadline"
)

// ReviewItem is one answer a person should look at (foiwatch review).
type ReviewItem struct {
	Campaign  string              `json:"campaign"`
	Request   string              `json:"request"`
	Authority string              `json:"authority"`
	Key       string              `json:"key"`
	Question  string              `json:"question"`
	Type      parser.QuestionType `json:"type"`
	Answer    parser.Answer       `json:"answer"`
	// Reply is the sha256 of the reply the answer came from.
	Reply string `json:"reply"`
}

// Review lists every answer of the campaign (every campaign when id is
// "") flagged "check", by the parser (unsure where the answer is or what
// it says, or read from a scan) or because a newer reply came after it was
// set by hand, and neither accepted nor corrected since: by request, in
// campaign-file order, questions in campaign order.
func (d *Daemon) Review(ctx context.Context, campaignID string) ([]ReviewItem, error) {
	rows, err := d.Rows(ctx, campaignID, deadline.DateOf(d.Now()))
	if err != nil {
		return nil, err
	}
	var out []ReviewItem
	for _, row := range rows {
		c := d.Campaigns.Get(row.Campaign)
		for _, q := range c.Questions {
			a, ok := row.Answers[q.Key]
			if !ok || !a.Check {
				continue
			}
			out = append(out, ReviewItem{Campaign: row.Campaign, Request: row.Request, Authority: row.Authority,
				Key: q.Key, Question: q.Text, Type: q.Type, Answer: a, Reply: row.AnswersFrom})
		}
	}
	return out, nil
}

// WriteReview prints review items for a person, grouped by request: the
// value as read, why to check it, and the words it was read from.
func WriteReview(w io.Writer, items []ReviewItem) error {
	if len(items) == 0 {
		_, err := fmt.Fprintln(w, "nothing to check: every answer flagged has been accepted or corrected")
		return err
	}
	requests := 0
	for i, it := range items {
		if i == 0 || items[i-1].Campaign != it.Campaign || items[i-1].Request != it.Request {
			requests++
			if i > 0 {
				fmt.Fprintln(w)
			}
			from := ""
			if it.Reply != "" {
				from = "  (reply " + short(it.Reply) + ")"
			}
			fmt.Fprintf(w, "%s/%s  %s%s\n", it.Campaign, it.Request, it.Authority, from)
		}
		fmt.Fprintf(w, "  %s (%s): %s", it.Key, it.Type, DisplayValue(it.Answer))
		if it.Answer.Corrected != nil {
			fmt.Fprintf(w, "  [set by hand by %s]", it.Answer.Corrected.By)
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "      why:       %s\n", it.Answer.Why)
		text := strings.Join(strings.Fields(it.Answer.Text), " ")
		if text == "" {
			text = "(no words were found for this question)"
		} else {
			text = "“" + truncate(text, 400) + "”"
		}
		fmt.Fprintf(w, "      read from: %s\n", text)
	}
	_, err := fmt.Fprintf(w, "\n%d answer(s) to check in %d request(s).\n"+
		"Right as read:  foiwatch answer CAMPAIGN/REQUEST KEY accept [--note TEXT]\n"+
		"Wrong:          foiwatch answer CAMPAIGN/REQUEST KEY set VALUE [--note TEXT]\n"+
		"The letter:     foiwatch show REPLY (and foiwatch raw REPLY --attachment N)\n", len(items), requests)
	return err
}
