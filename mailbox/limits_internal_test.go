package mailbox

import (
	"testing"
	"time"
)

// The numbers in commandLimit's comment and in the README are these.
func TestCommandLimitsAreTheDocumentedNumbers(t *testing.T) {
	p := &Poller{cmdTimeout: DefaultCommandTimeout}
	for _, tc := range []struct {
		bytes int64
		want  time.Duration
	}{
		{0, 2 * time.Minute},
		{5_000_000, 2*time.Minute + 152_587_890_625*time.Nanosecond},
		{DefaultMaxMessageBytes, 2*time.Minute + 34*time.Minute + 8*time.Second},
	} {
		if got := p.commandLimit(tc.bytes); got != tc.want {
			t.Errorf("commandLimit(%d) = %s, want %s", tc.bytes, got, tc.want)
		}
	}
}

func TestPendingAfterActionsAreRetriedOnTheDocumentedSchedule(t *testing.T) {
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for k, w := range want {
		if got := pendingRetry(k + 1); got != w {
			t.Errorf("pendingRetry(%d) = %s, want %s", k+1, got, w)
		}
	}
}

func TestNameOnServer(t *testing.T) {
	for _, tc := range []struct {
		dest   string
		delim  rune
		prefix string
		want   string
	}{
		{"Done", '/', "", "Done"},
		{"Archive/FOI", '/', "", "Archive/FOI"},
		{"Done", '.', "INBOX.", "INBOX.Done"}, // Cyrus
		{"Archive/FOI", '.', "INBOX.", "INBOX.Archive.FOI"},
		{"INBOX.Done", '.', "INBOX.", "INBOX.Done"}, // already right
		{"inbox.Done", '.', "INBOX.", "inbox.Done"}, // INBOX in any case
		{"Archive/FOI", '.', "", "Archive.FOI"},
	} {
		if got := nameOnServer(tc.dest, tc.delim, tc.prefix); got != tc.want {
			t.Errorf("nameOnServer(%q, %q, %q) = %q, want %q", tc.dest, tc.delim, tc.prefix, got, tc.want)
		}
	}
}
