package mailbox

import (
	"context"
	"time"
)

// Message is one raw message as read from a folder.
type Message struct {
	Mailbox      string // Config.Name
	Folder       string
	UIDValidity  uint32
	UID          uint32
	InternalDate time.Time // when the server received it
	Raw          []byte    // the whole RFC 5322 message, as stored on the server (see TooLarge)
	// Size is the message's size as the server announced it (RFC822.SIZE).
	Size int64
	// TooLarge says Size is above the mailbox's max_message_bytes: the
	// message was not fetched, and Raw holds only its header section (at
	// most MaxHeaderBytes of it). The Handler must record it for an operator
	// (with its headers and size), not take Raw for the message; the poller
	// moves the cursor past it like any other once the Handler returned nil,
	// so that one such message never holds up the mail behind it.
	TooLarge bool
	// Known is set by the Handler, when it returns nil, if it recognised
	// the message as one it already stored (by content): the poller's log
	// then counts it apart from new mail ("new messages stored", and after
	// a rescan "rescanned=N new=M already_stored=K").
	Known bool
}

// MaxHeaderBytes is how much of a too-large message's header section is
// fetched: enough for every header of an ordinary message, not for a
// hostile one of megabytes.
const MaxHeaderBytes = 64 << 10

// Handler stores one message durably and returns nil only once it is safe.
// The poller moves the cursor past a message only after Handler returned nil
// for it, and hands messages over in UID order. Handler must be idempotent:
// after a crash, or when the folder is rescanned, the same message is handed
// over again (at least once). See Message.TooLarge and Message.Known.
type Handler func(ctx context.Context, m *Message) error
