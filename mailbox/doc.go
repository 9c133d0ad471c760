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
//     The Handler recognises mail it already stored by content hash.
//   - Bodies are fetched with BODY.PEEK[], which never sets \Seen. Folders are
//     opened read-only (EXAMINE) unless an after-action is configured.
//   - An after-action (\Seen, or a move to another folder) runs only after the
//     Handler succeeded for that message, and before SetCursor: if the action
//     fails, the cursor does not move and the next sync hands the message over
//     again (harmless, the Handler is idempotent) and retries the action, so a
//     failed move is retried rather than forgotten. A move uses MOVE where the
//     server has it, else COPY + STORE \Deleted + UID EXPUNGE (UIDPLUS); without
//     UIDPLUS the original is left flagged \Deleted and not expunged, because
//     a plain EXPUNGE would also remove messages someone else flagged.
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
// Errors close the connection and it is reopened
// after an exponential backoff with jitter: 1s, 2s, 4s ... 256s, then 5m
// between attempts (each drawn from [d/2, d]); after an authentication
// failure 15m, 30m, then 1h, so that a wrong password does not lock the
// account.
package mailbox
