package localmail

import (
	"crypto/tls"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// StoredMessage is a message as a server holds it.
type StoredMessage struct {
	UID   uint32
	Flags []string
	Raw   []byte
}

// Seen reports whether the message has the \Seen flag.
func (m StoredMessage) Seen() bool { return slices.Contains(m.Flags, string(imap.FlagSeen)) }

// dial connects and logs in: implicit TLS when tlsConfig is set, else
// plaintext.
func dial(addr string, tlsConfig *tls.Config, username, password string) (*imapclient.Client, error) {
	var c *imapclient.Client
	var err error
	if tlsConfig != nil {
		c, err = imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: tlsConfig})
	} else {
		c, err = imapclient.DialInsecure(addr, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("localmail: connect to %s: %w", addr, err)
	}
	if err := c.Login(username, password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("localmail: log in to %s: %w", addr, err)
	}
	return c, nil
}

func logout(c *imapclient.Client) {
	_ = c.Logout().Wait()
	_ = c.Close()
}

// ListMessages lists every message of folder with its UID, flags and raw
// bytes, opening the folder read-only and fetching with BODY.PEEK[].
func ListMessages(addr string, tlsConfig *tls.Config, username, password, folder string) ([]StoredMessage, error) {
	c, err := dial(addr, tlsConfig, username, password)
	if err != nil {
		return nil, err
	}
	defer logout(c)
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, fmt.Errorf("localmail: examine %s: %w", folder, err)
	}
	if sel.NumMessages == 0 {
		return nil, nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	var all imap.SeqSet
	all.AddRange(1, 0)
	bufs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return nil, fmt.Errorf("localmail: fetch %s: %w", folder, err)
	}
	out := make([]StoredMessage, 0, len(bufs))
	for _, b := range bufs {
		m := StoredMessage{UID: uint32(b.UID), Raw: b.FindBodySection(section)}
		for _, f := range b.Flags {
			m.Flags = append(m.Flags, string(f))
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b StoredMessage) int { return int(a.UID) - int(b.UID) })
	return out, nil
}

// AppendIMAP appends raw to folder over IMAP and returns its UID (0 when the
// server has no UIDPLUS).
func AppendIMAP(addr string, tlsConfig *tls.Config, username, password, folder string, raw []byte) (uint32, error) {
	c, err := dial(addr, tlsConfig, username, password)
	if err != nil {
		return 0, err
	}
	defer logout(c)
	cmd := c.Append(folder, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		return 0, fmt.Errorf("localmail: append to %s: %w", folder, err)
	}
	if err := cmd.Close(); err != nil {
		return 0, fmt.Errorf("localmail: append to %s: %w", folder, err)
	}
	data, err := cmd.Wait()
	if err != nil {
		return 0, fmt.Errorf("localmail: append to %s: %w", folder, err)
	}
	return uint32(data.UID), nil
}

// FolderCommand runs CREATE or DELETE.
func FolderCommand(addr string, tlsConfig *tls.Config, username, password, verb, folder string) error {
	c, err := dial(addr, tlsConfig, username, password)
	if err != nil {
		return err
	}
	defer logout(c)
	switch verb {
	case "CREATE":
		err = c.Create(folder, nil).Wait()
	case "DELETE":
		err = c.Delete(folder).Wait()
	default:
		err = fmt.Errorf("unknown verb %s", verb)
	}
	if err != nil {
		return fmt.Errorf("localmail: %s %s: %w", verb, folder, err)
	}
	return nil
}
