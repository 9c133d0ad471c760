package worker

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
)

// Metrics are the daemon's Prometheus metrics, served on /metrics. A nil
// *Metrics records nothing, so code paths used by one-shot commands need
// not care.
type Metrics struct {
	Registry *prometheus.Registry

	Fetched    *prometheus.CounterVec // by mailbox
	Stored     *prometheus.CounterVec // by kind
	Duplicates prometheus.Counter
	Unmatched  prometheus.Counter
	Failed     *prometheus.CounterVec // by class: permanent, retries exhausted, worker crashed
	Retries    prometheus.Counter
	ParseTime  prometheus.Histogram
	ParseErrs  prometheus.Counter
	Reminders  *prometheus.CounterVec // by stage
	Reconnects *prometheus.CounterVec // by mailbox
}

// sinceStart ends the help of every counter: a counter counts what this
// process did, from 0 when it starts. What the store holds now is in the
// gauges (statemetrics.go).
const sinceStart = ", since this process started (counters reset on restart)."

// NewMetrics registers every metric on a new registry, with the Go and
// process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Fetched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "foiwatch_messages_fetched_total", Help: "Messages fetched from IMAP and queued" + sinceStart,
		}, []string{"mailbox"}),
		Stored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "foiwatch_replies_stored_total", Help: "Replies parsed and stored, by kind" + sinceStart,
		}, []string{"kind"}),
		Duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "foiwatch_messages_duplicate_total", Help: "Messages delivered again and recognised as already stored" + sinceStart,
		}),
		Unmatched: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "foiwatch_replies_unmatched_total", Help: "Replies that matched no request" + sinceStart + " Those waiting now: foiwatch_unmatched_waiting.",
		}),
		Failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "foiwatch_messages_failed_total", Help: "Messages moved to FAILED, by class: permanent (on the attempt that met the error), retries exhausted, worker crashed" + sinceStart + " In FAILED now: foiwatch_failed_messages.",
		}, []string{"class"}),
		Retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "foiwatch_messages_retried_total", Help: "Failed attempts put back to be tried again after a backoff" + sinceStart,
		}),
		ParseTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "foiwatch_parse_seconds", Help: "Time to parse one message" + sinceStart,
			Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 20, 60},
		}),
		ParseErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "foiwatch_parse_errors_total", Help: "Messages the parser could not read at all" + sinceStart,
		}),
		Reminders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "foiwatch_reminders_sent_total", Help: "Reminder emails sent, by stage" + sinceStart,
		}, []string{"stage"}),
		Reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "foiwatch_imap_reconnects_total", Help: "IMAP connections re-established after an error" + sinceStart,
		}, []string{"mailbox"}),
	}
	for _, c := range []string{queue.FailedPermanent, queue.FailedExhausted, queue.FailedCrashed} {
		m.Failed.WithLabelValues(c) // shown at 0 from the start
	}
	m.Registry.MustRegister(m.Fetched, m.Stored, m.Duplicates, m.Unmatched, m.Failed, m.Retries, m.ParseTime, m.ParseErrs, m.Reminders, m.Reconnects,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) parsed(d time.Duration, err error) {
	if m == nil {
		return
	}
	m.ParseTime.Observe(d.Seconds())
	if err != nil {
		m.ParseErrs.Inc()
	}
}

func (m *Metrics) stored(r *parser.Reply) {
	if m != nil {
		m.Stored.WithLabelValues(string(r.Kind)).Inc()
	}
}

func (m *Metrics) duplicate() {
	if m != nil {
		m.Duplicates.Inc()
	}
}

func (m *Metrics) unmatched() {
	if m != nil {
		m.Unmatched.Inc()
	}
}

func (m *Metrics) fetched(mailbox string) {
	if m != nil {
		m.Fetched.WithLabelValues(mailbox).Inc()
	}
}

func (m *Metrics) failed(class string) {
	if m != nil {
		if class == "" {
			class = queue.FailedPermanent
		}
		m.Failed.WithLabelValues(class).Inc()
	}
}

func (m *Metrics) retried() {
	if m != nil {
		m.Retries.Inc()
	}
}

func (m *Metrics) reminder(stage string) {
	if m != nil {
		m.Reminders.WithLabelValues(stage).Inc()
	}
}

func (m *Metrics) reconnect(mailbox string) {
	if m != nil {
		m.Reconnects.WithLabelValues(mailbox).Inc()
	}
}

// registerStoreGauges adds the gauges read from the store at each scrape:
// whether it is full or damaged, and how many messages wait for a retry.
func (d *Daemon) registerStoreGauges() {
	q := d.Q
	d.Metrics.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "foiwatch_store_full",
		Help: "1 while the store refuses writes for want of space (data_dir or the cluster's store full; see /readyz), else 0.",
	}, func() float64 {
		if q.Full() != nil {
			return 1
		}
		return 0
	}), prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "foiwatch_store_damaged",
		Help: "Damage found in the store when it was opened (run foiwatch check --repair); 0 when none.",
	}, func() float64 { return float64(len(q.Damage())) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "foiwatch_queue_retry_waiting",
			Help: "Envelopes delivered, not acknowledged and not in work in this process: waiting for a retry (with several processes, it also counts what the others have in work).",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, f, err := q.Pending(ctx)
			if err != nil {
				return -1
			}
			return float64(max(int64(f)-d.inWork.Load(), 0))
		}))
}
