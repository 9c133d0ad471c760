// Package worker is in charge of the foiwatch daemon and everything it
// decides: the config file, campaigns and their requests, matching a parsed
// reply to the request it answers, each request's state, working-day
// deadlines (sub-package deadline), the status table and exports, the
// letters it writes (the request `foiwatch send` sends, chase-ups and the
// operator digest: letters.go), importing authorities from a CSV, and the
// HTTP side (metrics, health, the status page). It is not in charge of IMAP
// or NATS wire details (packages mailbox and queue) nor of reading an email
// (package parser).
//
// Implementation notes:
//
//   - Delivery from the MAIL stream is at least once. Every effect is
//     idempotent: a Reply is stored under its raw message's sha256 and not
//     made again by the same parser version; a request's state keeps each
//     reply once, by sha256; state changes go through compare-and-set
//     (Store.UpdateState), retried on conflict.
//   - A request's state (its stage, reference, due date, reply date) is
//     derived from the replies and operator events it holds (Derive), never
//     edited in place, so that replies processed out of order, twice, or
//     reprocessed by a newer parser give the same result.
//   - Nothing is dropped: a reply that matches no request is stored like any
//     other, with match "none", and listed in the unmatched bucket until an
//     operator assigns or dismisses it.
//   - The raw messages are the source of truth: a Reply is what the parser
//     makes of one, and a request's replies, the unmatched list and the
//     learned references follow from the Replies. `foiwatch check` (Check)
//     verifies the store against them and rebuilds what is derived; status
//     and export refuse a store with signs of damage (DamageError).
//   - A request is sent at most once: its send record is written before the
//     message goes to the server (send.go), and campaign files are never
//     rewritten; the records are laid over the files' campaigns.
//   - Campaigns in use are replaced whole, under a lock the workers, the
//     scheduler and HTTP hold while they use them (reload.go).
//   - A person's decision outranks the parser: placements (assigned, moved,
//     dismissed, added by hand) and answers set or accepted are kept in the
//     decisions bucket, one key each, and applied on top of what is parsed
//     (decisions.go); reprocessing never writes them.
//   - Matching does not depend on the order replies are processed in: it
//     uses the message, the campaign files and what replies filed by firm
//     evidence taught, and replies waiting on what others teach are matched
//     again when that changes (index.go).
package worker
