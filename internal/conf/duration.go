// Package conf is in charge of the value types the config files are
// written in that more than one package reads: a duration written as text.
// It sits under internal/ because it is a detail of foiwatch's TOML, not an
// API (mailbox's [[mailboxes]] and worker's [ocr] both use it, and neither
// should own it for the other).
package conf

import (
	"fmt"
	"strings"
	"time"
)

// Duration is a time.Duration written as text in config files ("5m", "90s").
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration such as "5m" or "1h30m".
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "" {
		d.Duration = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: want a number with a unit, such as \"5m\" or \"90s\"", s)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as Go prints it ("5m0s").
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }
