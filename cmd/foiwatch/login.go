package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/worker"
)

// cmdLogin is `foiwatch login MAILBOX`: the OAuth2 device-code sign-in of
// a mailbox with auth = "oauth2" (and of [smtp] when it uses that
// mailbox's sign-in). It needs neither the daemon nor the queue: it writes
// the token file in data_dir, which the daemon reads at its next
// connection.
func cmdLogin(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "login")
	var c common
	c.register(fs, "text", "warn")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("name the mailbox to sign in")
	}
	path, err := worker.ConfigPath(c.config)
	if err != nil {
		return usageError{msg: err.Error()}
	}
	log, err := logger(e, c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	cfg, err := worker.LoadConfig(path)
	if err != nil {
		return err
	}
	name := pos[0]
	var names []string
	for _, m := range cfg.Mailboxes {
		if m.Auth == mailbox.AuthOAuth2 {
			names = append(names, m.Name)
		}
		if m.Name != name {
			continue
		}
		if m.Auth != mailbox.AuthOAuth2 {
			return fmt.Errorf("mailbox %q does not have auth = \"oauth2\": nothing to sign in", name)
		}
		w, err := cfg.CheckSignInSecret(m.Name)
		if w != "" {
			log.Warn(w)
		}
		if err != nil {
			return err
		}
		o, err := mailbox.NewOAuth2(m.Name, *m.OAuth2, cfg.TokenFile(m.Name), &mailbox.OAuth2Options{LoginHint: cfg.LoginHint(m.Name), Logger: log})
		if err != nil {
			return err
		}
		return o.Login(ctx, e.stdout)
	}
	if len(names) == 0 {
		return fmt.Errorf("no mailbox named %q, and no mailbox has auth = \"oauth2\"", name)
	}
	return fmt.Errorf("no mailbox named %q (mailboxes with auth = \"oauth2\": %s)", name, strings.Join(names, ", "))
}
