//go:build !foiwatch_testclock

package main

import "time"

// processClock is the clock of the daemon and of every operator command:
// the system's. Tests that run foiwatch as a process on dates of their
// choosing build it with -tags foiwatch_testclock (clock_testclock.go),
// so the shipped binary has no way to set its clock from outside; an
// operator asks for another day with --now or --at (operatorTime).
func processClock() (func() time.Time, error) { return time.Now, nil }
