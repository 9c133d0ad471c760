package extract

// The memory cap of a child: prlimit(2) set on the running child before
// it is given its input (startCapped), and whether the system allows it
// (CapWorks).

import (
	"io"
	"os/exec"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// startCapped starts cmd, caps its address space at maxMem bytes (0: no
// cap) and then gives it stdin. The cap is set on the running child with
// prlimit(2) before the first byte of its input is written: the programs
// run here (pdftotext, pdfinfo, pdftoppm, tesseract) read their input
// from stdin, so nothing they do with it runs uncapped. (This replaced
// running them under prlimit(1), which cost a second exec on every
// attachment: a fifth of the time of reading a one-page PDF.)
//
// Where the system forbids setting the limit (some sandboxes), the child
// runs uncapped and CapWorks reports false; its timeout and output caps
// still hold.
func startCapped(cmd *exec.Cmd, stdin io.Reader, maxMem int64) error {
	var w io.WriteCloser
	if stdin != nil {
		var err error
		if w, err = cmd.StdinPipe(); err != nil {
			return err
		}
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	if maxMem > 0 {
		lim := unix.Rlimit{Cur: uint64(maxMem), Max: uint64(maxMem)}
		if err := unix.Prlimit(cmd.Process.Pid, unix.RLIMIT_AS, &lim, nil); err != nil {
			capFailed.Store(true)
		}
	}
	if w != nil {
		go func() {
			// An error here is the child gone before it read everything
			// (killed, or failed): Wait reports why.
			_, _ = io.Copy(w, stdin)
			_ = w.Close()
		}()
	}
	return nil
}

var capFailed atomic.Bool

// CapWorks reports whether the memory caps of the children could be set
// every time so far.
func CapWorks() bool { return !capFailed.Load() }
