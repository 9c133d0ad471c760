package worker

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/foiwatch/foiwatch/parser"
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

	today string // the day the row was made for
	// ParserVersion of the answers' reply; older than parser.Version until
	// `foiwatch reprocess` has run after an upgrade.
	ParserVersion int `json:"parser_version,omitempty"`
	// OCR is true when the answers were read from a scan: check them.
	OCR bool `json:"ocr,omitempty"`

	// SentDate is the day the request was sent (Europe/London), YYYY-MM-DD,
	// as every other date of a row is written; "" when it was not sent.
	SentDate string `json:"sent_date"`
	// Waiting is true while the request waits for the authority: sent (or
	// acknowledged, extended, bounced, or under internal review) and not
	// answered, refused, withdrawn or stopped for a clarification. Only a
	// waiting request can be late today or due in some working days.
	Waiting bool `json:"waiting"`
	// DueIn is, for a waiting request that is not late, the working days
	// from today until it is due (0: due today); absent otherwise.
	DueIn *int `json:"due_in,omitempty"`
	// NotSent is true while the request is not sent: it has no sent_at
	// (foiwatch send has not sent it), or one after today.
	NotSent bool `json:"not_sent,omitempty"`
	// AnswersFrom is the sha256 of the reply the answers came from.
	AnswersFrom string `json:"answers_from,omitempty"`
}

// waitingStates are the states in which a request waits for the authority
// and its clock runs (see currentStage for the reminders).
var waitingStates = map[string]bool{
	StateSent: true, StateAcknowledged: true, StateExtension: true, StateBounced: true, StateReviewRequested: true,
}

// DueSoonDays is how many working days before its due date a waiting
// request counts as "due soon": the reminders' due_soon stage.
const DueSoonDays = 2

// Late reports whether the request is late today and still waiting.
func (r Row) Late() bool { return r.Waiting && r.DaysLate > 0 }

// DueSoon reports whether the request waits and is due within DueSoonDays
// working days (today included), not late yet.
func (r Row) DueSoon() bool { return r.DueIn != nil && *r.DueIn <= DueSoonDays }

// Deadline says where the request stands against its deadline, in the same
// words in the status table, on the status page and in the reminders: "8
// working days late", "due in 5 working days", "due today", "replied on
// time", "replied 2 working days late", "clock stopped: clarification
// asked", "withdrawn", "not sent yet".
func (r Row) Deadline() string {
	switch {
	case r.NotSent:
		return "not sent yet"
	case r.Status == StateWithdrawn:
		return "withdrawn"
	case r.Status == StateClarification:
		return "clock stopped: clarification asked"
	case r.Waiting && r.DaysLate > 0:
		return workingDays(r.DaysLate) + " late"
	case r.Waiting && r.DueIn != nil && *r.DueIn > 0:
		return "due in " + workingDays(*r.DueIn)
	case r.Waiting && r.DueIn != nil:
		if d, err := deadline.ParseDate(r.Due); err == nil && d.String() != r.today {
			return "due " + r.Due + ", late from the next working day"
		}
		return "due today"
	case r.RepliedAt != "" && r.DaysLate > 0:
		return "replied " + workingDays(r.DaysLate) + " late"
	case r.RepliedAt != "":
		return "replied on time"
	}
	return ""
}

func workingDays(n int) string {
	if n == 1 {
		return "1 working day"
	}
	return strconv.Itoa(n) + " working days"
}

// Stale reports whether the row's answers were read by an older parser
// version than this one (until `foiwatch reprocess` runs).
func (r Row) Stale() bool { return r.ParserVersion != 0 && r.ParserVersion < parser.Version }

// Rows returns a row per request of the campaign (every campaign when id
// is ""), in campaign-file order, as of day today.
func (d *Daemon) Rows(ctx context.Context, campaignID string, today deadline.Date) ([]Row, error) {
	var rows []Row
	found := false
	decs, err := d.Store.AnswerDecisions(ctx)
	if err != nil {
		return nil, err
	}
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
			row := Row{Campaign: c.ID, Request: r.ID, Authority: r.Authority,
				Reference: s.Reference, Due: s.Due, Status: s.State, RepliedAt: s.RepliedAt, DaysLate: s.DaysLate(c, today),
				Answers: map[string]parser.Answer{}, today: today.String()}
			if r.Sent() {
				row.SentAt = r.SentAt.Format("2006-01-02T15:04:05Z07:00")
				row.SentDate = deadline.DateOf(r.SentAt.Time).String()
			}
			if s.State == StateSent {
				// foiwatch send is at it, or lost the connection while the
				// server had the message: no reply says it arrived yet.
				switch r.SendState {
				case "sending":
					row.Status = "sending"
				case "uncertain":
					row.Status = "send_uncertain"
				}
			}
			row.NotSent = !r.Sent() || deadline.DateOf(r.SentAt.Time).After(today)
			row.Waiting = !row.NotSent && waitingStates[s.State]
			if due, err := deadline.ParseDate(s.Due); err == nil && row.Waiting && row.DaysLate == 0 {
				n := max(c.Cal().WorkingDaysBetween(today, due), 0)
				row.DueIn = &n
			}
			// The answers come from the latest substantive reply.
			for _, ref := range s.Replies {
				row.Replies = append(row.Replies, ref.SHA256)
			}
			best, err := d.bestReply(ctx, s)
			if err != nil {
				return nil, err
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
				row.AnswersFrom = best.SHA256
			}
			applyDecisions(c, &row, best, decs)
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

// WriteStatus prints the status table, then a line per campaign saying
// how many requests were answered, are late, due soon or not sent yet.
// DAYS LATE is the same number as the exports' days_late; DEADLINE says it
// in words, as the status page does.
func WriteStatus(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CAMPAIGN\tREQUEST\tAUTHORITY\tSENT\tDUE\tSTATUS\tDAYS LATE\tREFERENCE\tDEADLINE")
	stale := 0
	for _, r := range rows {
		status := r.Status
		if r.Stale() {
			status += "*"
			stale++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Campaign, r.Request, r.Authority, dash(r.SentDate), dash(r.Due), status, r.DaysLate, dash(r.Reference), r.Deadline())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rows) > 0 {
		fmt.Fprintln(w)
	}
	for _, s := range Summarise(rows) {
		fmt.Fprintf(w, "%s: %s\n", s.Campaign, s)
	}
	if err := writeNotSent(w, rows); err != nil {
		return err
	}
	if stale > 0 {
		_, err := fmt.Fprintf(w, "\n* answers read by an older parser (version < %d): run foiwatch reprocess to read them again\n", parser.Version)
		return err
	}
	return nil
}

// Summary counts a campaign's requests by where they stand.
type Summary struct {
	Campaign string
	Requests int
	// Answered have a substantive response (in full, in part, or "not
	// held"); Refused were refused as a whole.
	Answered, Refused int
	// Late wait for a response past their due date; DueSoon are due within
	// DueSoonDays working days; Waiting is every request still waiting,
	// those two included.
	Late, DueSoon, Waiting int
	// NotSent have a sent_at after today.
	NotSent int
}

// String is the summary in words: "answered 3 of 4, late 1, due soon 0,
// not yet sent 0".
func (s Summary) String() string {
	out := fmt.Sprintf("answered %d of %d", s.Answered, s.Requests)
	if s.Refused > 0 {
		out += fmt.Sprintf(", refused %d", s.Refused)
	}
	return out + fmt.Sprintf(", late %d, due soon %d, not yet sent %d", s.Late, s.DueSoon, s.NotSent)
}

// Summarise counts the rows of each campaign, in the order the campaigns
// first appear.
func Summarise(rows []Row) []Summary {
	var out []Summary
	at := map[string]int{}
	for _, r := range rows {
		i, ok := at[r.Campaign]
		if !ok {
			i = len(out)
			at[r.Campaign] = i
			out = append(out, Summary{Campaign: r.Campaign})
		}
		s := &out[i]
		s.Requests++
		switch {
		case r.Status == StateRefused:
			s.Refused++
		case r.RepliedAt != "":
			s.Answered++
		}
		if r.Waiting {
			s.Waiting++
		}
		if r.Late() {
			s.Late++
		}
		if r.DueSoon() {
			s.DueSoon++
		}
		if r.NotSent {
			s.NotSent++
		}
	}
	return out
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

// CSVHeader is the fixed first part of the export's columns (the
// contract scripts are written against); one column per question key
// follows, then CSVMoreHeader, then a status column per question key
// ("KEY.status"). Columns are only ever added at the end.
var CSVHeader = []string{"campaign", "request", "authority", "sent_at", "reference", "due", "status", "replied_at", "days_late"}

// CSVMoreHeader are the columns after the question columns: the working
// days until a waiting request is due (empty when it is late or not
// waiting), the time the request was sent (RFC 3339; sent_at is its day),
// and whether the answers were read from a scanned letter.
var CSVMoreHeader = []string{"due_in_working_days", "sent_time", "from_scan"}

// WriteCSV writes one row per request: the fixed columns, then one column
// per question with the answer's value as a spreadsheet takes it (a number,
// an amount, names joined by "; "; the status when not answered), then
// CSVMoreHeader, then one column per question with the answer's status
// (answered, not_held, exempt, unanswered), which tells an answer with no
// value from no answer, and last CSVCorrected. Dates are YYYY-MM-DD
// (deploy/REPLY.md lists every column).
func (d *Daemon) WriteCSV(w io.Writer, rows []Row) error {
	keys := d.questionKeys(rows)
	cw := csv.NewWriter(w)
	head := append(append([]string{}, CSVHeader...), keys...)
	head = append(head, CSVMoreHeader...)
	for _, k := range keys {
		head = append(head, k+".status")
	}
	head = append(head, CSVCorrected)
	cw.Write(head)
	for _, r := range rows {
		rec := []string{r.Campaign, r.Request, r.Authority, r.SentDate, r.Reference, r.Due, r.Status, r.RepliedAt, strconv.Itoa(r.DaysLate)}
		for _, k := range keys {
			a, ok := r.Answers[k]
			if !ok {
				rec = append(rec, "")
				continue
			}
			rec = append(rec, CellValue(a))
		}
		dueIn := ""
		if r.DueIn != nil {
			dueIn = strconv.Itoa(*r.DueIn)
		}
		rec = append(rec, dueIn, r.SentAt, strconv.FormatBool(r.OCR))
		for _, k := range keys {
			a, ok := r.Answers[k]
			if !ok {
				rec = append(rec, "") // a question of another campaign
				continue
			}
			rec = append(rec, string(a.Status))
		}
		rec = append(rec, strings.Join(correctedKeys(r, keys), "; "))
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

// WriteJSONL writes one object per request (Row), answers as a Reply has
// them (deploy/REPLY.md).
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
	// The answers operators set or accepted, on the reply each request's
	// answers come from.
	decided, err := d.decidedAnswers(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range reps {
		if campaignID != "" && r.Campaign != campaignID {
			continue
		}
		if r.Answers == nil {
			r.Answers = map[string]parser.Answer{}
		}
		if row, ok := decided[r.SHA256]; ok && row.Campaign == r.Campaign && row.Request == r.Request {
			r.Answers = row.Answers
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}
