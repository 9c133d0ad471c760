package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/worker"
)

// fakeClock is a clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// A pass of 3000 messages: fetched in 2 s, processed at 100 a second.
func passAt(start time.Time, fetched, processed int) worker.SyncProgress {
	p := worker.SyncProgress{Fetched: fetched, ToFetch: 3000, Fetching: fetched < 3000, Processed: processed, ToProcess: 3000, Started: start}
	if processed > 0 {
		p.ProcessingSince = start.Add(2 * time.Second)
	}
	return p
}

func TestProgressPrintsALineEveryFewSecondsWhenNotOnATerminal(t *testing.T) {
	var b bytes.Buffer
	start := time.Date(2024, 6, 21, 9, 0, 0, 0, time.UTC)
	clk := &fakeClock{start}
	p := &syncProgress{w: &b, now: clk.now}
	p.update(passAt(start, 0, 0)) // the first 5 s: nothing, a quick pass prints only its summary
	clk.t = start.Add(time.Second)
	p.update(passAt(start, 1500, 0))
	clk.t = start.Add(12 * time.Second)
	p.update(passAt(start, 3000, 1000))
	clk.t = start.Add(13 * time.Second)
	p.update(passAt(start, 3000, 1100)) // within 5 s of the last line: not printed
	clk.t = start.Add(32 * time.Second)
	p.update(passAt(start, 3000, 3000))
	p.done()
	want := "sync: fetched 3000, processed 1000 of 3000, 100 messages/s, about 20s left\n" +
		"sync: fetched 3000, processed 3000 of 3000, 100 messages/s\n"
	if b.String() != want {
		t.Fatalf("syncProgress wrote\n%s\nwant\n%s", b.String(), want)
	}
}

// On a terminal one line is redrawn in place for the whole pass, from
// fetching to the last message processed, with the rate and time left.
func TestProgressDrawsOneBarForTheWholePassOnATerminal(t *testing.T) {
	var b bytes.Buffer
	start := time.Date(2024, 6, 21, 9, 0, 0, 0, time.UTC)
	clk := &fakeClock{start}
	p := &syncProgress{w: &b, terminal: true, now: clk.now}
	p.update(passAt(start, 1000, 0)) // the first second: nothing
	clk.t = start.Add(1500 * time.Millisecond)
	p.update(passAt(start, 1500, 0))
	clk.t = start.Add(12 * time.Second)
	p.update(passAt(start, 3000, 1500))
	clk.t = start.Add(32 * time.Second)
	p.update(passAt(start, 3000, 3000))
	p.done()
	out := b.String()
	if strings.Contains(out, "1000 of 3000") {
		t.Errorf("drawn in the first second: %q", out)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Errorf("%d line breaks in %q, want one at the end", strings.Count(out, "\n"), out)
	}
	for _, want := range []string{
		"\r[                        ] fetching 1500 of 3000, processed 0 of 3000, 1000 messages/s",
		"\r[============            ] fetched 3000, processed 1500 of 3000, 150 messages/s, about 10s left",
		"\r[========================] fetched 3000, processed 3000 of 3000, 100 messages/s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("bar lacks %q:\n%q", want, out)
		}
	}
}
