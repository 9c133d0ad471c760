package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/foiwatch/foiwatch/worker"
)

// syncProgress shows how far a sync pass has got, fetching and then
// processing, as one line: a bar redrawn in place on a terminal, a line
// every few seconds otherwise (logs, cron mail). The bar is the messages
// processed of those to process (fetching is quick, parsing is most of a
// pass); the line says what fetching has done, the rate and the time left.
type syncProgress struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	now      func() time.Time
	last     time.Time // of the last line or redraw
	lastLen  int       // of the last line drawn, to blank what is left of it
	drawn    bool
	lastP    worker.SyncProgress // the latest state
	shown    worker.SyncProgress // the state last written
}

func newSyncProgress(w io.Writer) *syncProgress {
	p := &syncProgress{w: w, now: time.Now}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

// Nothing is shown in a pass's first quiet (on a terminal) or every (else):
// a quick pass, as cron runs it every few minutes, prints only its summary.
// Then the line is written every every, or redrawn at most every redraw.
const (
	quiet  = time.Second
	every  = 5 * time.Second
	redraw = 100 * time.Millisecond
)

// update is a worker.Options.SyncProgress.
func (p *syncProgress) update(sp worker.SyncProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastP = sp
	now := p.now()
	if p.terminal {
		if now.Sub(sp.Started) < quiet || (p.drawn && now.Sub(p.last) < redraw) {
			return
		}
		p.draw(sp, now)
		return
	}
	if now.Sub(sp.Started) >= every && now.Sub(p.last) >= every {
		fmt.Fprintf(p.w, "sync: %s\n", describe(sp, now))
		p.last, p.shown = now, sp
	}
}

func (p *syncProgress) draw(sp worker.SyncProgress, now time.Time) {
	const width = 24
	n := 0
	if sp.ToProcess > 0 {
		n = min(sp.Processed*width/sp.ToProcess, width)
	}
	line := fmt.Sprintf("[%s%s] %s", strings.Repeat("=", n), strings.Repeat(" ", width-n), describe(sp, now))
	pad := max(p.lastLen-len(line), 0)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
	p.lastLen = len(line)
	p.last = now
	p.drawn = true
}

// describe is the pass in words: "fetched 3000 of 3000, processed 1200 of
// 3000, 45 messages/s, about 40s left".
func describe(sp worker.SyncProgress, now time.Time) string {
	var parts []string
	switch {
	case sp.Fetching && sp.ToFetch > 0:
		parts = append(parts, fmt.Sprintf("fetching %d of %d", sp.Fetched, sp.ToFetch))
	case sp.Fetching:
		parts = append(parts, "fetching")
	default:
		parts = append(parts, fmt.Sprintf("fetched %d", sp.Fetched))
	}
	parts = append(parts, fmt.Sprintf("processed %d of %d", sp.Processed, sp.ToProcess))
	switch {
	case !sp.ProcessingSince.IsZero() && now.Sub(sp.ProcessingSince) > 0 && sp.Processed > 0:
		el := now.Sub(sp.ProcessingSince).Seconds()
		rate := float64(sp.Processed) / el
		parts = append(parts, fmt.Sprintf("%.0f messages/s", rate))
		if left := sp.ToProcess - sp.Processed; left > 0 && rate > 0 {
			parts = append(parts, "about "+roundLeft(time.Duration(float64(left)/rate*float64(time.Second)))+" left")
		}
	case sp.Fetching && sp.Fetched > 0 && now.Sub(sp.Started) > 0:
		parts = append(parts, fmt.Sprintf("%.0f messages/s", float64(sp.Fetched)/now.Sub(sp.Started).Seconds()))
	}
	return strings.Join(parts, ", ")
}

// roundLeft rounds a time left to what a person reads: "40s", "3m10s".
func roundLeft(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return d.Round(10 * time.Second).String()
	}
	return d.Round(time.Minute).String()
}

// done ends the line: the last state drawn in full, and a line break.
func (p *syncProgress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.terminal && p.drawn {
		p.draw(p.lastP, p.now())
		fmt.Fprintln(p.w)
		p.drawn = false
		return
	}
	if !p.terminal && !p.last.IsZero() && p.lastP != p.shown {
		fmt.Fprintf(p.w, "sync: %s\n", describe(p.lastP, p.now()))
	}
}
