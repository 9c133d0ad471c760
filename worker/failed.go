package worker

import (
	"context"
	"fmt"
	"strings"

	"github.com/foiwatch/foiwatch/queue"
)

// FailedSHA is the sha256 an entry of FAILED is known by, as every other
// message is: its message's; for an envelope that could not be read, that
// of the envelope's bytes; for a message too large to fetch (nothing of it
// stored), that of its place on the server (mailbox, folder, UIDVALIDITY,
// UID), so that two such entries are told apart. `foiwatch failed` shows
// its first 12 characters and takes any unique prefix, which stays the
// same when the message is replayed and fails again (its place in FAILED
// does not).
func FailedSHA(fe queue.FailedEntry) string {
	switch {
	case fe.Envelope.SHA256 != "":
		return fe.Envelope.SHA256
	case len(fe.Raw) > 0:
		return queue.SHA256(fe.Raw)
	}
	e := fe.Envelope
	return queue.SHA256([]byte(fmt.Sprintf("unfetched:%s:%s:%d:%d", e.Mailbox, e.Folder, e.UIDValidity, e.UID)))
}

// ResolveFailed returns the entries in FAILED of the one message whose
// sha256 starts with prefix, oldest first (a message replayed while an
// older entry of it stayed has several).
func (d *Daemon) ResolveFailed(ctx context.Context, prefix string) ([]queue.FailedEntry, error) {
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	if len(prefix) < 4 || strings.Trim(prefix, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("%q is not a failed message's ID: give at least 4 of the hex digits foiwatch failed list shows", prefix)
	}
	list, err := d.Q.Failed(ctx)
	if err != nil {
		return nil, err
	}
	var found []queue.FailedEntry
	shas := map[string]bool{}
	for _, fe := range list {
		if sha := FailedSHA(fe); strings.HasPrefix(sha, prefix) {
			found = append(found, fe)
			shas[sha] = true
		}
	}
	switch {
	case len(found) == 0:
		return nil, fmt.Errorf("no failed message has the ID %s (see foiwatch failed list)", prefix)
	case len(shas) > 1:
		return nil, fmt.Errorf("%d failed messages start with %s: give more of the ID", len(shas), prefix)
	}
	return found, nil
}

// FailedEntries lists FAILED, oldest first (foiwatch failed list).
func (d *Daemon) FailedEntries(ctx context.Context) ([]queue.FailedEntry, error) {
	return d.Q.Failed(ctx)
}

// DropFailed removes one entry from FAILED; the raw message stays stored.
func (d *Daemon) DropFailed(ctx context.Context, id uint64) error { return d.Q.DropFailed(ctx, id) }

// ReplayFailed queues the message of one entry of FAILED again and removes
// the entry.
func (d *Daemon) ReplayFailed(ctx context.Context, id uint64) error { return d.Q.Replay(ctx, id) }

// RunsStore reports whether this process runs the embedded store itself:
// no daemon is running, so nothing but this process would work through
// what it queues (failed replay, reprocess).
func (d *Daemon) RunsStore() bool { return d.Q.Embedded() }
