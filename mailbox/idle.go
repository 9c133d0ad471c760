package mailbox

import (
	"context"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// waitIdle idles until the server announces new messages, poll_interval
// passes (a safety net), or the connection or ctx ends. Every
// LivenessInterval it ends IDLE and starts it again: the server must answer
// DONE within CommandTimeout, which proves it alive (a frozen server or a
// silently dropped connection is otherwise never noticed while idling) and
// keeps IDLE shorter than the 29 minutes of RFC 2177.
func (p *Poller) waitIdle(ctx context.Context, s *session, folder string) error {
	poll := time.NewTimer(p.cfg.PollInterval.Duration)
	defer poll.Stop()
	for {
		idle := s.conn.busy()
		var cmd *imapclient.IdleCommand
		err := s.cmd(p, "IDLE", 0, func() (err error) {
			cmd, err = s.c.Idle() // returns once the server's "+ idling" came
			return err
		})
		idle()
		if err != nil {
			return p.errorf("IDLE on %s: %w", folder, err)
		}
		refresh := time.NewTimer(p.liveness)
		again, closed := false, false
		select {
		case <-ctx.Done():
		case <-s.events:
		case <-poll.C:
		case <-refresh.C:
			again = true
		case <-s.c.Closed():
			closed = true
		}
		refresh.Stop()
		idle = s.conn.busy()
		var cerr, werr error
		s.cmd(p, "DONE (end of IDLE)", 0, func() error {
			cerr = cmd.Close() // DONE
			werr = cmd.Wait()  // the server's OK
			return nil
		})
		idle()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case closed:
			return p.errorf("connection to %s closed while idling on %s", p.cfg.imapAddr(), folder)
		case cerr != nil:
			return p.errorf("end IDLE on %s: %w", folder, cerr)
		case werr != nil:
			return p.errorf("IDLE on %s: %w", folder, werr)
		}
		if !again {
			return nil
		}
	}
}

// waitPoll waits poll_interval, sending NOOP every LivenessInterval
// meanwhile, so that a server that stopped answering is noticed and the
// server does not drop the connection (RFC 3501 allows it after 30 minutes
// of inactivity).
func (p *Poller) waitPoll(ctx context.Context, s *session, folder string) error {
	timer := time.NewTimer(p.cfg.PollInterval.Duration)
	defer timer.Stop()
	keepAlive := time.NewTicker(p.liveness)
	defer keepAlive.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return nil
		case <-s.c.Closed():
			return p.errorf("connection to %s closed while waiting to poll %s", p.cfg.imapAddr(), folder)
		case <-keepAlive.C:
			idle := s.conn.busy()
			err := s.cmd(p, "NOOP", 0, func() error { return s.c.Noop().Wait() })
			idle()
			if err != nil {
				return p.errorf("NOOP on %s: %w", folder, err)
			}
		}
	}
}
