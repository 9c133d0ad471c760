package main

import (
	"time"

	"github.com/foiwatch/foiwatch/worker/deadline"
)

// whenHelp says, in every flag's help, what operatorTime accepts.
const whenHelp = "YYYY-MM-DD (12:00 that day), YYYY-MM-DDTHH:MM (London time) or an RFC 3339 time"

// operatorTime parses a time an operator gives on the command line
// (status/export --now, remind --now, event --at, add --received): the one
// parser of them, so every command reads "2024-06-21" alike.
//
//   - YYYY-MM-DD is 12:00 that day in Europe/London. Noon, because it is
//     the same day in London and in UTC whatever the season, so an event or
//     a letter stored in UTC keeps the day the operator gave; and it is
//     after the scheduler's usual run (`[reminders] at`, 09:00), so
//     `remind --now DAY` acts as that day's run did.
//   - YYYY-MM-DDTHH:MM (or with :SS) is that time in Europe/London.
//   - An RFC 3339 time (with Z or an offset) is that instant.
//
// An empty s is no time (ok false): the command uses the daemon's clock
// (worker.Daemon.Now). A value of another form is a usage error naming
// the flag.
func operatorTime(flagName, s string) (t time.Time, ok bool, err error) {
	if s == "" {
		return time.Time{}, false, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, deadline.London()); err == nil {
			return t, true, nil
		}
	}
	if d, err := deadline.ParseDate(s); err == nil {
		return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, deadline.London()), true, nil
	}
	return time.Time{}, false, usagef("--%s %q: want %s", flagName, s, whenHelp)
}

// nowOr is the time an operator gave, or else the daemon's clock.
func nowOr(t time.Time, given bool, clock func() time.Time) time.Time {
	if given {
		return t
	}
	return clock()
}
