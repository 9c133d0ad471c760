package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestProgressPrintsLinesWhenNotOnATerminal(t *testing.T) {
	var b bytes.Buffer
	p := newSyncProgress(&b)
	p.update("foi", "INBOX", 0, 250)
	p.update("foi", "INBOX", 100, 250) // within 5 s of the last line: not printed
	p.update("foi", "INBOX", 250, 250)
	p.done()
	want := "fetching foi/INBOX: 0 of 250\nfetching foi/INBOX: 250 of 250\n"
	if b.String() != want {
		t.Fatalf("syncProgress wrote %q, want %q", b.String(), want)
	}
}

func TestProgressDrawsABarOnATerminal(t *testing.T) {
	var b bytes.Buffer
	p := &syncProgress{w: &b, terminal: true}
	p.update("foi", "INBOX", 50, 100)
	p.done()
	if !strings.Contains(b.String(), "\rfoi/INBOX [===============               ] 50/100\n") {
		t.Fatalf("bar = %q", b.String())
	}
}
