package mailbox_test

import (
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/foiwatch/foiwatch/internal/conf"
	"github.com/foiwatch/foiwatch/mailbox"
)

func validConfig() mailbox.Config {
	return mailbox.Config{
		Name:         "foi",
		Address:      "imap.example.org:993",
		Username:     "researcher@example.org",
		PasswordFile: "/etc/foiwatch/imap-password",
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *mailbox.Config)
		want   string // substring of the error; "" means valid
	}{
		{"defaults are valid", func(c *mailbox.Config) {}, ""},
		{"plaintext to a remote host is refused", func(c *mailbox.Config) { c.TLS, c.Address = "none", "imap.example.org:143" },
			`mailbox "foi": tls = "none" is refused for imap.example.org:143: plaintext is allowed only to a loopback host or with insecure = true`},
		{"plaintext to a remote host without port names the default port", func(c *mailbox.Config) { c.TLS, c.Address = "none", "imap.example.org" },
			`refused for imap.example.org:143`},
		{"plaintext to 127.0.0.1 is allowed", func(c *mailbox.Config) { c.TLS, c.Address = "none", "127.0.0.1:143" }, ""},
		{"plaintext to localhost is allowed", func(c *mailbox.Config) { c.TLS, c.Address = "none", "localhost:1143" }, ""},
		{"plaintext to ::1 is allowed", func(c *mailbox.Config) { c.TLS, c.Address = "none", "[::1]:143" }, ""},
		{"plaintext with insecure = true is allowed", func(c *mailbox.Config) { c.TLS, c.Insecure = "none", true }, ""},
		{"unknown tls mode", func(c *mailbox.Config) { c.TLS = "ssl" }, `tls = "ssl" is not one of implicit, starttls, none`},
		{"no name", func(c *mailbox.Config) { c.Name = "" }, "name is empty"},
		{"no address", func(c *mailbox.Config) { c.Address = "" }, "address is empty"},
		{"no username", func(c *mailbox.Config) { c.Username = "" }, "username is empty"},
		{"no secret", func(c *mailbox.Config) { c.PasswordFile = "" },
			"set exactly one of password_file, password_env, oauth2_token_file (0 set)"},
		{"two secrets", func(c *mailbox.Config) { c.PasswordEnv = "FOIWATCH_IMAP_PASSWORD" },
			"set exactly one of password_file, password_env, oauth2_token_file (2 set)"},
		{"oauth2 token alone is fine", func(c *mailbox.Config) { c.PasswordFile, c.OAuth2TokenFile = "", "/etc/foiwatch/token" }, ""},
		{"after seen", func(c *mailbox.Config) { c.After = "seen" }, ""},
		{"after move", func(c *mailbox.Config) { c.After = "move:Processed" }, ""},
		{"after move without folder", func(c *mailbox.Config) { c.After = "move:" }, `after = "move:" names no folder`},
		{"after unknown", func(c *mailbox.Config) { c.After = "delete" }, `after = "delete" is not one of none, seen, move:FOLDER`},
		{"after move into a watched folder", func(c *mailbox.Config) { c.After = "move:INBOX" }, "also watched"},
		{"since a date", func(c *mailbox.Config) { c.Since = "2026-01-31" }, ""},
		{"since not a date", func(c *mailbox.Config) { c.Since = "31/01/2026" }, `since = "31/01/2026" is not a date as YYYY-MM-DD`},
		{"poll interval too short", func(c *mailbox.Config) { c.PollInterval.Duration = time.Millisecond }, "poll_interval"},
		{"duplicate folder", func(c *mailbox.Config) { c.Folders = []string{"INBOX", "INBOX"} }, `folders lists "INBOX" twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.modify(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestConfigWithDefaults(t *testing.T) {
	c := mailbox.Config{Name: "foi"}.WithDefaults()
	if c.TLS != "implicit" || len(c.Folders) != 1 || c.Folders[0] != "INBOX" || c.IDLE == nil || !*c.IDLE ||
		c.PollInterval.Duration != 5*time.Minute || c.After != "none" {
		t.Fatalf("WithDefaults() = %+v", c)
	}
	off := false
	if c := (mailbox.Config{IDLE: &off}).WithDefaults(); *c.IDLE {
		t.Error("WithDefaults turned idle = false into true")
	}
}

func TestConfigReadsFromTOML(t *testing.T) {
	const file = `
[[mailboxes]]
name = "foi"
address = "imap.example.org:993"
tls = "starttls"
username = "researcher@example.org"
password_env = "FOIWATCH_IMAP_PASSWORD"
folders = ["INBOX", "FOI"]
idle = false
poll_interval = "90s"
after = "move:Processed"
since = "2026-01-01"

[smtp]
address = "smtp.example.org:587"
username = "researcher@example.org"
password_file = "/etc/foiwatch/smtp-password"
from = "foiwatch <researcher@example.org>"
`
	var f struct {
		Mailboxes []mailbox.Config   `toml:"mailboxes"`
		SMTP      mailbox.SMTPConfig `toml:"smtp"`
	}
	md, err := toml.Decode(file, &f)
	if err != nil {
		t.Fatal(err)
	}
	if undec := md.Undecoded(); len(undec) > 0 {
		t.Fatalf("keys not decoded: %v", undec)
	}
	c := f.Mailboxes[0]
	if c.PollInterval.Duration != 90*time.Second || *c.IDLE || c.TLS != "starttls" || len(c.Folders) != 2 || c.Since != "2026-01-01" {
		t.Fatalf("decoded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := f.SMTP.Validate(); err != nil {
		t.Fatal(err)
	}
	if f.SMTP.WithDefaults().TLS != "starttls" {
		t.Errorf("smtp tls default = %q", f.SMTP.WithDefaults().TLS)
	}
	text, err := c.PollInterval.MarshalText()
	if err != nil || string(text) != "1m30s" {
		t.Errorf("MarshalText = %q, %v", text, err)
	}
	var d conf.Duration
	if err := d.UnmarshalText([]byte("soon")); err == nil {
		t.Error("UnmarshalText(\"soon\") accepted")
	}
}

func TestSMTPConfigValidate(t *testing.T) {
	valid := mailbox.SMTPConfig{Address: "smtp.example.org:587", Username: "u", PasswordFile: "/p", From: "foiwatch <r@example.org>"}
	tests := []struct {
		name   string
		modify func(c *mailbox.SMTPConfig)
		want   string
	}{
		{"valid", func(c *mailbox.SMTPConfig) {}, ""},
		{"no auth is fine", func(c *mailbox.SMTPConfig) { c.Username, c.PasswordFile = "", "" }, ""},
		{"plaintext to a remote host is refused", func(c *mailbox.SMTPConfig) { c.TLS = "none" },
			`smtp: tls = "none" is refused for smtp.example.org:587: plaintext is allowed only to a loopback host or with insecure = true`},
		{"plaintext to loopback", func(c *mailbox.SMTPConfig) { c.TLS, c.Address = "none", "127.0.0.1:2525" }, ""},
		{"username without password", func(c *mailbox.SMTPConfig) { c.PasswordFile = "" }, "set password_file or password_env"},
		{"password without username", func(c *mailbox.SMTPConfig) { c.Username = "" }, "username is empty"},
		{"two passwords", func(c *mailbox.SMTPConfig) { c.PasswordEnv = "X" }, "only one of password_file, password_env"},
		{"bad from", func(c *mailbox.SMTPConfig) { c.From = "foiwatch" }, `from = "foiwatch" is not an email address`},
		{"no from", func(c *mailbox.SMTPConfig) { c.From = "" }, "from is empty"},
		{"bad tls", func(c *mailbox.SMTPConfig) { c.TLS = "yes" }, `tls = "yes"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.modify(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
