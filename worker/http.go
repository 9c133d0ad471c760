package worker

import (
	"encoding/json"
	"html/template"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

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
	Ready     bool              `json:"ready"`
	NATS      bool              `json:"nats_connected"`
	Mailboxes map[string]string `json:"mailboxes"` // name → "ok" or what is wrong
}

func (d *Daemon) readyz(w http.ResponseWriter, r *http.Request) {
	rd := Readiness{NATS: d.Q.Connected(), Mailboxes: map[string]string{}}
	rd.Ready = rd.NATS
	for i, p := range d.pollers {
		st := p.Status()
		name := d.Cfg.Mailboxes[i].Name
		limit := 3*d.Cfg.Mailboxes[i].PollInterval.Duration + time.Minute
		switch {
		case st.LastSuccess.IsZero():
			rd.Mailboxes[name] = "no successful poll yet: " + st.LastError
			rd.Ready = false
		case time.Since(st.LastSuccess) > limit:
			rd.Mailboxes[name] = "last successful poll " + time.Since(st.LastSuccess).Round(time.Second).String() + " ago: " + st.LastError
			rd.Ready = false
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
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#f4f4f4}.late{color:#b00;font-weight:bold}</style>
</head><body><h1>foiwatch</h1><p>As of {{.Today}}.</p>
{{range .Campaigns}}<h2>{{.Title}} <small>({{.ID}})</small></h2>
<table><thead><tr><th>Authority</th><th>State</th><th>Due</th><th>Days late</th><th>Reference</th>{{range .Keys}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr><td>{{.Row.Authority}}</td><td>{{.Row.Status}}</td><td>{{.Row.Due}}</td><td{{if gt .Row.DaysLate 0}} class="late"{{end}}>{{.Row.DaysLate}}</td><td>{{.Row.Reference}}</td>{{range .Cells}}<td title="{{.Text}}">{{.Value}}</td>{{end}}</tr>
{{end}}</tbody></table>{{end}}
</body></html>`))

type statusCell struct{ Value, Text string }
type statusRow struct {
	Row   Row
	Cells []statusCell
}
type statusCampaign struct {
	ID, Title string
	Keys      []string
	Rows      []statusRow
}

func (d *Daemon) statusPage(w http.ResponseWriter, r *http.Request) {
	today := deadline.DateOf(d.Now())
	var data struct {
		Today     string
		Campaigns []statusCampaign
	}
	data.Today = today.String()
	for _, c := range d.Campaigns.List {
		rows, err := d.Rows(r.Context(), c.ID, today)
		if err != nil {
			http.Error(w, "status: "+err.Error(), http.StatusInternalServerError)
			return
		}
		sc := statusCampaign{ID: c.ID, Title: c.Title}
		for _, q := range c.Questions {
			sc.Keys = append(sc.Keys, q.Key)
		}
		for _, row := range rows {
			sr := statusRow{Row: row}
			for _, k := range sc.Keys {
				a := row.Answers[k]
				v := CellValue(a)
				if v == "" {
					v = "–"
				}
				sr.Cells = append(sr.Cells, statusCell{Value: v, Text: a.Text})
			}
			sc.Rows = append(sc.Rows, sr)
		}
		data.Campaigns = append(data.Campaigns, sc)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	statusTmpl.Execute(w, data)
}
