package extract

// The one runner of external programs (runChild): pdftotext, pdfinfo,
// pdftoppm and tesseract each run in their own process group, killed as a
// group when their context ends or their output passes its cap, their
// address space capped (startCapped, capped.go), their stdout and stderr
// kept through a headWriter.

import (
	"context"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/foiwatch/foiwatch/parser/internal/procgroup"
)

// waitDelay bounds how long Wait waits for the child's pipes after it was
// killed, in case something it started still holds them.
const waitDelay = 2 * time.Second

// child is an external program to run bounded.
type child struct {
	path     string
	args     []string
	stdin    io.Reader
	env      []string // nil: this process's
	maxOut   int
	sizeHint int   // bytes of output expected: allocated at once (at most maxOut)
	maxMem   int64 // address-space cap (startCapped); 0 none
}

type childResult struct {
	out       []byte
	truncated bool // output was over maxOut: cut, and the child killed
	stderr    string
	started   bool  // false: it never ran, and err says why it could not start
	err       error // start or exit error; ctx's error when ctx ended first
}

// runChild runs c in its own process group, killed as a group when ctx
// ends or its output passes c.maxOut, its address space capped at
// c.maxMem (startCapped).
func runChild(ctx context.Context, c child) childResult {
	cmd := exec.CommandContext(ctx, c.path, c.args...)
	// Its own process group, so that one kill(-pgid) reaches the child and
	// anything it forks.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return procgroup.Kill(cmd) }
	cmd.WaitDelay = waitDelay
	cmd.Env = c.env
	stderr := &headWriter{max: 4096}
	cmd.Stderr = stderr
	// Not StdoutPipe: with a writer, exec copies in its own goroutine and
	// Wait stops waiting for the pipe WaitDelay after the kill, even if
	// something outside the group still holds it open.
	stdout := &headWriter{max: c.maxOut, onFull: func() { _ = procgroup.Kill(cmd) }}
	if c.sizeHint > 0 {
		stdout.buf = make([]byte, 0, min(c.sizeHint, c.maxOut))
	}
	cmd.Stdout = stdout
	err := startCapped(cmd, c.stdin, c.maxMem)
	started := err == nil
	if started {
		err = cmd.Wait()
	}
	out, truncated := stdout.bytes()
	if err != nil && ctx.Err() != nil && !truncated {
		err = ctx.Err()
	}
	return childResult{out: out, truncated: truncated, stderr: stderr.String(), started: started, err: err}
}

// headWriter keeps the first max bytes written to it and discards the
// rest, calling onFull once when something had to be discarded. It always
// reports success, so the writer is never the one to fail.
type headWriter struct {
	mu     sync.Mutex
	buf    []byte
	max    int
	full   bool
	onFull func()
}

func (w *headWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	room := w.max - len(w.buf)
	if room > 0 {
		w.buf = append(w.buf, p[:min(room, len(p))]...)
	}
	if len(p) > room && !w.full {
		w.full = true
		if w.onFull != nil {
			w.onFull()
		}
	}
	return len(p), nil
}

func (w *headWriter) bytes() ([]byte, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf, w.full
}

func (w *headWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}

// firstLine is the first line of what a child printed (its stderr,
// mostly), for the words of an error; "no message" when it printed none.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return "no message"
	}
	return s
}
