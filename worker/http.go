package worker

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/worker/deadline"
)

// HTTPHandler serves /metrics, /healthz, /readyz and the read-only status
// page at /.
func (d *Daemon) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.Metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", d.readyz)
	mux.HandleFunc("GET /{$}", d.statusPage)
	return mux
}

// Readiness is what /readyz reports.
type Readiness struct {
	Ready bool `json:"ready"`
	// Starting says what the daemon waits for before its store is open
	// (JetStream settling); absent once it runs.
	Starting string `json:"starting,omitempty"`
	NATS     bool   `json:"nats_connected"`
	// Store is "ok", or what is wrong with it: full (and where), damaged.
	Store     string            `json:"store,omitempty"`
	Mailboxes map[string]string `json:"mailboxes"` // name → "ok" or what is wrong
}

func (d *Daemon) readyz(w http.ResponseWriter, r *http.Request) {
	rd := Readiness{NATS: d.Q.Connected(), Mailboxes: map[string]string{}, Store: "ok"}
	rd.Ready = rd.NATS
	if err := d.Q.Broken(); err != nil {
		rd.Store, rd.Ready = err.Error(), false
	} else if err := d.Q.Full(); err != nil {
		rd.Store, rd.Ready = err.Error(), false
	} else if dm := d.Q.Damage(); len(dm) > 0 {
		rd.Store, rd.Ready = "damaged: "+dm[0].String()+" (run foiwatch check --repair)", false
	}
	for i, p := range d.pollers {
		st := p.Status()
		name := d.Cfg.Mailboxes[i].Name
		if !d.isPolling(name) {
			if why := d.leaseProblem(pollerLease(name)); why != "" {
				// Nobody can take the lease (the store is full, NATS is
				// down): not another process's job, and not polled.
				rd.Mailboxes[name] = "paused: the poller's lease cannot be taken: " + why
				rd.Ready = false
				continue
			}
			rd.Mailboxes[name] = "standby: another foiwatch process polls this mailbox"
			continue
		}
		limit := 3*d.Cfg.Mailboxes[i].PollInterval.Duration + time.Minute
		switch {
		case st.LastSuccess.IsZero():
			rd.Mailboxes[name] = "no successful poll yet: " + st.LastError
			rd.Ready = false
		case time.Since(st.LastSuccess) > limit:
			rd.Mailboxes[name] = "last successful poll " + time.Since(st.LastSuccess).Round(time.Second).String() + " ago: " + st.LastError
			rd.Ready = false
		case !st.Connected && st.LastError != "":
			// Down, still within the limit above: ready, but say why.
			rd.Mailboxes[name] = "reconnecting, last successful poll " + time.Since(st.LastSuccess).Round(time.Second).String() + " ago: " + st.LastError
		default:
			rd.Mailboxes[name] = "ok"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if !rd.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(rd)
}

var statusTmpl = template.Must(template.New("status").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>foiwatch status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin-bottom:1.5em}
.scroll{overflow-x:auto;max-width:100%}th{overflow-wrap:anywhere;min-width:4em}td:first-child{min-width:14em}
tr.overdue td{background:#fff3f3}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.late{color:#b00;font-weight:bold}.muted{color:#777}
.charts{display:flex;flex-wrap:wrap;gap:1.5em;margin-bottom:1.5em}
figure{margin:0}figcaption{font-size:.9em;margin-bottom:.3em}
details{margin:.4em 0}summary{cursor:pointer}
</style></head><body>
<h1>foiwatch</h1>
<p>As of {{.Today}}. Parser version {{.ParserVersion}}. Unmatched replies waiting for an operator: {{.Unmatched}}. Failed messages: {{.Failed}}.</p>
{{range .Campaigns}}<section id="{{.ID}}">
<h2>{{.Title}} <small class="muted">({{.ID}})</small></h2>
<div class="scroll"><table><thead><tr><th>Authority</th><th>State</th><th>Due</th><th>Days late</th><th>Reference</th>{{range .Keys}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr{{if and (gt .Row.DaysLate 0) (eq .Row.RepliedAt "")}} class="overdue"{{end}}><td>{{.Row.Authority}}</td><td>{{.State}}{{if .Row.Stale}} <span class="muted" title="read by an older parser version: run foiwatch reprocess">(old parser)</span>{{end}}</td><td style="white-space:nowrap">{{.Row.Due}}</td><td{{if gt .Row.DaysLate 0}} class="late"{{end}}>{{.Row.DaysLate}}</td><td>{{.Row.Reference}}</td>{{range .Cells}}<td title="{{.Text}}">{{.Value}}{{if .OCR}} <span class="muted">(scan)</span>{{end}}</td>{{end}}</tr>
{{end}}</tbody></table></div>
{{if .Charts}}<div class="charts">{{range .Charts}}<figure><figcaption>{{.Key}}</figcaption>
<svg role="img" aria-label="{{.Key}} per authority" width="{{.Width}}" height="{{.Height}}" xmlns="http://www.w3.org/2000/svg">
{{range .Bars}}<g><text x="0" y="{{.TextY}}" font-size="12">{{.Label}}</text><rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="14" fill="#4a78b5"><title>{{.Title}}: {{.Value}}</title></rect><text x="{{.ValueX}}" y="{{.TextY}}" font-size="12">{{.Value}}</text></g>
{{end}}</svg></figure>{{end}}</div>{{end}}
{{range .Rows}}{{if .Replies}}<details><summary>{{.Row.Authority}}: {{len .Replies}} repl{{if eq (len .Replies) 1}}y{{else}}ies{{end}}</summary>
{{range .Replies}}<p><b>{{.Date}}</b> {{.Kind}} (matched by {{.Match}}) {{.Subject}}{{range .Warnings}}<br><span class="late">{{.}}</span>{{end}}</p>
{{if .Answers}}<table><thead><tr><th>Question</th><th>Status</th><th>Value</th><th>Read from</th><th>Note</th></tr></thead><tbody>
{{range .Answers}}<tr><td>{{.Key}}</td><td>{{.Status}}</td><td>{{.Value}}</td><td>{{.Text}}</td><td>{{.Note}}</td></tr>
{{end}}</tbody></table>{{end}}{{end}}</details>{{end}}{{end}}
</section>{{end}}
</body></html>`))

type statusCell struct {
	Value, Text string
	OCR         bool
}
type statusAnswer struct{ Key, Status, Value, Text, Note string }
type statusReply struct {
	Date, Kind, Match, Subject string
	Warnings                   []string
	Answers                    []statusAnswer
}
type statusRow struct {
	Row     Row
	State   string // for people: "partially answered"
	Cells   []statusCell
	Replies []statusReply
}
type statusBar struct {
	Label, Title                  string
	Value                         int64
	X, Y, W, TextY, ValueX, Width int
}
type statusChart struct {
	Key           string
	Width, Height int
	Bars          []statusBar
}
type statusCampaign struct {
	ID, Title string
	Keys      []string
	Rows      []statusRow
	Charts    []statusChart
}

// tail keeps the end of a long name, where authorities' names differ
// ("…Crime Commissioner for Borsetshire").
func tail(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return "…" + strings.TrimLeft(string(r[len(r)-n+1:]), " ")
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

// barChart draws one bar per authority that gave a count for key.
func barChart(key string, rows []Row) (statusChart, bool) {
	const labelW, barMax, rowH = 220, 240, 20
	ch := statusChart{Key: key, Width: labelW + barMax + 60}
	var max int64
	type pt struct {
		label, title string
		v            int64
	}
	var names []string
	for _, r := range rows {
		names = append(names, r.Authority)
	}
	prefix := commonWordPrefix(names)
	var pts []pt
	for _, r := range rows {
		a := r.Answers[key]
		if v, ok := a.Value.(int64); ok && a.Status == parser.StatusAnswered {
			pts = append(pts, pt{tail(strings.TrimPrefix(r.Authority, prefix), 30), r.Authority, v})
			if v > max {
				max = v
			}
		}
	}
	if len(pts) == 0 {
		return ch, false
	}
	for i, p := range pts {
		w := 0
		if max > 0 {
			w = int(p.v * barMax / max)
		}
		y := i * rowH
		ch.Bars = append(ch.Bars, statusBar{Label: p.label, Title: p.title, Value: p.v, X: labelW, Y: y + 3, W: w, TextY: y + 14, ValueX: labelW + w + 4})
	}
	ch.Height = len(pts)*rowH + 4
	return ch, true
}

func (d *Daemon) statusPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	today := deadline.DateOf(d.Now())
	var data struct {
		Today             string
		ParserVersion     int
		Unmatched, Failed int
		Campaigns         []statusCampaign
	}
	data.Today = today.String()
	data.ParserVersion = parser.Version
	if u, err := d.Store.Unmatched(ctx); err == nil {
		data.Unmatched = len(u)
	}
	if f, err := d.Q.Failed(ctx); err == nil {
		data.Failed = len(f)
	}
	for _, c := range d.Campaigns.List {
		rows, err := d.Rows(ctx, c.ID, today)
		if err != nil {
			http.Error(w, "status: "+err.Error(), http.StatusInternalServerError)
			return
		}
		sc := statusCampaign{ID: c.ID, Title: c.Title}
		for _, q := range c.Questions {
			sc.Keys = append(sc.Keys, q.Key)
			if q.Type == parser.TypeCount {
				if ch, ok := barChart(q.Key, rows); ok {
					sc.Charts = append(sc.Charts, ch)
				}
			}
		}
		for _, row := range rows {
			sr := statusRow{Row: row, State: strings.ReplaceAll(row.Status, "_", " ")}
			for _, k := range sc.Keys {
				a := row.Answers[k]
				v := CellValue(a)
				if v == "" {
					v = "–"
				}
				sr.Cells = append(sr.Cells, statusCell{Value: v, Text: a.Text, OCR: row.OCR})
			}
			for _, sha := range row.Replies {
				rep, err := d.Store.Reply(ctx, sha)
				if err != nil {
					continue
				}
				srp := statusReply{Date: rep.Date, Kind: string(rep.Kind), Match: rep.Match, Subject: rep.Subject, Warnings: rep.Warnings}
				for _, q := range c.Questions {
					if a, ok := rep.Answers[q.Key]; ok {
						srp.Answers = append(srp.Answers, statusAnswer{Key: q.Key, Status: string(a.Status), Value: CellValue(a), Text: a.Text, Note: a.Note})
					}
				}
				sr.Replies = append(sr.Replies, srp)
			}
			sc.Rows = append(sc.Rows, sr)
		}
		data.Campaigns = append(data.Campaigns, sc)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'")
	if err := statusTmpl.Execute(w, data); err != nil {
		d.Log.Error("status page", "err", err)
	}
}
