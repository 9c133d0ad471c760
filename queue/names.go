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

	// ObjectRaw keeps every raw message larger than SmallRaw, named by its
	// sha256.
	ObjectRaw = "raw"
	// ObjectLarge keeps the values of buckets replies and unmatched that
	// are too large for one NATS message (a hostile message can make a
	// Reply of megabytes), named "<bucket>/<key>/<sha256 prefix>"; the
	// bucket holds a reference (large.go).
	ObjectLarge = "large"
	// BucketRawSmall keeps every raw message of at most SmallRaw bytes,
	// keyed by its sha256: a key-value read is one request, where an
	// object-store read creates a consumer (measured: about twice the time
	// of processing a plain reply).
	BucketRawSmall = "rawsmall"
	// SmallRaw is the largest message kept in BucketRawSmall: under NATS's
	// default max_payload of 1 MiB, with room for headers.
	SmallRaw = 960 << 10

	BucketRequests  = "requests"
	BucketReplies   = "replies"
	BucketCursors   = "cursors"
	BucketUnmatched = "unmatched"
	BucketReminders = "reminders"
	BucketLocks     = "locks"
	// BucketSends keeps, by "campaign.request", foiwatch's record of
	// sending a request (`foiwatch send`): its Message-ID and time, written
	// before the message goes to the server.
	BucketSends = "sends"
	// BucketReferences maps an authority's reference (normalised) to the
	// requests replies carrying it were filed under, and the replies
	// waiting to be matched by it, so matching by reference is one lookup.
	BucketReferences = "references"
	// BucketThreads maps a stored reply's Message-ID (hashed) to the
	// request it was filed under, so that a reply in the same thread from
	// someone else at the authority follows it.
	BucketThreads = "threads"
	// BucketDecisions holds what an operator decided, each decision its own
	// key: where a reply belongs (assigned, moved, dismissed, added by
	// hand) and answers corrected or accepted. Parsed replies are derived;
	// these are not, and reprocessing applies them on top.
	BucketDecisions = "decisions"

	// LockTTL is how long a lease in BucketLocks lives without a refresh:
	// a holder that died is replaced after at most this long.
	LockTTL = 30 * time.Second
)
