package extract

// The bounded runner of external programs (runChild): each child in its
// own process group, killed as a group when its context ends or its output
// passes its cap, its address space capped (startCapped, capped.go).

import (
	"context"
	"io"
	"os/exec"
	"syscall"

	"github.com/foiwatch/foiwatch/parser/internal/procgroup"
)

// child is an external program to run bounded, the way PDF runs
// pdftotext.
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
	err       error // start or exit error; ctx's error when ctx ended first
}

// runChild runs c in its own process group, killed as a group when ctx
// ends or its output passes c.maxOut, its address space capped at
// c.maxMem (startCapped).
func runChild(ctx context.Context, c child) childResult {
	cmd := exec.CommandContext(ctx, c.path, c.args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return procgroup.Kill(cmd) }
	cmd.WaitDelay = waitDelay
	cmd.Env = c.env
	stderr := &headWriter{max: 4096}
	cmd.Stderr = stderr
	stdout := &headWriter{max: c.maxOut, onFull: func() { _ = procgroup.Kill(cmd) }}
	if c.sizeHint > 0 {
		stdout.buf = make([]byte, 0, min(c.sizeHint, c.maxOut))
	}
	cmd.Stdout = stdout
	err := startCapped(cmd, c.stdin, c.maxMem)
	if err == nil {
		err = cmd.Wait()
	}
	out, truncated := stdout.bytes()
	if err != nil && ctx.Err() != nil && !truncated {
		err = ctx.Err()
	}
	return childResult{out: out, truncated: truncated, stderr: stderr.String(), err: err}
}
