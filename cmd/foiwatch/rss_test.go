package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// peakRSSEnv, set to a file name, makes the test binary run the command
// after "--" in its arguments instead of the tests, and write that
// command's peak RSS (bytes) to the file (see measuredCommand).
const peakRSSEnv = "FOIWATCH_TEST_PEAK_RSS_FILE"

// runForPeakRSS is the test binary as measuredCommand starts it.
func runForPeakRSS(file string) int {
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		os.Stderr.WriteString("peak RSS helper: " + err.Error() + "\n")
		return 127
	}
	peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
	if werr := os.WriteFile(file, []byte(strconv.FormatInt(peak, 10)), 0o600); werr != nil {
		os.Stderr.WriteString("peak RSS helper: " + werr.Error() + "\n")
		return 127
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return 0
}

// measuredCommand is exec.Command(name, args...) started through this test
// binary started afresh, and a function giving the command's peak RSS once
// it has run. Measured directly, the peak would be the test process's:
// a child shares its parent's memory until it execs (Go starts it with
// vfork), and Linux counts the peak RSS of that memory in the child's
// (wait4's ru_maxrss), so a command started by a test process that ran the
// package's other tests (over 200 MiB) would seem to use as much. The
// fresh test binary's own peak is a few MiB.
func measuredCommand(t *testing.T, name string, args ...string) (*exec.Cmd, func() int64) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "peak-rss")
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--", name}, args...)...)
	cmd.Env = append(os.Environ(), peakRSSEnv+"="+file)
	return cmd, func() int64 {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("the command's peak RSS was not measured: %v", err)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			t.Fatalf("peak RSS %q: %v", b, err)
		}
		return n
	}
}
