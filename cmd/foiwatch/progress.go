package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// syncProgress shows how far a first sync of a large mailbox has got: a bar
// redrawn in place on a terminal, a line every few seconds otherwise (logs,
// cron mail).
type syncProgress struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	last     time.Time
	drawn    bool
}

func newSyncProgress(w io.Writer) *syncProgress {
	p := &syncProgress{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

// update is a mailbox.PollerOptions.Progress.
func (p *syncProgress) update(mailbox, folder string, done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if total <= 0 {
		return
	}
	now := time.Now()
	if p.terminal {
		const width = 30
		n := done * width / total
		fmt.Fprintf(p.w, "\r%s/%s [%s%s] %d/%d", mailbox, folder, strings.Repeat("=", n), strings.Repeat(" ", width-n), done, total)
		p.drawn = true
		if done == total {
			fmt.Fprintln(p.w)
			p.drawn = false
		}
		return
	}
	if done == 0 || done == total || now.Sub(p.last) >= 5*time.Second {
		fmt.Fprintf(p.w, "fetching %s/%s: %d of %d\n", mailbox, folder, done, total)
		p.last = now
	}
}

// done ends a bar left unfinished (a sync that failed part way).
func (p *syncProgress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}
