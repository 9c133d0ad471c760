package mailbox

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/foiwatch/foiwatch/internal/conf"
)

// TLS modes for [Config.TLS] and [SMTPConfig.TLS].
const (
	TLSImplicit = "implicit"
	TLSStartTLS = "starttls"
	TLSNone     = "none"
)

// Default values applied by [Config.WithDefaults].
const (
	DefaultPollInterval = 5 * time.Minute
	DefaultBatchSize    = 100
	// MinPollInterval is the smallest poll_interval Validate accepts.
	MinPollInterval = time.Second
	// DefaultMaxMessageBytes is max_message_bytes's default: 64 MiB, the
	// most an attachment is read by the parser too (a letter with its
	// scans is rarely over 20 MB; mail servers refuse more than 25-50 MB).
	DefaultMaxMessageBytes = 64 << 20
	// MinMaxMessageBytes is the smallest max_message_bytes Validate
	// accepts: below 1 MiB ordinary letters with a PDF would be turned away.
	MinMaxMessageBytes = 1 << 20
)

// Config is one [[mailboxes]] entry of the config file (deploy/foiwatch.toml shows every key).
type Config struct {
	// Name identifies the mailbox in cursors, logs and errors. Required.
	Name string `toml:"name" json:"name"`
	// Address is host:port of the IMAP server. Required. Without a port, 993
	// is used for tls = "implicit" and 143 otherwise.
	Address string `toml:"address" json:"address"`
	// TLS is "implicit" (default), "starttls" or "none". "none" is refused
	// unless the host is loopback or Insecure is set.
	TLS string `toml:"tls" json:"tls"`
	// Insecure allows tls = "none" to a non-loopback host. Default false. It
	// never turns off certificate verification.
	Insecure bool `toml:"insecure" json:"insecure"`
	// CAFile, optional, is a PEM file of CA certificates trusted besides the
	// system's, for a server whose certificate a private CA signed.
	// Default none.
	CAFile string `toml:"ca_file" json:"ca_file,omitempty"`
	// Username to log in as. Required.
	Username string `toml:"username" json:"username"`
	// Auth is "password" (LOGIN or AUTHENTICATE PLAIN, or XOAUTH2 with a
	// token file some other tool keeps fresh) or "oauth2" (foiwatch signs
	// in itself: see OAuth2). Default "password".
	Auth string `toml:"auth" json:"auth,omitempty"`
	// OAuth2 is the sign-in of auth = "oauth2". Default none.
	OAuth2 *OAuth2Config `toml:"oauth2" json:"oauth2,omitempty"`
	// With auth = "password", exactly one of PasswordFile, PasswordEnv
	// (LOGIN or AUTHENTICATE PLAIN) and OAuth2TokenFile (AUTHENTICATE
	// XOAUTH2, the access token alone in the file) must be set. Default
	// none. The files are read on every connection; trailing newlines are
	// ignored.
	PasswordFile    string `toml:"password_file" json:"password_file,omitempty"`
	PasswordEnv     string `toml:"password_env" json:"password_env,omitempty"`
	OAuth2TokenFile string `toml:"oauth2_token_file" json:"oauth2_token_file,omitempty"`
	// Folders to watch. Default ["INBOX"].
	Folders []string `toml:"folders" json:"folders"`
	// IDLE waits for new mail with IMAP IDLE when the server has it. Default
	// true (nil means true).
	IDLE *bool `toml:"idle" json:"idle,omitempty"`
	// PollInterval is how often folders are searched for new mail without
	// IDLE, and as a safety net with it. Default 5m; at least 1s.
	PollInterval conf.Duration `toml:"poll_interval" json:"poll_interval"`
	// After is what to do with a message once it is stored: "none" (default),
	// "seen" (set \Seen) or "move:FOLDER".
	After string `toml:"after" json:"after"`
	// Since, optional, as YYYY-MM-DD: ignore messages whose internal date is
	// before that day (IMAP SEARCH SINCE). Default: no limit.
	Since string `toml:"since" json:"since,omitempty"`
	// MaxMessageBytes is the largest message fetched, by the size the
	// server announces (RFC822.SIZE). Default 64 MiB (67108864); at least
	// 1 MiB. A larger message is not fetched: only its header section is,
	// and it is recorded for an operator (foiwatch failed list) with its
	// size, while the mail behind it comes in as usual. It stays on the
	// server.
	MaxMessageBytes int64 `toml:"max_message_bytes" json:"max_message_bytes"`
}

// WithDefaults returns a copy of c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.TLS == "" {
		c.TLS = TLSImplicit
	}
	if len(c.Folders) == 0 {
		c.Folders = []string{"INBOX"}
	} else {
		c.Folders = append([]string(nil), c.Folders...)
	}
	if c.IDLE == nil {
		t := true
		c.IDLE = &t
	} else {
		v := *c.IDLE
		c.IDLE = &v
	}
	if c.PollInterval.Duration == 0 {
		c.PollInterval.Duration = DefaultPollInterval
	}
	if c.After == "" {
		c.After = "none"
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	return c
}

// Validate reports every problem in c (after defaults are applied), each as a
// plain sentence naming the config key.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("mailbox %q: "+format, append([]any{c.Name}, args...)...))
	}
	if c.Name == "" {
		bad("name is empty: every [[mailboxes]] entry needs a name")
	}
	switch c.TLS {
	case TLSImplicit, TLSStartTLS, TLSNone:
	default:
		bad("tls = %q is not one of implicit, starttls, none", c.TLS)
	}
	if c.Address == "" {
		bad("address is empty: want host:port, such as imap.example.org:993")
	} else if host, err := splitHost(c.Address); err != nil {
		bad("address = %q: %v", c.Address, err)
	} else if c.TLS == TLSNone && !c.Insecure && !isLoopback(host) {
		bad("tls = \"none\" is refused for %s: plaintext is allowed only to a loopback host or with insecure = true", c.imapAddr())
	}
	if c.Username == "" {
		bad("username is empty")
	}
	n := 0
	for _, s := range []string{c.PasswordFile, c.PasswordEnv, c.OAuth2TokenFile} {
		if s != "" {
			n++
		}
	}
	switch c.Auth {
	case "", AuthPassword:
		if n != 1 {
			bad("set exactly one of password_file, password_env, oauth2_token_file (%d set)", n)
		}
		if c.OAuth2 != nil {
			bad("an [mailboxes.oauth2] table is set but auth is not \"oauth2\"")
		}
	case AuthOAuth2:
		if n != 0 {
			bad("auth = \"oauth2\" signs in with foiwatch login: remove password_file, password_env and oauth2_token_file")
		}
		if c.OAuth2 == nil {
			bad("auth = \"oauth2\" needs an [mailboxes.oauth2] table with provider and client_id")
		} else if err := c.OAuth2.Validate(fmt.Sprintf("mailbox %q", c.Name)); err != nil {
			errs = append(errs, err)
		}
	default:
		bad("auth = %q is not one of password, oauth2", c.Auth)
	}
	seen := map[string]bool{}
	for _, f := range c.Folders {
		switch {
		case strings.TrimSpace(f) == "":
			bad("folders has an empty name")
		case seen[f]:
			bad("folders lists %q twice", f)
		}
		seen[f] = true
	}
	if c.PollInterval.Duration < MinPollInterval {
		bad("poll_interval = %q is too short: at least %s", c.PollInterval.Duration, MinPollInterval)
	}
	if dest, isMove, err := parseAfter(c.After); err != nil {
		bad("%v", err)
	} else if isMove && seen[dest] {
		bad("after = %q moves mail into a folder that is also watched: it would be fetched again", c.After)
	}
	if c.Since != "" {
		if _, err := time.Parse(time.DateOnly, c.Since); err != nil {
			bad("since = %q is not a date as YYYY-MM-DD", c.Since)
		}
	}
	if c.MaxMessageBytes < MinMaxMessageBytes {
		bad("max_message_bytes = %d is too small: at least %d (1 MiB); the default is %d (64 MiB)", c.MaxMessageBytes, MinMaxMessageBytes, DefaultMaxMessageBytes)
	}
	return errors.Join(errs...)
}

// parseAfter returns the destination folder for "move:FOLDER".
func parseAfter(after string) (dest string, isMove bool, err error) {
	switch {
	case after == "none" || after == "seen":
		return "", false, nil
	case strings.HasPrefix(after, "move:"):
		dest = strings.TrimPrefix(after, "move:")
		if strings.TrimSpace(dest) == "" {
			return "", false, fmt.Errorf("after = %q names no folder: want move:FOLDER", after)
		}
		return dest, true, nil
	default:
		return "", false, fmt.Errorf("after = %q is not one of none, seen, move:FOLDER", after)
	}
}

// imapAddr is Address with the default port for the TLS mode added if missing.
func (c Config) imapAddr() string {
	port := "143"
	if c.TLS == TLSImplicit || c.TLS == "" {
		port = "993"
	}
	return withPort(c.Address, port)
}

func (c Config) since() time.Time {
	if c.Since == "" {
		return time.Time{}
	}
	t, _ := time.Parse(time.DateOnly, c.Since)
	return t
}

func withPort(addr, port string) string {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	return net.JoinHostPort(strings.Trim(addr, "[]"), port)
}

func splitHost(addr string) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		// No port: the whole thing is the host.
		host = strings.Trim(addr, "[]")
		if strings.ContainsAny(host, " /") {
			return "", errors.New("not a host:port")
		}
	}
	if host == "" {
		return "", errors.New("no host")
	}
	return host, nil
}

// isLoopback reports whether host is "localhost" or a loopback IP. It does
// not resolve names: a name that happens to resolve to 127.0.0.1 still needs
// insecure = true.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// readSecret reads a password or token from a file or an environment
// variable. Errors name the file or variable, never the content.
func readSecret(file, env string) (string, error) {
	switch {
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read secret: %w", err) // *PathError names the file
		}
		s := strings.TrimRight(string(b), "\r\n")
		if s == "" {
			return "", fmt.Errorf("read secret: file %s is empty", file)
		}
		return s, nil
	case env != "":
		s, ok := os.LookupEnv(env)
		if !ok || s == "" {
			return "", fmt.Errorf("read secret: environment variable %s is not set", env)
		}
		return s, nil
	}
	return "", errors.New("read secret: no password_file or password_env configured")
}

// SMTPConfig is the [smtp] section of the config file: where reminders go out.
type SMTPConfig struct {
	// Address is host:port of the submission server. Required. Without a
	// port: 587 for starttls, 465 for implicit, 25 for none.
	Address string `toml:"address" json:"address"`
	// TLS is "starttls" (default), "implicit" or "none". "none" is refused
	// unless the host is loopback or Insecure is set.
	TLS string `toml:"tls" json:"tls"`
	// Insecure allows tls = "none" to a non-loopback host. Default false.
	Insecure bool `toml:"insecure" json:"insecure"`
	// CAFile, optional, is a PEM file of CA certificates trusted besides the
	// system's (a private CA). Default none.
	CAFile string `toml:"ca_file" json:"ca_file,omitempty"`
	// Auth is "password" (AUTH PLAIN with username and a password) or
	// "oauth2" (XOAUTH2 or OAUTHBEARER with the access token of a
	// mailbox's OAuth2 sign-in: see OAuth2Mailbox). Default "password".
	Auth string `toml:"auth" json:"auth,omitempty"`
	// OAuth2Mailbox names the [[mailboxes]] entry with auth = "oauth2"
	// whose sign-in also sends mail (one `foiwatch login` for both).
	// Default: the only such mailbox.
	OAuth2Mailbox string `toml:"oauth2_mailbox" json:"oauth2_mailbox,omitempty"`
	// OAuth2Mechanism is "xoauth2" (Microsoft 365 and Gmail) or
	// "oauthbearer" (RFC 7628). Default "xoauth2".
	OAuth2Mechanism string `toml:"oauth2_mechanism" json:"oauth2_mechanism,omitempty"`
	// Username for AUTH PLAIN. Optional: without it no AUTH is sent. With it,
	// exactly one of PasswordFile and PasswordEnv must be set. With auth =
	// "oauth2", the account's address (required).
	Username     string `toml:"username" json:"username,omitempty"`
	PasswordFile string `toml:"password_file" json:"password_file,omitempty"`
	PasswordEnv  string `toml:"password_env" json:"password_env,omitempty"`
	// From is "Name <addr>" or "addr"; its address is the envelope sender.
	// Required.
	From string `toml:"from" json:"from"`
}

// WithDefaults returns a copy of c with every unset field at its default.
func (c SMTPConfig) WithDefaults() SMTPConfig {
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Auth == AuthOAuth2 && c.OAuth2Mechanism == "" {
		c.OAuth2Mechanism = "xoauth2"
	}
	return c
}

func (c SMTPConfig) smtpAddr() string {
	port := "587"
	switch c.TLS {
	case TLSImplicit:
		port = "465"
	case TLSNone:
		port = "25"
	}
	return withPort(c.Address, port)
}

// Validate reports every problem in c (after defaults are applied).
func (c SMTPConfig) Validate() error {
	c = c.WithDefaults()
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("smtp: "+format, args...))
	}
	switch c.TLS {
	case TLSImplicit, TLSStartTLS, TLSNone:
	default:
		bad("tls = %q is not one of starttls, implicit, none", c.TLS)
	}
	if c.Address == "" {
		bad("address is empty: want host:port, such as smtp.example.org:587")
	} else if host, err := splitHost(c.Address); err != nil {
		bad("address = %q: %v", c.Address, err)
	} else if c.TLS == TLSNone && !c.Insecure && !isLoopback(host) {
		bad("tls = \"none\" is refused for %s: plaintext is allowed only to a loopback host or with insecure = true", c.smtpAddr())
	}
	switch c.Auth {
	case "", AuthPassword:
		if c.OAuth2Mailbox != "" || c.OAuth2Mechanism != "" {
			bad("oauth2_mailbox and oauth2_mechanism are for auth = \"oauth2\"")
		}
	case AuthOAuth2:
		if c.PasswordFile != "" || c.PasswordEnv != "" {
			bad("auth = \"oauth2\" uses a mailbox's sign-in: remove password_file and password_env")
		}
		if c.Username == "" {
			bad("auth = \"oauth2\" needs username: the account's address")
		}
		switch c.OAuth2Mechanism {
		case "xoauth2", "oauthbearer":
		default:
			bad("oauth2_mechanism = %q is not one of xoauth2, oauthbearer", c.OAuth2Mechanism)
		}
	default:
		bad("auth = %q is not one of password, oauth2", c.Auth)
	}
	switch {
	case c.Auth == AuthOAuth2:
	case c.Username == "" && (c.PasswordFile != "" || c.PasswordEnv != ""):
		bad("a password is set but username is empty")
	case c.Username != "" && c.PasswordFile != "" && c.PasswordEnv != "":
		bad("set only one of password_file, password_env")
	case c.Username != "" && c.PasswordFile == "" && c.PasswordEnv == "":
		bad("username is set: set password_file or password_env too")
	}
	if c.From == "" {
		bad("from is empty: want \"Name <address>\"")
	} else if _, err := mail.ParseAddress(c.From); err != nil {
		bad("from = %q is not an email address: %v", c.From, err)
	}
	return errors.Join(errs...)
}
