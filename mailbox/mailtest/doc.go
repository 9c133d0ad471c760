// Package mailtest is in charge of real mail servers for tests: a real
// Dovecot started under a temporary directory (StartDovecot, skipped where
// Dovecot is not installed), a local OAuth2 provider, and self-signed
// certificates. Nothing here is a mock: each server speaks its protocol over
// a loopback TCP port.
//
// The in-memory IMAP server and the SMTP sink live in mailbox/localmail,
// because `foiwatch demo` runs on them and this package, which needs
// package testing, must stay out of the binary. local.go gives them their
// old names here too, so tests can take every server from one package.
package mailtest
