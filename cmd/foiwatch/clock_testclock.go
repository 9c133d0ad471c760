//go:build foiwatch_testclock

package main

import (
	"fmt"
	"os"
	"time"
)

// processClock, in a binary built for tests (-tags foiwatch_testclock, as
// cmd/foiwatch's tests build it), reads FOIWATCH_CLOCK: an RFC 3339 time
// the clock starts at, running at the normal rate from there. Unset, the
// clock is the system's. The shipped binary has clock.go instead.
func processClock() (func() time.Time, error) {
	v := os.Getenv("FOIWATCH_CLOCK")
	if v == "" {
		return time.Now, nil
	}
	start, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, fmt.Errorf("FOIWATCH_CLOCK = %q: want an RFC 3339 time", v)
	}
	offset := time.Until(start)
	return func() time.Time { return time.Now().Add(offset) }, nil
}
