package queue

import "time"

// Every JetStream name foiwatch uses, in one place. Changing one orphans the
// data stored under the old name: don't, without a migration.
const (
	// StreamMail holds one envelope per received message, waiting to be
	// processed. A work queue: a message is removed once the worker acks it.
	StreamMail  = "MAIL"
	SubjectMail = "foiwatch.mail"

	// StreamFailed holds the envelopes whose processing failed for good,
	// with the error and the attempts, until an operator replays or drops them.
	StreamFailed  = "FAILED"
	SubjectFailed = "foiwatch.failed"

	// ConsumerWorker is the durable pull consumer on StreamMail that every
	// foiwatch worker shares, so that several processes spread the parsing.
	ConsumerWorker = "worker"

	// ObjectRaw keeps every raw message, named by its sha256.
	ObjectRaw = "raw"

	BucketRequests  = "requests"
	BucketReplies   = "replies"
	BucketCursors   = "cursors"
	BucketUnmatched = "unmatched"
	BucketReminders = "reminders"
	BucketLocks     = "locks"
	// BucketReferences maps an authority's reference (normalised) to the
	// request it was learned for, so matching by reference is one lookup.
	BucketReferences = "references"

	// LockTTL is how long a lease in BucketLocks lives without a refresh:
	// a holder that died is replaced after at most this long.
	LockTTL = 30 * time.Second
)
