package mailtest

import "github.com/foiwatch/foiwatch/mailbox/localmail"

// The servers of mailbox/localmail under the names tests have always used
// (see doc.go). They are aliases: a *MemServer here is a
// *localmail.MemServer.
type (
	MemServer     = localmail.MemServer
	SMTPSink      = localmail.SMTPSink
	SinkOptions   = localmail.SinkOptions
	SinkMessage   = localmail.SinkMessage
	StoredMessage = localmail.StoredMessage
)

var (
	NewMemServer = localmail.NewMemServer
	NewSMTPSink  = localmail.NewSMTPSink
	ListMessages = localmail.ListMessages
)
