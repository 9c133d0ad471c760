package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// RecordFailed puts fe in FAILED directly, for a message that never
// entered MAIL: one the mailbox poller could not take in (larger than
// max_message_bytes), so that an operator sees it in `foiwatch failed
// list`. fe.Envelope.SHA256 is empty when no raw message was stored; such
// an entry cannot be replayed, only dropped. msgID, when not empty, is the
// entry's Nats-Msg-Id: the same message recorded twice within FAILED's
// duplicate window (a crash before the IMAP cursor moved) is kept once.
func (q *Queue) RecordFailed(ctx context.Context, fe FailedEntry, msgID string) error {
	if fe.FailedAt.IsZero() {
		fe.FailedAt = time.Now().UTC()
	}
	_, b := q.fitFailed(fe)
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	if err := q.checkRoom(); err != nil {
		return err
	}
	if _, err := q.js.Publish(ctx, SubjectFailed, b, opts...); err != nil {
		return q.wrapWrite(fmt.Errorf("queue: record in %s: %w", StreamFailed, err))
	}
	return nil
}
