package procgroup

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Kill reaches the grandchildren: a shell that started a sleep in the
// background dies with it, and the pipe they share closes.
func TestKillReachesTheWholeGroup(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 60 & echo started; wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if n, _ := out.Read(buf); !strings.HasPrefix(string(buf[:n]), "started") {
		t.Fatalf("the shell said %q", buf[:n])
	}
	if err := Kill(cmd); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the group was not killed")
	}
	// Waited for: Kill does nothing, and says nothing.
	if err := Kill(cmd); err != nil {
		t.Errorf("Kill after Wait: %v", err)
	}
	if err := Kill(exec.Command("true")); err != nil {
		t.Errorf("Kill of a command never started: %v", err)
	}
}
