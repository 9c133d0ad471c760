// Package mailtest is in charge of real mail servers for tests and for the
// `foiwatch demo` command: an in-memory IMAP server (go-imap's imapmemserver),
// a real Dovecot started under a temporary directory, and an SMTP sink that
// records what it receives. Nothing here is a mock: each server speaks the
// protocol over a loopback TCP port.
//
// MemServer and SMTPSink need no *testing.T, so the demo can use them;
// StartDovecot is for tests only and skips them when Dovecot is not
// installed.
package mailtest
