package mailbox_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/mailbox/mailtest"
)

// fakeClock is a clock a test moves forward.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func startProvider(t *testing.T, opts mailtest.OAuth2ProviderOptions) *mailtest.OAuth2Provider {
	t.Helper()
	opts.ClientID = "client-123"
	p := mailtest.NewOAuth2Provider(opts)
	t.Cleanup(p.Close)
	return p
}

func providerConfig(p *mailtest.OAuth2Provider) mailbox.OAuth2Config {
	return mailbox.OAuth2Config{ClientID: "client-123", DeviceAuthURL: p.DeviceAuthURL(), TokenURL: p.TokenURL(), Scopes: []string{"imap", "smtp"}}
}

func newSignIn(t *testing.T, p *mailtest.OAuth2Provider, clk *fakeClock) *mailbox.OAuth2 {
	t.Helper()
	logger, _ := testLogger(t)
	o, err := mailbox.NewOAuth2("foi", providerConfig(p), filepath.Join(t.TempDir(), "data", "oauth2", "foi.json"),
		&mailbox.OAuth2Options{LoginHint: "foiwatch login --config /etc/foiwatch/foiwatch.toml foi", Now: clk.Now, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestDeviceLoginPollsThroughPendingAndSlowDown(t *testing.T) {
	p := startProvider(t, mailtest.OAuth2ProviderOptions{DevicePolls: []string{"authorization_pending", "slow_down"}})
	o := newSignIn(t, p, &fakeClock{t: time.Now()})
	var out bytes.Buffer
	if err := o.Login(ctxTimeout(t, time.Minute), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), p.DeviceAuthURL()[:len(p.DeviceAuthURL())-len("/device")]+"/activate") || !strings.Contains(out.String(), "WDJB-MJHT") {
		t.Errorf("the URL or the code is not printed:\n%s", out.String())
	}
	polls := p.Polls()
	if len(polls) != 3 {
		t.Fatalf("%d polls, want 3 (pending, slow_down, then the tokens)", len(polls))
	}
	// slow_down adds 5 s to the interval (RFC 8628 section 3.5).
	if gap := polls[2].Sub(polls[1]); gap < 5*time.Second {
		t.Errorf("after slow_down the next poll came %s later, want at least 6 s", gap)
	}
	fi, err := os.Stat(o.TokenFile())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(o.TokenFile())
	if !strings.Contains(string(b), `"refresh_token": "rt-`) || strings.Contains(out.String(), "rt-") {
		t.Errorf("refresh token not saved, or printed:\n%s\n%s", b, out.String())
	}
}

func TestDeviceLoginSaysWhenTheSignInWasDeclined(t *testing.T) {
	p := startProvider(t, mailtest.OAuth2ProviderOptions{DevicePolls: []string{"access_denied"}})
	o := newSignIn(t, p, &fakeClock{t: time.Now()})
	err := o.Login(ctxTimeout(t, time.Minute), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "declined") {
		t.Fatalf("Login after access_denied: %v", err)
	}
	if _, err := os.Stat(o.TokenFile()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a token file was written: %v", err)
	}
}

func TestOAuth2MailboxSignsInWithATokenRefreshedAfterItExpired(t *testing.T) {
	peer := startMemPeer(t)
	peer.append(t, "INBOX", testMessage(1))
	p := startProvider(t, mailtest.OAuth2ProviderOptions{Rotate: true, OnToken: peer.memServer.SetOAuth2Token})
	clk := &fakeClock{t: time.Now()}
	o := newSignIn(t, p, clk)
	ctx := ctxTimeout(t, time.Minute)

	cfg := peer.config(t)
	cfg.PasswordFile = ""
	cfg.Auth = mailbox.AuthOAuth2
	pc := providerConfig(p)
	cfg.OAuth2 = &pc
	logger, logs := testLogger(t)
	poller := newPoller(t, cfg, newMemCursors(), newRecorder(), &mailbox.PollerOptions{Logger: logger, OAuth2: o})

	// Before any sign-in: a clear error naming the command.
	_, err := poller.SyncOnce(ctx)
	var se *mailbox.SignInError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "not signed in yet") || !strings.Contains(err.Error(), "run foiwatch login --config /etc/foiwatch/foiwatch.toml foi") {
		t.Fatalf("before login: %v", err)
	}

	if err := o.Login(ctx, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if n, err := poller.SyncOnce(ctx); n != 1 || err != nil {
		t.Fatalf("SyncOnce with the sign-in's token = %d, %v", n, err)
	}
	if p.Refreshes() != 0 {
		t.Errorf("%d refreshes of a fresh token", p.Refreshes())
	}

	// The access token expires; the server accepts only the next one.
	clk.Add(2 * time.Hour)
	peer.append(t, "INBOX", testMessage(2))
	if n, err := poller.SyncOnce(ctx); n != 1 || err != nil {
		t.Fatalf("SyncOnce after the token expired = %d, %v", n, err)
	}
	if p.Refreshes() != 1 {
		t.Errorf("%d refreshes, want 1", p.Refreshes())
	}
	// Within its life the refreshed token is used again, not refreshed.
	if _, err := poller.SyncOnce(ctx); err != nil || p.Refreshes() != 1 {
		t.Errorf("SyncOnce with a fresh token: %v, %d refreshes", err, p.Refreshes())
	}
	// The rotated refresh token was saved: a second sign-in object (another
	// process, a restart) reading the same file refreshes with it.
	clk.Add(2 * time.Hour)
	logger2, _ := testLogger(t)
	o2, _ := mailbox.NewOAuth2("foi", providerConfig(p), o.TokenFile(), &mailbox.OAuth2Options{Now: clk.Now, Logger: logger2})
	if _, err := o2.AccessToken(ctx); err != nil {
		t.Fatalf("the saved, rotated refresh token: %v", err)
	}

	// Revoked: a SignInError naming the command, and the provider is not
	// asked again and again while the file stays as it is.
	p.Revoke()
	clk.Add(2 * time.Hour)
	_, err = poller.SyncOnce(ctx)
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "invalid_grant") || !strings.Contains(err.Error(), "run foiwatch login --config /etc/foiwatch/foiwatch.toml foi") {
		t.Fatalf("after revocation: %v", err)
	}
	asked := p.TokenRequests()
	poller.SyncOnce(ctx)
	if p.TokenRequests() != asked {
		t.Errorf("the provider was asked again after refusing the refresh token")
	}
	// Signing in again (the file changes) brings it back.
	if err := o.Login(ctx, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if _, err := poller.SyncOnce(ctx); err != nil {
		t.Fatalf("after signing in again: %v", err)
	}
	for _, secret := range []string{"at-", "rt-"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("a token (%s...) is in the log:\n%s", secret, logs.String())
		}
	}
}

func TestSMTPSendsWithTheSignInsToken(t *testing.T) {
	for _, mech := range []string{"xoauth2", "oauthbearer"} {
		t.Run(mech, func(t *testing.T) {
			sink, err := mailtest.NewSMTPSink(&mailtest.SinkOptions{Username: "researcher@example.org", Password: "unused"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sink.Close() })
			p := startProvider(t, mailtest.OAuth2ProviderOptions{OnToken: sink.SetOAuth2Token})
			clk := &fakeClock{t: time.Now()}
			o := newSignIn(t, p, clk)
			ctx := ctxTimeout(t, time.Minute)
			if err := o.Login(ctx, &bytes.Buffer{}); err != nil {
				t.Fatal(err)
			}
			s, err := mailbox.NewSender(mailbox.SMTPConfig{Address: sink.Addr(), TLS: mailbox.TLSNone, Auth: mailbox.AuthOAuth2,
				OAuth2Mechanism: mech, Username: "researcher@example.org", From: "researcher@example.org"}, &mailbox.SenderOptions{OAuth2: o})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(ctx, []string{"foi@authority.example"}, testMessage(1)); err != nil {
				t.Fatal(err)
			}
			clk.Add(2 * time.Hour) // expired: refreshed before sending
			if err := s.Send(ctx, []string{"foi@authority.example"}, testMessage(2)); err != nil {
				t.Fatal(err)
			}
			msgs := sink.Messages()
			if len(msgs) != 2 || msgs[1].AuthUser != "researcher@example.org" || p.Refreshes() != 1 {
				t.Fatalf("%d messages, %d refreshes", len(msgs), p.Refreshes())
			}
			sink.SetOAuth2Token("another")
			err = s.Send(ctx, []string{"foi@authority.example"}, testMessage(3))
			var se *mailbox.SendError
			if !errors.As(err, &se) || se.Temporary || (mech == "xoauth2" && se.Code != 535) {
				t.Fatalf("a refused token: %v, want a permanent failure (535 for XOAUTH2)", err)
			}
		})
	}
}

func TestOAuth2ConfigMistakesAreRefusedWithTheKey(t *testing.T) {
	for _, tc := range []struct {
		cfg  mailbox.OAuth2Config
		want string
	}{
		{mailbox.OAuth2Config{Provider: "yahoo", ClientID: "x"}, `provider = "yahoo" is not one of microsoft, google`},
		{mailbox.OAuth2Config{Provider: "microsoft"}, "client_id is empty"},
		{mailbox.OAuth2Config{ClientID: "x", TokenURL: "https://t.example/token"}, "set provider"},
		{mailbox.OAuth2Config{ClientID: "x", DeviceAuthURL: "http://idp.example/device", TokenURL: "https://idp.example/token"}, `device_auth_url = "http://idp.example/device": want an https URL`},
		{mailbox.OAuth2Config{Provider: "google", Tenant: "x", ClientID: "x"}, "tenant is for provider"},
	} {
		err := tc.cfg.Validate(`mailbox "foi"`)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
	ms := mailbox.OAuth2Config{Provider: "microsoft", ClientID: "x"}.WithDefaults()
	if ms.Tenant != "organizations" || ms.TokenURL != "https://login.microsoftonline.com/organizations/oauth2/v2.0/token" ||
		strings.Join(ms.Scopes, " ") != "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access" {
		t.Errorf("microsoft defaults: %+v", ms)
	}
	if g := (mailbox.OAuth2Config{Provider: "google", ClientID: "x"}).WithDefaults(); g.DeviceAuthURL != "https://oauth2.googleapis.com/device/code" || g.Scopes[0] != "https://mail.google.com/" {
		t.Errorf("google defaults: %+v", g)
	}
	cfg := mailbox.Config{Name: "foi", Address: "imap.example.org", Username: "u", Auth: "oauth2", PasswordFile: "/x",
		OAuth2: &mailbox.OAuth2Config{Provider: "google", ClientID: "x"}}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "remove password_file") {
		t.Errorf("oauth2 with a password: %v", err)
	}
}

func TestBrowserLoginComesBackToALoopbackPort(t *testing.T) {
	p := startProvider(t, mailtest.OAuth2ProviderOptions{})
	logger, _ := testLogger(t)
	cfg := mailbox.OAuth2Config{ClientID: "client-123", Flow: mailbox.FlowBrowser, AuthURL: p.AuthURL(), TokenURL: p.TokenURL()}
	o, err := mailbox.NewOAuth2("foi", cfg, filepath.Join(t.TempDir(), "oauth2", "foi.json"), &mailbox.OAuth2Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- o.Login(ctxTimeout(t, time.Minute), out) }()
	// The person opens the printed URL; the provider sends the browser back.
	var authURL string
	waitUntil(t, 10*time.Second, "the URL is printed", func() bool {
		for _, f := range strings.Fields(out.String()) {
			if strings.HasPrefix(f, p.AuthURL()) {
				authURL = f
			}
		}
		return authURL != ""
	})
	resp, err := http.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), "signed in") {
		t.Errorf("the browser was shown %q", body)
	}
	if _, err := o.AccessToken(ctxTimeout(t, time.Minute)); err != nil {
		t.Fatal(err)
	}
	if g := (mailbox.OAuth2Config{Provider: "google", ClientID: "x"}).WithDefaults(); g.Flow != mailbox.FlowBrowser || g.AuthURL != "https://accounts.google.com/o/oauth2/auth" {
		t.Errorf("google: %+v, want the browser flow (Google's device flow does not allow the Gmail scope)", g)
	}
}
