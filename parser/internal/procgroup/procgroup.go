// Package procgroup is in charge of killing a child process together with
// everything it started: the extractors' pdftotext, pdftoppm and tesseract,
// and the tests' chromium, each run as the leader of its own process group
// (SysProcAttr.Setpgid), so that one kill reaches the whole group.
package procgroup

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// Kill sends SIGKILL to the process group cmd leads. It is meant for
// cmd.Cancel and for a caller that stops reading a child's output. A child
// that was never started, or has been waited for, is left alone: once Wait
// has reaped the leader its pid (the group's id) may belong to another
// process; os.Process knows, through a pidfd, and says so.
func Kill(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	if errors.Is(cmd.Process.Signal(syscall.Signal(0)), os.ErrProcessDone) {
		return nil
	}
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil // already gone
	}
	return err
}
