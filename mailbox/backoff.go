package mailbox

import (
	"math/rand/v2"
	"time"
)

// backoffDelay is the pause before reconnect attempt number attempt
// (0-based, reset after a connection that completed a sync).
//
// Ordinary errors: 1s, 2s, 4s, 8s, 16s, 32s, 64s, 128s, 256s, then 5m for
// every later attempt. Authentication failures: 15m, 30m, then 1h for every
// later attempt: retrying a wrong password quickly can get the account locked.
// Each value d is then drawn uniformly from [d/2, d] ("equal jitter"), so that
// pollers that lost the same server do not come back in step.
func backoffDelay(attempt int, auth bool) time.Duration {
	base, limit := time.Second, 5*time.Minute
	if auth {
		base, limit = 15*time.Minute, time.Hour
	}
	d := limit
	if attempt < 20 {
		d = min(base<<attempt, limit)
	}
	return d/2 + rand.N(d/2+1)
}
