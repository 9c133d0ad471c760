// Package localmail is in charge of mail servers that run inside the
// process on a loopback port: an in-memory IMAP server (go-imap's
// imapmemserver) and an SMTP sink that records what it receives, with a
// short IMAP client to read back what a server holds. `foiwatch demo` runs
// on them, and so do the tests; nothing here is a mock, each server speaks
// its protocol over TCP.
//
// It must not import package testing (or anything that does): it is linked
// into the foiwatch binary through the demo, and cmd/foiwatch's
// TestBinaryLinksNoTestCode fails if the binary links testing. The test
// harness that needs a *testing.T (a real Dovecot) is mailbox/mailtest.
package localmail
