package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/foiwatch/foiwatch/queue"
)

// RunDaemon opens foiwatch's state and runs the daemon until ctx ends
// (foiwatch run). The HTTP side starts first, so that while JetStream cannot
// serve yet (a cluster still electing its leader, a NATS server not up)
// /healthz answers and /readyz answers 503 saying what the daemon waits for;
// the queue retries meanwhile (queue.Options.OpenWait < 0: for as long as
// it takes), logging each attempt. It returns an error only for what
// waiting cannot cure: a configuration error, a stream with settings
// foiwatch must not change, the HTTP address taken.
func RunDaemon(ctx context.Context, cfg Config, opts *Options) error {
	var o Options
	if opts != nil {
		o = *opts
	}
	o.Daemon = true
	cfg, cs, o, err := prepare(cfg, &o)
	if err != nil {
		return err
	}
	hs, err := listenHTTP(cfg.HTTP.ListenAddr(), o.Logger)
	if err != nil {
		return err
	}
	st := &starting{}
	if hs != nil {
		hs.set(hostCheck(cfg.HTTP.Public, st.handler()))
		hs.start()
	}
	q, err := queue.Open(ctx, cfg.NATS, &queue.Options{Logger: o.Logger, Owner: true, NoListen: o.NoListen, OpenWait: -1, OnWaiting: st.set})
	if err != nil {
		if hs != nil {
			hs.close()
		}
		return err
	}
	d := newDaemon(cfg, cs, q, o)
	defer d.Close()
	if err := d.initCampaigns(ctx, cs); err != nil {
		if hs != nil {
			hs.close()
		}
		return err
	}
	d.http = hs
	if o.Reload != nil {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-o.Reload:
					d.Log.Info("SIGHUP: reloading the campaigns")
					d.Reload(ctx) // logs what it loaded, or why it kept the old set
				}
			}
		}()
	}
	return d.Run(ctx)
}

// starting is what /readyz says before the store is open.
type starting struct {
	mu    sync.Mutex
	what  string
	err   string
	retry time.Time
	since time.Time
}

func (s *starting) set(what string, err error, retryIn time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.since.IsZero() {
		s.since = time.Now()
	}
	s.what, s.err = what, ""
	if err != nil {
		s.err = err.Error()
		s.retry = time.Now().Add(retryIn)
	}
}

func (s *starting) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		msg := "opening the store"
		if s.what != "" {
			msg = "waiting for " + s.what
			if s.err != "" {
				msg += ": " + s.err
				if wait := time.Until(s.retry); wait > 0 {
					msg += fmt.Sprintf(" (next try in %s)", wait.Round(100*time.Millisecond))
				} else {
					msg += " (trying again now)"
				}
			}
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(Readiness{Ready: false, Starting: msg, Mailboxes: map[string]string{}})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "foiwatch is starting: its store is not open yet (see /readyz)", http.StatusServiceUnavailable)
	})
	return mux
}

// httpSide is the daemon's HTTP listener, with a handler that changes
// from the starting one to the daemon's once the store is open.
type httpSide struct {
	ln      net.Listener
	srv     *http.Server
	h       atomic.Pointer[http.Handler]
	done    chan error
	started bool
}

// listenHTTP listens on addr (nil, nil when addr is "": no HTTP side).
func listenHTTP(addr string, log *slog.Logger) (*httpSide, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http: listen on %s: %w (is another foiwatch running? set [http] listen)", addr, err)
	}
	hs := &httpSide{ln: ln, done: make(chan error, 1)}
	hs.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := hs.h.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}), ReadHeaderTimeout: 10 * time.Second}
	log.Info("http listening", "addr", ln.Addr().String())
	return hs, nil
}

func (hs *httpSide) set(h http.Handler) { hs.h.Store(&h) }

func (hs *httpSide) close() {
	sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
	defer c()
	hs.srv.Shutdown(sctx)
}

// start serves on the listener in the background.
func (hs *httpSide) start() {
	hs.started = true
	go func() {
		if err := hs.srv.Serve(hs.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			hs.done <- err
		}
	}()
}

// serve switches to h and serves until ctx ends; a failure of the server
// ends the daemon (errc, cancel).
func (hs *httpSide) serve(ctx context.Context, h http.Handler, wg *sync.WaitGroup, errc chan error, cancel func()) {
	hs.set(h)
	if !hs.started {
		hs.start()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case err := <-hs.done:
			select {
			case errc <- fmt.Errorf("http: %w", err):
			default:
			}
			cancel()
		case <-ctx.Done():
		}
	}()
	go func() {
		<-ctx.Done()
		hs.close()
	}()
}

// watchStore ends the daemon when its embedded store stopped taking writes
// until it restarts (queue.Queue.Broken): exiting is how it restarts, under
// systemd's Restart=on-failure; the new start waits for room if there is
// none yet.
func (d *Daemon) watchStore(ctx context.Context, errc chan error, cancel func()) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := d.Q.Broken(); err != nil {
			d.Log.Error("the store must be restarted; exiting so that the service manager starts foiwatch again", "err", err)
			select {
			case errc <- fmt.Errorf("%w; exiting so that the service manager starts foiwatch again (it goes on once there is room)", err):
			default:
			}
			cancel()
			return
		}
	}
}
