package worker

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/mail"
	"strings"

	"github.com/emersion/go-message/charset"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/queue"
)

// recordTooLarge records a message the poller did not fetch because the
// server announced it larger than the mailbox's max_message_bytes: an entry
// in FAILED with its size, where it is on the server, and its headers, so
// that an operator sees it (`foiwatch failed list`, `failed show`) and the
// mail behind it comes in. Nothing of it is stored as raw mail: it was not
// fetched, and a header alone must not be parsed as a reply. The entry has
// no sha256, so it cannot be replayed; see the README for how to take such
// a message in.
func (d *Daemon) recordTooLarge(ctx context.Context, m *mailbox.Message) error {
	limit := int64(mailbox.DefaultMaxMessageBytes)
	for _, mc := range d.Cfg.Mailboxes {
		if mc.Name == m.Mailbox {
			limit = mc.WithDefaults().MaxMessageBytes
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "message too large to fetch: %d bytes (%s) is over max_message_bytes = %d (%s); it was not fetched and stays on the server, in mailbox %s, folder %s, UID %d (UIDVALIDITY %d)",
		m.Size, mib(m.Size), limit, mib(limit), m.Mailbox, m.Folder, m.UID, m.UIDValidity)
	if sum := headerSummary(m.Raw); sum != "" {
		b.WriteString("\n" + sum)
	}
	b.WriteString("\n\nIts header as the server sent it:\n")
	b.WriteString(strings.ToValidUTF8(string(m.Raw), "\ufffd"))
	fe := queue.FailedEntry{
		Envelope: queue.Envelope{
			Mailbox: m.Mailbox, Folder: m.Folder, UIDValidity: m.UIDValidity, UID: m.UID,
			InternalDate: m.InternalDate, Size: int(m.Size), Source: "imap",
		},
		Error:     b.String(),
		Permanent: true,
		Class:     queue.FailedPermanent,
	}
	id := fmt.Sprintf("toolarge:%s:%s:%d:%d", m.Mailbox, m.Folder, m.UIDValidity, m.UID)
	if err := d.Q.RecordFailed(ctx, fe, id); err != nil {
		return err
	}
	d.Metrics.failed(queue.FailedPermanent)
	d.Log.Warn("message too large to fetch: recorded in FAILED with its header (foiwatch failed list)",
		"mailbox", m.Mailbox, "folder", m.Folder, "uid", m.UID, "bytes", m.Size, "max_message_bytes", limit)
	return nil
}

// headerSummary is the From, To, Subject, Date and Message-ID of a header
// section, one per line, decoded, each cut at 200 characters.
func headerSummary(header []byte) string {
	msg, err := mail.ReadMessage(bytes.NewReader(append(bytes.Clone(header), "\r\n"...)))
	if err != nil {
		return ""
	}
	dec := &mime.WordDecoder{CharsetReader: charset.Reader}
	var lines []string
	for _, k := range []string{"From", "To", "Subject", "Date", "Message-Id"} {
		v := msg.Header.Get(k)
		if v == "" {
			continue
		}
		if s, err := dec.DecodeHeader(v); err == nil {
			v = s
		}
		if r := []rune(v); len(r) > 200 {
			v = string(r[:200]) + "…"
		}
		lines = append(lines, k+": "+v)
	}
	return strings.Join(lines, "\n")
}

// replyStored reports whether a Reply for sha is stored (a message seen
// before, past the duplicate window of MAIL).
func (d *Daemon) replyStored(ctx context.Context, sha string) bool {
	_, _, err := d.Q.Replies.Get(ctx, sha)
	return err == nil
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
