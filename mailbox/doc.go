// Package mailbox is in charge of email at the edges of foiwatch: it reads new
// messages from IMAP mailboxes (implicit TLS, STARTTLS or plaintext on
// loopback; LOGIN/PLAIN, or XOAUTH2 with a token file or its own OAuth2
// sign-in (oauth2.go: device-code and browser flows, refresh tokens kept in
// a file, access tokens refreshed before they expire); IDLE with a polling fallback; UIDVALIDITY
// and UID cursors; after-actions such as setting \Seen or moving a message)
// and sends email over SMTP (PLAIN, XOAUTH2 or OAUTHBEARER).
//
// It hands every raw message to a [Handler] and keeps a [Cursor] per mailbox
// and folder in a [CursorStore]; both are interfaces supplied by the caller,
// so this package knows nothing of NATS or of what a message means. It never
// parses or decides anything about Freedom of Information.
//
// # Implementation notes
//
// Cursor invariants, for one (mailbox, folder):
//
//   - A cursor is (UIDVALIDITY, last UID). Every message with a UID ≤ last UID
//     under that UIDVALIDITY has been handed to the Handler and the Handler
//     returned nil for it (or the message vanished from the server before it
//     could be fetched).
//   - Messages are handed over in ascending UID order, and SetCursor is called
//     after each success, so the cursor only ever moves forward, one stored
//     message at a time. A Handler error stops the folder at that message: the
//     cursor stays at the previous message and the next sync starts again with
//     the failed one.
//   - Delivery is at least once: a crash between the Handler's success and
//     SetCursor hands the same message over again. Handlers must be idempotent
//     (foiwatch stores raw mail by content hash).
//   - New messages are found with UID SEARCH UID last+1:* and the result is
//     always filtered to UIDs > last: "N:*" includes the highest message even
//     when its UID is ≤ N (RFC 3501; Dovecot does it too).
//   - When the folder's UIDVALIDITY differs from the cursor's, every UID is
//     meaningless: the poller logs a warning and rescans the folder from UID 1.
//     The Handler recognises mail it already stored by content hash (and
//     says so with Message.Known, so that the log counts new and known mail
//     apart). The same happens when UIDNEXT is at or below the cursor's last
//     UID under an unchanged UIDVALIDITY: against the rules (UIDNEXT never
//     goes down), but an in-memory server that restarted does it, and new
//     mail would otherwise be taken for old. That is also shown among
//     Status().Notes for 24 h. A server whose UIDNEXT proves wrong (a message
//     at or above it) is no longer trusted on it, for that folder.
//   - Bodies are fetched with BODY.PEEK[], which never sets \Seen. Folders are
//     opened read-only (EXAMINE) unless an after-action is configured. Each
//     literal is read into a buffer of its announced size, up to
//     max_message_bytes.
//   - A message whose RFC822.SIZE is above max_message_bytes is never
//     fetched: only BODY.PEEK[HEADER]<0.64 KiB> is, and it is handed over
//     marked TooLarge, so the Handler records it and the cursor moves past it
//     (a message the server sends larger than it announced is read into
//     nothing past its first 64 KiB, and handed over the same way).
//   - An after-action (\Seen, or a move to another folder) runs only after the
//     Handler succeeded for that message, and never holds up the mail behind
//     it: when it cannot be done (refused at the start, failed, or earlier
//     ones still waiting), its UID is kept in the cursor's PendingAfter, saved
//     with the cursor, which moves on. Waiting actions are tried again at the
//     start of a later sync: after 1m, 2m, 4m ... 32m, then hourly while they
//     keep failing (SyncOnce tries at once), a command per 500 UIDs, after a
//     UID SEARCH drops those no longer in the folder; at most MaxPending are
//     kept. A move uses MOVE where the
//     server has it, else COPY + STORE \Deleted + UID EXPUNGE (UIDPLUS); without
//     UIDPLUS the original is left flagged \Deleted and not expunged, because
//     a plain EXPUNGE would also remove messages someone else flagged.
//   - The folder of "move:FOLDER" is checked on every new connection (LIST);
//     a missing one is created when its name fits the server's naming (its
//     personal namespace prefix and hierarchy delimiter, from NAMESPACE and
//     LIST), and otherwise the action is refused with the name the folder
//     should have ("INBOX.Done" on Cyrus): an *AfterError, returned by
//     SyncOnce after the mail was stored and shown among Status().Notes.
//
// Secrets (passwords, OAuth2 tokens) are read from their file or environment
// variable at connect time, on every connection, so a rotated token is picked
// up without a restart. They are never stored in [Config], logged, or put into
// error strings; errors name the file or variable instead.
//
// A sync with more new messages than one batch reports its progress after
// every batch, to [PollerOptions.Progress] and as an Info log line
// ("fetching INBOX: 1200 of 10000").
//
// [Poller.Run] keeps one IMAP connection per configured folder. Each one syncs
// its folder, then waits in IDLE (when enabled and advertised) for an EXISTS
// notification, and also re-syncs every poll_interval as a safety net; without
// IDLE it re-syncs every poll_interval and sends NOOP in between so the server
// does not drop the connection. A server that stops answering while the
// connection stays open (a hung process, a black-holed network) is noticed by
// a watchdog: while a command is outstanding the server must send a byte at
// least every CommandTimeout (60 s), and an idle connection is tested every
// LivenessInterval (5 min: IDLE is ended and re-issued, or NOOP is sent), so
// such a server is dropped within LivenessInterval + 1.2 × CommandTimeout.
// A server that keeps sending, but too slowly to finish (a byte a second),
// is stopped by each command's time limit: 2 × CommandTimeout, plus a
// second per 32 KiB of message the FETCH brings (2 min for most commands,
// 36 min 8 s for one message of 64 MiB; see commandLimit). imapclient's own
// read deadlines are not used.
// A server that sends something other than an IMAP greeting (an SMTP or
// SSH port) is reported as "not an IMAP server" with what it sent.
// Errors close the connection and it is reopened
// after an exponential backoff with jitter: 1s, 2s, 4s ... 256s, then 5m
// between attempts (each drawn from [d/2, d]); after an authentication
// failure 15m, 30m, then 1h, so that a wrong password does not lock the
// account.
//
// One concept a file: message.go and cursor.go what the poller hands over
// and keeps; poller.go the Poller and its loop per folder; conn.go the
// connection, log-in and watchdog; sync.go a folder's sync (fetch, hand
// over, cursor); idle.go waiting for new mail (IDLE, or polling with NOOP);
// after.go the after-actions; backoff.go the reconnect backoff; status.go
// what health checks see; config.go, cafile.go the config; oauth2.go,
// xoauth2.go OAuth2; smtp.go sending.
package mailbox
