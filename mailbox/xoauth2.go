package mailbox

import (
	"github.com/emersion/go-sasl"
)

// XOAUTH2 is the SASL mechanism name used by Google and Microsoft for OAuth2
// bearer tokens over IMAP and SMTP.
const XOAUTH2 = "XOAUTH2"

// NewXOAUTH2Client returns a SASL client for the XOAUTH2 mechanism. Its
// initial response is "user=" + username + "\x01auth=Bearer " + token +
// "\x01\x01". go-sasl has no client for it (only OAUTHBEARER).
func NewXOAUTH2Client(username, token string) sasl.Client {
	return &xoauth2Client{username: username, token: token}
}

type xoauth2Client struct {
	username, token string
	// serverError is the (base64-decoded) JSON the server sends as a
	// challenge when it rejects the token, e.g.
	// {"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}.
	// It holds no secret, so it may go into an error message.
	serverError string
}

func (c *xoauth2Client) Start() (mech string, ir []byte, err error) {
	return XOAUTH2, []byte("user=" + c.username + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

// Next answers the error challenge with an empty response, after which the
// server ends the exchange with NO.
func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	c.serverError = string(challenge)
	return []byte{}, nil
}
