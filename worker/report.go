package worker

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
	"github.com/foiwatch/foiwatch/worker/deadline"
)

// Row is one request as status and export show it.
type Row struct {
	Campaign  string                   `json:"campaign"`
	Request   string                   `json:"request"`
	Authority string                   `json:"authority"`
	SentAt    string                   `json:"sent_at"`
	Reference string                   `json:"reference"`
	Due       string                   `json:"due"`
	Status    string                   `json:"status"`
	RepliedAt string                   `json:"replied_at"`
	DaysLate  int                      `json:"days_late"`
	Answers   map[string]parser.Answer `json:"answers"`
	// Replies are the sha256 of every reply stored for the request.
	Replies []string `json:"replies"`
	// ParserVersion of the answers' reply; older than parser.Version until
	// `foiwatch reprocess` has run after an upgrade.
	ParserVersion int `json:"parser_version,omitempty"`
	// OCR is true when the answers were read from a scan: check them.
	OCR bool `json:"ocr,omitempty"`
}

// Stale reports whether the row's answers were read by an older parser
// version than this one (until `foiwatch reprocess` runs).
func (r Row) Stale() bool { return r.ParserVersion != 0 && r.ParserVersion < parser.Version }

// Rows returns a row per request of the campaign (every campaign when id
// is ""), in campaign-file order, as of day today.
func (d *Daemon) Rows(ctx context.Context, campaignID string, today deadline.Date) ([]Row, error) {
	var rows []Row
	found := false
	for _, c := range d.Campaigns.List {
		if campaignID != "" && c.ID != campaignID {
			continue
		}
		found = true
		for _, r := range c.Requests {
			s, _, err := d.Store.State(ctx, c.ID, r.ID)
			if err != nil {
				return nil, err
			}
			row := Row{Campaign: c.ID, Request: r.ID, Authority: r.Authority, SentAt: r.SentAt.Format("2006-01-02T15:04:05Z07:00"),
				Reference: s.Reference, Due: s.Due, Status: s.State, RepliedAt: s.RepliedAt, DaysLate: s.DaysLate(c, today),
				Answers: map[string]parser.Answer{}}
			// The answers come from the latest substantive reply.
			var best *parser.Reply
			for _, ref := range s.Replies {
				row.Replies = append(row.Replies, ref.SHA256)
				if ref.Kind != parser.KindResponse && ref.Kind != parser.KindInternalReview {
					continue
				}
				rep, err := d.Store.Reply(ctx, ref.SHA256)
				if errors.Is(err, queue.ErrNotFound) {
					return nil, fmt.Errorf("the store is damaged: request %s/%s lists reply %s, which is not in bucket %s (%s); run %s to rebuild it from the raw messages",
						c.ID, r.ID, short(ref.SHA256), queue.BucketReplies, d.Q.StreamDir("KV_"+queue.BucketReplies), d.checkCommand())
				}
				if err != nil {
					return nil, err
				}
				if best == nil || rep.Date >= best.Date {
					best = rep
				}
			}
			for _, q := range c.Questions {
				row.Answers[q.Key] = parser.Answer{Status: parser.StatusUnanswered}
			}
			if best != nil {
				for k, a := range best.Answers {
					row.Answers[k] = a
				}
				row.ParserVersion = best.ParserVersion
				for _, at := range best.Attachments {
					if at.OCR {
						row.OCR = true
					}
				}
			}
			rows = append(rows, row)
		}
	}
	if campaignID != "" && !found {
		return nil, fmt.Errorf("no campaign %q (known: %s)", campaignID, d.campaignIDs())
	}
	return rows, nil
}

func (d *Daemon) campaignIDs() string {
	var ids []string
	for _, c := range d.Campaigns.List {
		ids = append(ids, c.ID)
	}
	if len(ids) == 0 {
		return "none: add campaign files to the config's campaigns"
	}
	return strings.Join(ids, ", ")
}

// WriteStatus prints the status table.
func WriteStatus(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CAMPAIGN\tREQUEST\tAUTHORITY\tSENT\tDUE\tSTATUS\tDAYS LATE\tREFERENCE")
	stale := 0
	for _, r := range rows {
		status := r.Status
		if r.Stale() {
			status += "*"
			stale++
		}
		late := "-"
		if r.DaysLate > 0 {
			late = strconv.Itoa(r.DaysLate)
		}
		ref := r.Reference
		if ref == "" {
			ref = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Campaign, r.Request, r.Authority, r.SentAt[:10], r.Due, status, late, ref)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if stale > 0 {
		_, err := fmt.Fprintf(w, "\n* answers read by an older parser (version < %d): run foiwatch reprocess to read them again\n", parser.Version)
		return err
	}
	return nil
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// questionKeys is the union of the question keys of the rows' campaigns, in
// campaign order.
func (d *Daemon) questionKeys(rows []Row) []string {
	seen := map[string]bool{}
	var keys []string
	inRows := map[string]bool{}
	for _, r := range rows {
		inRows[r.Campaign] = true
	}
	for _, c := range d.Campaigns.List {
		if !inRows[c.ID] {
			continue
		}
		for _, q := range c.Questions {
			if !seen[q.Key] {
				seen[q.Key] = true
				keys = append(keys, q.Key)
			}
		}
	}
	return keys
}

// CSVHeader is the fixed part of the export's columns (spec/operations.md);
// one column per question key follows.
var CSVHeader = []string{"campaign", "request", "authority", "sent_at", "reference", "due", "status", "replied_at", "days_late"}

// WriteCSV writes one row per request: the fixed columns, then one column
// per question with the answer's value as a spreadsheet takes it (a number,
// an amount, names joined by "; "), or the status when not answered.
func (d *Daemon) WriteCSV(w io.Writer, rows []Row) error {
	keys := d.questionKeys(rows)
	cw := csv.NewWriter(w)
	cw.Write(append(append([]string{}, CSVHeader...), keys...))
	for _, r := range rows {
		rec := []string{r.Campaign, r.Request, r.Authority, r.SentAt, r.Reference, r.Due, r.Status, r.RepliedAt, strconv.Itoa(r.DaysLate)}
		for _, k := range keys {
			a, ok := r.Answers[k]
			if !ok {
				rec = append(rec, "")
				continue
			}
			rec = append(rec, CellValue(a))
		}
		for i := range rec {
			rec[i] = csvCell(rec[i])
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// csvCell keeps a spreadsheet from running a cell as a formula: text that
// starts with = + - @ (or a tab or CR), such as an answer copied from a
// hostile reply, gets a leading apostrophe (OWASP's advice on CSV
// injection). Numbers, negative ones included, are left as they are.
func csvCell(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return "'" + s
}

// CellValue is an answer as one spreadsheet cell.
func CellValue(a parser.Answer) string {
	if a.Status != parser.StatusAnswered {
		if a.Status == parser.StatusExempt && a.Exemption != "" {
			return "exempt " + a.Exemption
		}
		if a.Status == parser.StatusUnanswered {
			return ""
		}
		return string(a.Status)
	}
	switch v := a.Value.(type) {
	case nil:
		return a.Text
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case parser.Money:
		return strconv.FormatFloat(v.Amount, 'f', -1, 64)
	case []string:
		return strings.Join(v, "; ")
	case string:
		return v
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// WriteJSONL writes one object per request, answers as in spec/reply.md.
func WriteJSONL(w io.Writer, rows []Row) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// WriteReplies writes every stored Reply of the campaign ("" for all,
// unmatched included), one per line.
func (d *Daemon) WriteReplies(ctx context.Context, w io.Writer, campaignID string) error {
	reps, err := d.Store.Replies(ctx)
	if err != nil {
		return err
	}
	sort.SliceStable(reps, func(i, j int) bool { return reps[i].Date < reps[j].Date })
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range reps {
		if campaignID != "" && r.Campaign != campaignID {
			continue
		}
		if r.Answers == nil {
			r.Answers = map[string]parser.Answer{}
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}
