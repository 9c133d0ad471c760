package worker

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/worker/deadline"
)

// The status page at / shows, per campaign: a summary (answered x of y,
// late, due soon, not yet sent), the requests (state, dates, where each
// stands against its deadline), the answers (a column per question headed
// by its number and text, values as a person reads them, caveats and links
// shown), a bar chart per count question, and every reply with the words
// each answer was read from and a link to its read-only view (replyview.go).
// Answers a person should check (foiwatch review) are marked, with the
// reason and the words beside them; answers set by hand (foiwatch answer)
// show the operator's value, marked "corrected", with who, when and why.
//
// Implementation notes:
//
//   - The page has no script (its Content-Security-Policy allows none) and
//     works at any width: at 400 px nothing overflows the page, the tables
//     scroll sideways inside their own box with the authority column kept
//     in view, and the charts are HTML that reflows.
//   - Words are never broken inside: headers break between words only
//     (a question key also after its underscores); only links may break
//     anywhere.

var statusTmpl = template.Must(template.New("status").Funcs(template.FuncMap{"wbr": wbrUnderscores}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>foiwatch status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:1.5em 2em;color:#222;line-height:1.35}
h1{margin:0 0 .3em}h2{margin:1.2em 0 .3em}h3{margin:1em 0 .4em;font-size:1.05em}
.scroll{overflow-x:auto;max-width:100%;margin-bottom:1em}
table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top;overflow-wrap:normal;word-break:normal;hyphens:manual}
th{background:#f4f4f4;font-weight:600}
table.answers{width:100%}
table.answers thead th{font-size:.8em;font-weight:normal;min-width:6em}
table.answers th:first-child,table.answers td:first-child{position:sticky;left:0;z-index:1;background:#fff;min-width:9em;max-width:16em;font-weight:600}
table.answers thead th:first-child{background:#f4f4f4;font-size:1em}
.qn{font-weight:bold}.qk{display:block;color:#666;font-family:ui-monospace,monospace;margin-top:.25em}
.note{font-size:.85em;color:#444;margin-top:.3em;border-left:3px solid #d9a400;padding-left:.4em}
.items{margin:0;padding-left:1.1em}
a{color:#0645ad}td a{overflow-wrap:anywhere}
tr.overdue td{background:#fff3f3}
.late{color:#b00;font-weight:bold}.muted{color:#666}.scan{color:#8a5a00;font-size:.85em}
.summary{display:flex;flex-wrap:wrap;gap:.3em 1.6em;list-style:none;padding:0;margin:.3em 0 .8em}
.summary b{font-size:1.25em}
.nowrap{white-space:nowrap}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,24em),1fr));gap:1.2em 2em;margin-bottom:1em}
figure{margin:0}figcaption{font-size:.9em;margin-bottom:.3em}
.bars{list-style:none;padding:0;margin:0}
.bars li{display:grid;grid-template-columns:minmax(4em,11em) 1fr 3.5em;gap:.5em;align-items:center;font-size:.85em;margin:.15em 0}
.bars .label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.track{background:#eef2f8;height:1em}.bar{display:block;background:#4a78b5;height:100%}
details{margin:.4em 0}summary{cursor:pointer}
details table{margin:.4em 0 1em}
td.check{background:#fff1dc}.mark{font-size:.8em;border-radius:3px;padding:0 .3em;white-space:nowrap}
.mark.check{background:#e8a33d;color:#fff}.mark.corrected{background:#3d7fc1;color:#fff}
.src{font-size:.8em;color:#555;max-width:26em;margin-top:.2em}
@media (max-width:40em){body{margin:1em .6em}table.answers th:first-child,table.answers td:first-child{min-width:6em;max-width:8em;font-size:.9em}}
</style></head><body>
<h1>foiwatch</h1>
<p class="intro">As of {{.Today}}. Parser version {{.ParserVersion}}. Unmatched replies waiting for an operator: {{.Unmatched}}{{if .Unmatched}} (<code>foiwatch unmatched list</code>){{end}}. Failed messages: {{.Failed}}{{if .Failed}} (<code>foiwatch failed list</code>){{end}}.</p>
{{if gt (len .Campaigns) 1}}<nav><ul>{{range .Campaigns}}<li><a href="#{{.ID}}">{{.Title}}</a></li>{{end}}</ul></nav>{{end}}
{{range .Campaigns}}<section id="{{.ID}}">
<h2>{{.Title}} <small class="muted">({{.ID}})</small></h2>
<ul class="summary" aria-label="summary">
<li><b>{{.Summary.Answered}}</b> of {{.Summary.Requests}} answered</li>
{{if .Summary.Refused}}<li><b>{{.Summary.Refused}}</b> refused</li>{{end}}
<li{{if .Summary.Late}} class="late"{{end}}><b>{{.Summary.Late}}</b> late</li>
<li><b>{{.Summary.DueSoon}}</b> due soon</li>
<li><b>{{.Summary.NotSent}}</b> not yet sent</li>
</ul>
<h3>Requests</h3>
<div class="scroll"><table class="requests"><thead><tr><th>Authority</th><th>State</th><th>Sent</th><th>Due</th><th>Deadline</th><th>Reference</th><th>Replies</th></tr></thead><tbody>
{{range .Rows}}<tr{{if .Row.Late}} class="overdue"{{end}}><td>{{.Row.Authority}}</td><td>{{.State}}{{if .Row.Stale}} <span class="muted" title="read by an older parser version: run foiwatch reprocess">(old parser)</span>{{end}}</td><td class="nowrap">{{.Row.SentDate}}</td><td class="nowrap">{{.Row.Due}}</td><td{{if .Row.Late}} class="late"{{end}}>{{.Row.Deadline}}</td><td>{{.Row.Reference}}</td><td>{{len .Replies}}</td></tr>
{{end}}</tbody></table></div>
{{if .Questions}}<h3>Answers</h3>
<p class="muted">From each authority's latest response. Hover over a value for the words it was read from; – means not answered{{if .Scanned}}; <span class="scan">(scan)</span> marks answers read from a scanned letter: check them against the letter{{end}}{{if .Checks}}; <span class="mark check">check</span> marks an answer a person should check (<code>foiwatch review</code>){{end}}{{if .Corrections}}; <span class="mark corrected">corrected</span> one set by hand (<code>foiwatch answer</code>){{end}}.</p>
<div class="scroll"><table class="answers"><thead><tr><th scope="col">Authority</th>{{range .Questions}}<th scope="col" title="{{.Key}} ({{.Type}})">{{if .Number}}<span class="qn">{{.Number}}.</span> {{end}}{{.Text}}<span class="qk">{{wbr .Key}}</span></th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr><td>{{.Row.Authority}}</td>{{range .Cells}}<td title="{{.Title}}"{{if .Check}} class="check"{{else if .Muted}} class="muted"{{end}}>{{template "segs" .Value}}{{if .Items}}<ul class="items">{{range .Items}}<li>{{template "segs" .}}</li>{{end}}</ul>{{end}}{{if .Extra}} <span class="muted">{{.Extra}}</span>{{end}}{{if .OCR}} <span class="scan">(scan)</span>{{end}}{{with .Corrected}} <span class="mark corrected" title="set by hand by {{.By}} on {{.At}}{{if .Note}}: {{.Note}}{{end}}">corrected</span>{{end}}{{if .Check}} <span class="mark check" title="{{.Why}}">check</span><div class="src">{{.Why}}{{if .Text}}<br>read from: “{{.Text}}”{{end}}</div>{{end}}{{if .Note}}<div class="note">Note: {{template "segs" .Note}}</div>{{end}}</td>{{end}}</tr>
{{end}}</tbody></table></div>{{end}}
{{if .Charts}}<h3>Counts</h3><div class="charts">{{range .Charts}}<figure><figcaption>{{if .Number}}<b>{{.Number}}.</b> {{end}}{{.Text}}</figcaption>
<ol class="bars" aria-label="{{.Key}} per authority">{{range .Bars}}<li title="{{.Title}}: {{.Value}}"><span class="label">{{.Label}}</span><span class="track"><span class="bar" style="width:{{.Percent}}%"></span></span><span class="value">{{.Value}}</span></li>
{{end}}</ol></figure>{{end}}</div>{{end}}
{{if .HasReplies}}<h3>Replies</h3>{{end}}
{{range .Rows}}{{if .Replies}}<details><summary>{{.Row.Authority}}: {{len .Replies}} repl{{if eq (len .Replies) 1}}y{{else}}ies{{end}}</summary>
{{range .Replies}}<p><b>{{.Date}}</b> {{.Kind}} (matched by {{.Match}}) {{.Subject}} <code class="muted" title="foiwatch show {{.ID}}">{{.ID}}</code> <a href="reply/{{.SHA}}">the reply as received</a>{{range .Warnings}}<br><span class="late">{{.}}</span>{{end}}</p>
{{if .Answers}}<div class="scroll"><table><thead><tr><th>Question</th><th>Status</th><th>Value</th><th>Read from</th><th>Note</th></tr></thead><tbody>
{{range .Answers}}<tr><td>{{.Key}}</td><td>{{.Status}}</td><td>{{.Value}}</td><td>{{.Text}}</td><td>{{.Note}}</td></tr>
{{end}}</tbody></table></div>{{end}}{{end}}</details>{{end}}{{end}}
</section>{{end}}
</body></html>
{{define "segs"}}{{range .}}{{if .Link}}<a href="{{.Link}}" rel="noopener noreferrer nofollow">{{.Text}}</a>{{else}}{{.Text}}{{end}}{{end}}{{end}}`))

// wbrUnderscores lets a question key break after its underscores, never
// inside a word.
func wbrUnderscores(key string) template.HTML {
	parts := strings.Split(key, "_")
	for i := range parts {
		parts[i] = template.HTMLEscapeString(parts[i])
	}
	return template.HTML(strings.Join(parts, "_<wbr>"))
}

// segment is a run of text, a link when Link is set.
type segment struct{ Text, Link string }

// urlRE finds web links in an answer's words.
var urlRE = regexp.MustCompile(`https?://[^\s<>"']+`)

// linkify splits s into text and links (http and https only), a link's
// trailing punctuation left out of it.
func linkify(s string) []segment {
	var out []segment
	for s != "" {
		loc := urlRE.FindStringIndex(s)
		if loc == nil {
			out = append(out, segment{Text: s})
			break
		}
		u := strings.TrimRight(s[loc[0]:loc[1]], ".,;:!?)]")
		if loc[0] > 0 {
			out = append(out, segment{Text: s[:loc[0]]})
		}
		if p, err := url.Parse(u); err == nil && p.Host != "" {
			out = append(out, segment{Text: u, Link: u})
		} else {
			out = append(out, segment{Text: u})
		}
		s = s[loc[0]+len(u):]
	}
	return out
}

type pageCell struct {
	Value []segment   // the value, as a person reads it
	Items [][]segment // a list's names, one per line
	Extra string      // shown muted after the value ("per year")
	Title string      // the tooltip: the words the value was read from
	Note  []segment   // the authority's caveat, shown
	Muted bool        // not answered
	OCR   bool
	// Check is an answer a person should look at (foiwatch review), for
	// the reason Why; Text is the words it was read from, shown beside it.
	Check     bool
	Why, Text string
	// Corrected is set when an operator set the answer by hand (foiwatch
	// answer): the value shown is theirs.
	Corrected *parser.Correction
}

type pageAnswer struct{ Key, Status, Value, Text, Note string }

type pageReply struct {
	ID, SHA, Date, Kind, Match, Subject string // ID: the start of SHA
	Warnings                            []string
	Answers                             []pageAnswer
}

type pageRow struct {
	Row     Row
	State   string // for people: "partially answered"
	Cells   []pageCell
	Replies []pageReply
}

type pageQuestion struct {
	Number          int
	Key, Type, Text string
}

type pageBar struct {
	Label, Title string
	Value        string // "1,204"
	Percent      string // of the widest bar
}

type pageChart struct {
	pageQuestion
	Bars []pageBar
}

type pageCampaign struct {
	ID, Title  string
	Summary    Summary
	Questions  []pageQuestion
	Rows       []pageRow
	Charts     []pageChart
	Scanned    bool // some answers were read from a scan
	HasReplies bool
	// Checks and Corrections: some answers are marked to check, or were
	// set by hand (the legend says what the marks mean).
	Checks, Corrections bool
}

type pageData struct {
	Today             string
	ParserVersion     int
	Unmatched, Failed int
	Campaigns         []pageCampaign
}

// commonWordPrefix is the words every name starts with ("Office of the
// Police and Crime Commissioner for "), so chart labels show what differs.
func commonWordPrefix(names []string) string {
	if len(names) < 2 {
		return ""
	}
	p := names[0]
	for _, n := range names[1:] {
		for !strings.HasPrefix(n, p) {
			p = p[:len(p)-1]
		}
	}
	if i := strings.LastIndexByte(p, ' '); i >= 0 {
		return p[:i+1]
	}
	return ""
}

// barChart has one bar per authority that gave a count for q.
func barChart(q pageQuestion, rows []Row) (pageChart, bool) {
	ch := pageChart{pageQuestion: q}
	type pt struct {
		name string
		v    int64
	}
	var pts []pt
	var names []string
	var max int64
	for _, r := range rows {
		a := r.Answers[q.Key]
		if v, ok := a.Value.(int64); ok && a.Status == parser.StatusAnswered {
			pts = append(pts, pt{r.Authority, v})
			names = append(names, r.Authority)
			max = maxInt64(max, v)
		}
	}
	if len(pts) == 0 {
		return ch, false
	}
	prefix := commonWordPrefix(names)
	for _, p := range pts {
		pct := 0.0
		if max > 0 && p.v > 0 {
			pct = float64(p.v) * 100 / float64(max)
		}
		ch.Bars = append(ch.Bars, pageBar{Label: strings.TrimPrefix(p.name, prefix), Title: p.name, Value: groupThousands(strconv.FormatInt(p.v, 10)),
			Percent: strconv.FormatFloat(pct, 'f', 1, 64)})
	}
	return ch, true
}

func maxInt64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// answerCell is an answer as the answers table shows it.
func answerCell(a parser.Answer, ocr bool) pageCell {
	c := pageCell{Title: a.Text, Note: linkify(a.Note), OCR: ocr && a.Status == parser.StatusAnswered,
		Check: a.Check, Why: a.Why, Text: a.Text, Corrected: a.Corrected}
	if a.Note == "" {
		c.Note = nil
	}
	switch {
	case a.Status == parser.StatusUnanswered || a.Status == "":
		c.Value, c.Muted = []segment{{Text: "–"}}, true
		if c.Title == "" {
			c.Title = "not answered"
		}
	case a.Status != parser.StatusAnswered:
		c.Value = []segment{{Text: StatusWords(a)}}
	default:
		switch v := a.Value.(type) {
		case parser.Money:
			c.Value = []segment{{Text: FormatAmount(v.Amount, v.Currency)}}
			if v.Period != "" {
				c.Extra = "per " + v.Period
			}
		case []string:
			for _, item := range v {
				c.Items = append(c.Items, linkify(item))
			}
		case nil:
			c.Value = linkify(a.Text)
			c.Title = "no figure could be read from: " + a.Text
		case int64:
			c.Value = []segment{{Text: groupThousands(strconv.FormatInt(v, 10))}}
		default:
			c.Value = linkify(AnswerWords(a))
		}
	}
	return c
}

// replyDate writes an RFC 3339 date as "2024-06-03 10:12" (London time).
func replyDate(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.In(deadline.London()).Format("2006-01-02 15:04")
}

func (d *Daemon) statusData(ctx context.Context, today deadline.Date) (pageData, error) {
	data := pageData{Today: today.String(), ParserVersion: parser.Version}
	if u, err := d.Store.Unmatched(ctx); err == nil {
		data.Unmatched = len(u)
	}
	if f, err := d.Q.Failed(ctx); err == nil {
		data.Failed = len(f)
	}
	for _, c := range d.Campaigns.List {
		rows, err := d.Rows(ctx, c.ID, today)
		if err != nil {
			return data, err
		}
		pc := pageCampaign{ID: c.ID, Title: c.Title}
		if s := Summarise(rows); len(s) == 1 {
			pc.Summary = s[0]
		}
		for _, q := range c.Questions {
			pq := pageQuestion{Number: q.Number, Key: q.Key, Type: string(q.Type), Text: q.Text}
			if pq.Text == "" {
				pq.Text = q.Key
			}
			pc.Questions = append(pc.Questions, pq)
			if q.Type == parser.TypeCount {
				if ch, ok := barChart(pq, rows); ok {
					pc.Charts = append(pc.Charts, ch)
				}
			}
		}
		for _, row := range rows {
			pr := pageRow{Row: row, State: StateWords(row.Status)}
			if row.OCR {
				pc.Scanned = true
			}
			for _, q := range c.Questions {
				cell := answerCell(row.Answers[q.Key], row.OCR)
				pc.Checks = pc.Checks || cell.Check
				pc.Corrections = pc.Corrections || cell.Corrected != nil
				pr.Cells = append(pr.Cells, cell)
			}
			for _, sha := range row.Replies {
				rep, err := d.Store.Reply(ctx, sha)
				if err != nil {
					continue
				}
				prp := pageReply{ID: short(sha), SHA: sha, Date: replyDate(rep.Date), Kind: KindWords(rep.Kind), Match: rep.Match, Subject: rep.Subject, Warnings: rep.Warnings}
				for _, q := range c.Questions {
					if a, ok := rep.Answers[q.Key]; ok {
						prp.Answers = append(prp.Answers, pageAnswer{Key: q.Key, Status: StatusWords(a), Value: AnswerWords(a), Text: a.Text, Note: a.Note})
					}
				}
				pr.Replies = append(pr.Replies, prp)
				pc.HasReplies = true
			}
			pc.Rows = append(pc.Rows, pr)
		}
		data.Campaigns = append(data.Campaigns, pc)
	}
	return data, nil
}

func (d *Daemon) statusPage(w http.ResponseWriter, r *http.Request) {
	data, err := d.statusData(r.Context(), deadline.DateOf(d.Now()))
	if err != nil {
		http.Error(w, "status: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'")
	if err := statusTmpl.Execute(w, data); err != nil {
		d.Log.Error("status page", "err", err)
	}
}
