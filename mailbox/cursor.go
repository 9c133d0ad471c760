package mailbox

import "context"

// Cursor is how far a folder has been read: every message with a UID up to
// LastUID under UIDValidity has been stored.
type Cursor struct {
	UIDValidity uint32 `json:"uidvalidity"`
	LastUID     uint32 `json:"last_uid"`
	// PendingAfter lists the UIDs (all ≤ LastUID) of stored messages whose
	// after-action (after = "seen" or "move:FOLDER") could not be done yet;
	// they are retried later (see the package notes). At most MaxPending.
	PendingAfter []uint32 `json:"pending_after,omitempty"`
}

// MaxPending is the most after-actions a cursor keeps pending: the oldest
// are given up beyond it (with a warning), so that a target that is never
// fixed cannot grow the cursor without end.
const MaxPending = 10000

// CursorStore keeps one Cursor per mailbox and folder. ok is false when no
// cursor was ever saved.
type CursorStore interface {
	Cursor(ctx context.Context, mailbox, folder string) (c Cursor, ok bool, err error)
	SetCursor(ctx context.Context, mailbox, folder string, c Cursor) error
}
