package main

import (
	"os"
	"runtime/debug"
)

// defaultMemoryLimit is the soft memory limit foiwatch runs under when
// GOMEMLIMIT does not set one.
//
// Why: with Go's default (GOGC=100, no limit) the heap may grow to twice
// what is live before it is collected, and a large message makes a burst
// of short-lived buffers (the IMAP literal, the chunks the embedded NATS
// server stores and compresses, the decoded attachment). Measured on
// `sync` of 10,000 replies and one with a 25 MB PDF, peak RSS was 280 MiB
// with no limit and under 200 MiB with this one, for about a tenth more
// time: most of the time the live heap is far below the limit and GC runs
// as usual; near it, GC runs sooner. The limit is soft: nothing fails for
// going over it, the collector just works harder (Go caps that at about
// half the CPU), so a deployment whose live state is larger (thousands of
// requests on one embedded server) should raise it: GOMEMLIMIT=512MiB in
// the unit's environment, or GOMEMLIMIT=off for Go's default.
const defaultMemoryLimit = 160 << 20

// setMemoryLimit applies defaultMemoryLimit unless GOMEMLIMIT is set (the
// runtime has read it already). Only main calls it: tests run commands in
// their own process and must not change its collector.
func setMemoryLimit() {
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		return
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
}
