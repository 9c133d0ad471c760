package mailbox

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// PollerStatus is a summary for health checks.
type PollerStatus struct {
	// Connected is true while Run holds a logged-in connection for every
	// folder.
	Connected bool
	// LastSuccess is the oldest of the folders' latest complete syncs: zero
	// until every folder has been synced once.
	LastSuccess time.Time
	// LastError is the latest error of each folder that has not synced
	// successfully since, joined by "; ". Empty when all is well.
	LastError string
	// Notes are problems that do not stop the mail from coming in, in
	// sentences for an operator: an after-action that cannot be done or
	// waits for a retry, a server that reused UIDs (said for 24 h after it
	// was seen). Empty when there are none.
	Notes []string
}

func (p *Poller) setConnected(folder string, v bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state[folder].connected = v
}

func (p *Poller) recordSuccess(folder string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.state[folder]
	s.lastSuccess = time.Now()
	s.lastErr = ""
}

func (p *Poller) recordFailure(folder string, err error) {
	if err == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state[folder].lastErr = err.Error()
}

// Status summarises the folders' states for health checks.
func (p *Poller) Status() PollerStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := PollerStatus{Connected: true}
	var errs []string
	var oldest time.Time
	all := true
	for _, f := range p.cfg.Folders {
		s := p.state[f]
		if !s.connected {
			st.Connected = false
		}
		if s.lastErr != "" && !slices.Contains(errs, s.lastErr) {
			errs = append(errs, s.lastErr)
		}
		switch {
		case s.lastSuccess.IsZero():
			all = false
		case oldest.IsZero() || s.lastSuccess.Before(oldest):
			oldest = s.lastSuccess
		}
	}
	if all {
		st.LastSuccess = oldest
	}
	st.LastError = strings.Join(errs, "; ")
	st.Notes = p.notesLocked(time.Now())
	return st
}

// reuseNoteFor is how long a server's reuse of UIDs stays among the notes.
const reuseNoteFor = 24 * time.Hour

// notesLocked words the problems that do not stop ingestion. p.mu is held.
func (p *Poller) notesLocked(now time.Time) []string {
	var notes []string
	pending := 0
	for _, f := range p.cfg.Folders {
		pending += p.state[f].pending
	}
	if p.afterRefused != nil {
		notes = append(notes, fmt.Sprintf("%v; %d stored message(s) wait for it", p.afterRefused, pending))
	}
	for _, f := range p.cfg.Folders {
		s := p.state[f]
		if p.afterRefused == nil && s.pending > 0 {
			n := fmt.Sprintf("%s: %d stored message(s) wait for after = %q", f, s.pending, p.cfg.After)
			if s.pendingErr != "" {
				n += " (it failed: " + s.pendingErr + ")"
			}
			if !s.retryAt.IsZero() {
				n += "; tried again from " + s.retryAt.Format(time.TimeOnly)
			}
			notes = append(notes, n)
		}
		if s.reuseNote != "" && now.Sub(s.reuseAt) < reuseNoteFor {
			notes = append(notes, f+": "+s.reuseNote)
		}
	}
	return notes
}
