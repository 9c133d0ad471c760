package worker

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"time"

	"github.com/foiwatch/foiwatch/mailbox"
)

// OAuth2 sign-ins: a mailbox with auth = "oauth2" signs in with `foiwatch
// login` once; its refresh token is kept in data_dir/oauth2/NAME.json and
// the daemon gets access tokens from it for IMAP and, when [smtp] auth =
// "oauth2" names the mailbox, for SMTP.

var safeName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// TokenFile is where the refresh token of mailbox name is kept.
func (c Config) TokenFile(name string) string {
	file := name
	if !safeName.MatchString(name) || name == "." || name == ".." {
		file = fmt.Sprintf("%x", name)
	}
	return filepath.Join(c.DataDir, "oauth2", file+".json")
}

// Path is the file the config was read from ("" when made in code).
func (c Config) Path() string { return c.path }

// LoginHint is the command that signs mailbox name in.
func (c Config) LoginHint(name string) string {
	if c.path != "" {
		return fmt.Sprintf("foiwatch login --config %s %s", c.path, name)
	}
	return "foiwatch login --config FILE " + name
}

// smtpSignIn is the mailbox whose sign-in [smtp] uses, or "".
func (c Config) smtpSignIn() string {
	if c.SMTP == nil || c.SMTP.Auth != mailbox.AuthOAuth2 {
		return ""
	}
	if c.SMTP.OAuth2Mailbox != "" {
		return c.SMTP.OAuth2Mailbox
	}
	var only string
	n := 0
	for _, m := range c.Mailboxes {
		if m.Auth == mailbox.AuthOAuth2 {
			only = m.Name
			n++
		}
	}
	if n == 1 {
		return only
	}
	return ""
}

func (c Config) validateOAuth2() error {
	if c.SMTP == nil || c.SMTP.Auth != mailbox.AuthOAuth2 {
		return nil
	}
	name := c.smtpSignIn()
	if name == "" {
		if c.SMTP.OAuth2Mailbox == "" {
			return fmt.Errorf("smtp: auth = \"oauth2\" uses the sign-in of a mailbox with auth = \"oauth2\": set oauth2_mailbox to its name (there is not exactly one)")
		}
	}
	for _, m := range c.Mailboxes {
		if m.Name == name {
			if m.Auth != mailbox.AuthOAuth2 {
				return fmt.Errorf("smtp: oauth2_mailbox = %q: that mailbox does not have auth = \"oauth2\"", name)
			}
			return nil
		}
	}
	return fmt.Errorf("smtp: oauth2_mailbox = %q: no mailbox has that name", name)
}

// CheckSignInSecret makes sure the client secret of mailbox name's OAuth2
// sign-in, if it has one, can be read (`foiwatch login`, before the
// sign-in starts). Like CheckSecrets, it warns about a file others may read.
func (c Config) CheckSignInSecret(name string) (warning string, err error) {
	for _, m := range c.Mailboxes {
		if m.Name == name && m.OAuth2 != nil {
			return checkSecret(fmt.Sprintf("mailbox %q: oauth2", m.Name), "client_secret_file", m.OAuth2.ClientSecretFile, m.OAuth2.ClientSecretEnv)
		}
	}
	return "", nil
}

// makeSignIns makes the OAuth2 sign-in of every mailbox with auth =
// "oauth2". It reads and connects nothing.
func (d *Daemon) makeSignIns() error {
	d.signIns = map[string]*mailbox.OAuth2{}
	for _, m := range d.Cfg.Mailboxes {
		if m.Auth != mailbox.AuthOAuth2 || m.OAuth2 == nil {
			continue
		}
		o, err := mailbox.NewOAuth2(m.Name, *m.OAuth2, d.Cfg.TokenFile(m.Name), &mailbox.OAuth2Options{
			LoginHint: d.Cfg.LoginHint(m.Name), Logger: d.Log, HTTPClient: d.opts.OAuth2HTTP, Now: d.opts.Now})
		if err != nil {
			return err
		}
		d.signIns[m.Name] = o
	}
	return nil
}

// SignIn returns the OAuth2 sign-in of mailbox name, or nil.
func (d *Daemon) SignIn(name string) *mailbox.OAuth2 { return d.signIns[name] }

// senderOptions are the options of an SMTP sender, with the sign-in of
// [smtp] auth = "oauth2".
func (d *Daemon) senderOptions() *mailbox.SenderOptions {
	var so mailbox.SenderOptions
	if d.opts.SMTP != nil {
		so = *d.opts.SMTP
	}
	if so.Logger == nil {
		so.Logger = d.Log
	}
	if name := d.Cfg.smtpSignIn(); name != "" {
		so.OAuth2 = d.signIns[name]
	}
	return &so
}

// keepTokensFresh refreshes each sign-in's access token before it expires
// (checked every minute, refreshed 10 minutes ahead), so that a refresh
// token the provider stopped accepting shows on /readyz within a minute or
// so of its access token running out, not only at the next reconnection.
func (d *Daemon) keepTokensFresh(ctx context.Context) {
	if len(d.signIns) == 0 {
		return
	}
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	said := map[string]string{} // the error last logged, so it is logged once
	for {
		for name, o := range d.signIns {
			if !o.ExpiresSoon(10 * time.Minute) {
				continue
			}
			_, err := o.AccessToken(ctx)
			switch {
			case ctx.Err() != nil:
			case err == nil:
				delete(said, name)
			case said[name] != err.Error():
				said[name] = err.Error()
				d.Log.Warn("OAuth2 access token not refreshed", "mailbox", name, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
