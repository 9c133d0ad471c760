package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// How a failure is handled is decided by its type, as river's JobCancel and
// JobSnooze decide a job's fate:
//
//   - *PermanentError (Permanent): no retry can cure it (not an email, a
//     value larger than anything JetStream takes, a parser panic): the
//     message goes to FAILED on its first attempt, with the error.
//   - *TransientError (RetryLater), and any error of no known kind: NATS
//     down or timing out, a raw message briefly missing: the message is
//     delivered again after a backoff (WorkOptions.Backoff), and goes to
//     FAILED once the attempts run out.
//   - *StoreFullError (ErrStoreFull): the store cannot take a write; no
//     message is to blame, so none is failed: work pauses until the store
//     has room (Work) or stops with the error (Drain, for `foiwatch sync`).
//
// Errors this package knows are permanent are classified by Classify
// whoever returned them: a value over the connection's MaxPayload
// (ErrTooLarge, nats.ErrMaxPayload), JetStream's own "message too large"
// answer, and a stored value that cannot be read back (ErrDamaged: `foiwatch
// check --repair`, then `foiwatch failed replay`).

// PermanentError marks an error that no retry can cure (a message that is
// not email, a raw object that is gone): the envelope goes to FAILED at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err so that Work sends the message to FAILED without
// retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// TransientError marks an error that a later attempt may not meet (a
// timeout, a server restarting): the message is retried after a backoff.
// Unclassified errors are treated the same way; the type exists so that
// code can say so, and so that a transient error wrapped around a permanent
// one is still retried.
type TransientError struct{ Err error }

func (e *TransientError) Error() string { return e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// RetryLater wraps err so that Work retries the message after its backoff.
func RetryLater(err error) error {
	if err == nil {
		return nil
	}
	return &TransientError{Err: err}
}

// ErrTooLarge is matched (errors.Is) by every *TooLargeError.
var ErrTooLarge = errors.New("too large to store")

// TooLargeError says that a value cannot be stored because of its size.
type TooLargeError struct {
	What string // "reply a31c45e2b8f0 (bucket replies)"
	Size int
	Max  int
	Why  string // what the limit is: "the most one NATS message holds"
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is %s: larger than %s, %s; it cannot be stored", e.What, sizeText(int64(e.Size)), sizeText(int64(e.Max)), e.Why)
}

func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// ErrStoreFull is matched (errors.Is) by every *StoreFullError.
var ErrStoreFull = errors.New("the store is full")

// StoreFullError says that JetStream refused a write for want of space.
// Its text names what is full and where, in words for the operator.
type StoreFullError struct {
	// Detail is the whole explanation ("data_dir is full: ...").
	Detail string
	Err    error // what JetStream or the file system answered
}

func (e *StoreFullError) Error() string { return e.Detail }
func (e *StoreFullError) Unwrap() error { return e.Err }

func (e *StoreFullError) Is(target error) bool { return target == ErrStoreFull }

// Class is what Classify makes of an error.
type Class int

const (
	// ClassTransient: retry after a backoff, up to the bound.
	ClassTransient Class = iota
	// ClassPermanent: to FAILED now.
	ClassPermanent
	// ClassStoreFull: nobody's fault; wait for space.
	ClassStoreFull
)

func (c Class) String() string {
	switch c {
	case ClassPermanent:
		return "permanent"
	case ClassStoreFull:
		return "store full"
	}
	return "transient"
}

// Classify says how an error of a handler (or of this package) is to be
// handled. An explicit RetryLater wins over what it wraps; then a full
// store; then what is permanent by nature.
func Classify(err error) Class {
	var tr *TransientError
	var perm *PermanentError
	switch {
	case err == nil:
		return ClassTransient
	case errors.As(err, &tr):
		return ClassTransient
	case errors.Is(err, ErrStoreFull):
		return ClassStoreFull
	case errors.As(err, &perm), errors.Is(err, ErrTooLarge), errors.Is(err, ErrDamaged), errors.Is(err, nats.ErrMaxPayload),
		errors.Is(err, jetstream.ErrStreamMessageExceedsMaximum), hasCode(err, jsErrMsgTooLarge):
		return ClassPermanent
	}
	return ClassTransient
}

// JetStream error codes this package tells apart (nats-server's
// jetstream_errors_generated.go).
const (
	jsErrNoPeers           = 10005 // no suitable peers: the cluster is still forming
	jsErrClusterNotAvail   = 10008 // JetStream system temporarily unavailable
	jsErrClusterNotLeader  = 10009 // JetStream cluster can not handle request
	jsErrInsufficientRes   = 10023 // insufficient resources: the store is full
	jsErrNotEnabledAccount = 10039
	jsErrMsgTooLarge       = 10054 // message size exceeds maximum allowed
	jsErrStreamNameInUse   = 10058 // created at the same time with another configuration
	jsErrStoreFailed       = 10077 // storing a message failed (I/O)
	jsErrAccountResources  = 10002 // resource limits exceeded for account
	jsErrStorageExceeded   = 10047 // insufficient storage resources available
)

func apiCode(err error) int {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return int(apiErr.ErrorCode)
	}
	return 0
}

func hasCode(err error, codes ...int) bool {
	c := apiCode(err)
	for _, want := range codes {
		if c != 0 && c == want {
			return true
		}
	}
	return false
}

// isFullErr reports whether JetStream refused a write for want of space.
func isFullErr(err error) bool {
	if err == nil {
		return false
	}
	if hasCode(err, jsErrInsufficientRes, jsErrAccountResources, jsErrStorageExceeded) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "insufficient resources") || strings.Contains(s, "no space left on device") ||
		strings.Contains(s, "insufficient storage") || strings.Contains(s, "maximum bytes exceeded")
}

// isSettling reports whether err is what JetStream answers while it cannot
// serve yet (no leader elected, a server restarting, a request that timed
// out while the cluster settles): worth waiting for.
func isSettling(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false // our own deadline or a shutdown, not the server's
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout),
		errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrNoStreamResponse),
		errors.Is(err, nats.ErrConnectionReconnecting), errors.Is(err, nats.ErrDisconnected),
		errors.Is(err, jetstream.ErrJetStreamNotEnabled), errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount),
		errors.Is(err, jetstream.ErrServerShutdown):
		return true
	}
	return hasCode(err, jsErrNoPeers, jsErrClusterNotAvail, jsErrClusterNotLeader, jsErrNotEnabledAccount,
		jsErrStreamNameInUse, jsErrStoreFailed, jsErrInsufficientRes)
}

// sizeText is n bytes for people: 900 B, 12.3 KiB, 2.0 MiB.
func sizeText(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}
