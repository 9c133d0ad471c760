package worker

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HTTPHandler serves /metrics, /healthz, /readyz and the read-only status
// page at / (statuspage.go).
func (d *Daemon) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.Metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", d.readyz)
	mux.HandleFunc("GET /{$}", d.statusPage)
	d.handleReplyView(mux)
	return d.hostCheck(d.lockedHandler(mux))
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
	// OAuth2 is, per mailbox with auth = "oauth2", "ok" or what is wrong
	// (a refresh token refused names the foiwatch login command to run).
	OAuth2 map[string]string `json:"oauth2,omitempty"`
	// Campaigns are the campaigns in use, and why the last reload (SIGHUP)
	// was refused, if it was.
	Campaigns CampaignsStatus `json:"campaigns"`

	// Notes are what to fix that leaves the daemon ready (see readyNotes).
	Notes []string `json:"notes,omitempty"`
}

func (d *Daemon) readyz(w http.ResponseWriter, r *http.Request) {
	rd := Readiness{NATS: d.Q.Connected(), Mailboxes: map[string]string{}, Store: "ok", OAuth2: d.signInStatus(), Campaigns: d.reload.status}
	rd.Ready = rd.NATS
	if err := d.Q.Broken(); err != nil {
		rd.Store, rd.Ready = err.Error(), false
	} else if err := d.Q.Full(); err != nil {
		rd.Store, rd.Ready = err.Error(), false
	} else if dm := d.Q.Damage(); len(dm) > 0 {
		rd.Store, rd.Ready = "damaged: "+dm[0].String()+" (run foiwatch check --repair)", false
	}
	for _, s := range rd.OAuth2 {
		if s != "ok" {
			rd.Ready = false
		}
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
	rd.Notes = d.readyNotes()
	w.Header().Set("Content-Type", "application/json")
	if !rd.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(rd)
}
