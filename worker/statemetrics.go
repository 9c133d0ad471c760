package worker

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/worker/deadline"
)

// stateCollector gives the gauges operators alert on, read from the store
// at each scrape (so they are right after a restart, unlike the counters):
// replies waiting for an operator, messages in FAILED, requests overdue,
// how long ago each mailbox this process polls was last polled
// successfully, and which build runs.
type stateCollector struct {
	d       *Daemon
	started time.Time

	unmatched, failed, overdue, lastPoll, build *prometheus.Desc
}

func newStateCollector(d *Daemon) *stateCollector {
	return &stateCollector{
		d: d, started: time.Now(),
		unmatched: prometheus.NewDesc("foiwatch_unmatched_waiting",
			"Replies that matched no request and wait for an operator now (foiwatch unmatched list).", nil, nil),
		failed: prometheus.NewDesc("foiwatch_failed_messages",
			"Messages in FAILED now, waiting for an operator (foiwatch failed list).", nil, nil),
		overdue: prometheus.NewDesc("foiwatch_requests_overdue",
			"Requests past their due date with no response yet, by campaign.", []string{"campaign"}, nil),
		lastPoll: prometheus.NewDesc("foiwatch_mailbox_seconds_since_last_poll",
			"Seconds since the last successful poll of each mailbox this process polls (since the process started, when none yet); absent for a mailbox another process polls.",
			[]string{"mailbox"}, nil),
		build: prometheus.NewDesc("foiwatch_build_info",
			"Always 1: the labels say which foiwatch runs.", []string{"version", "commit", "parser_version", "go_version"}, nil),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.unmatched, c.failed, c.overdue, c.lastPoll, c.build} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	b := BuildInfo()
	ch <- prometheus.MustNewConstMetric(c.build, prometheus.GaugeValue, 1, b.Version, b.ShortCommit(), strconv.Itoa(parser.Version), b.GoVersion)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := c.d
	if keys, err := d.Q.Unmatched.Keys(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(c.unmatched, prometheus.GaugeValue, float64(len(keys)))
	} else {
		ch <- prometheus.NewInvalidMetric(c.unmatched, err)
	}
	if n, err := d.Q.FailedCount(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.GaugeValue, float64(n))
	} else {
		ch <- prometheus.NewInvalidMetric(c.failed, err)
	}
	today := deadline.DateOf(d.Now())
	for _, camp := range d.Campaigns.List {
		n, err := d.overdue(ctx, camp, today)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(c.overdue, err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.overdue, prometheus.GaugeValue, float64(n), camp.ID)
	}
	for i, p := range d.pollers {
		name := d.Cfg.Mailboxes[i].Name
		if !d.isPolling(name) {
			continue
		}
		since := p.Status().LastSuccess
		if since.IsZero() {
			since = c.started
		}
		ch <- prometheus.MustNewConstMetric(c.lastPoll, prometheus.GaugeValue, time.Since(since).Seconds(), name)
	}
}

// overdue counts the requests of c that are late on day today, as Row.Late
// says, from their states alone (a scrape reads no reply).
func (d *Daemon) overdue(ctx context.Context, c *Campaign, today deadline.Date) (int, error) {
	n := 0
	for _, r := range c.Requests {
		s, _, err := d.Store.State(ctx, c.ID, r.ID)
		if err != nil {
			return 0, err
		}
		sent := deadline.DateOf(r.SentAt.Time)
		if !r.SentAt.IsZero() && !sent.After(today) && waitingStates[s.State] && s.DaysLate(c, today) > 0 {
			n++
		}
	}
	return n, nil
}
