package mailbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"
)

// OAuth2 providers for [OAuth2Config.Provider].
const (
	ProviderMicrosoft = "microsoft"
	ProviderGoogle    = "google"
)

// Auth modes for [Config.Auth] and [SMTPConfig.Auth].
const (
	AuthPassword = "password"
	AuthOAuth2   = "oauth2"
)

// Scopes a provider's sign-in asks for when [OAuth2Config.Scopes] is empty:
// IMAP and SMTP together, so one sign-in serves the mailbox and [smtp].
var (
	MicrosoftScopes = []string{"https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"}
	GoogleScopes    = []string{"https://mail.google.com/"}
)

// OAuth2Config is the [mailboxes.oauth2] table: how foiwatch signs in to a
// mailbox with OAuth2 (auth = "oauth2"). The sign-in is done once by a
// person with `foiwatch login` (the device-code flow: a URL and a code to
// type in a browser anywhere); foiwatch keeps the refresh token in data_dir
// and gets fresh access tokens from it by itself.
type OAuth2Config struct {
	// Provider is "microsoft" (Microsoft 365, Outlook.com), "google"
	// (Gmail, Google Workspace) or "" with DeviceAuthURL and TokenURL set.
	Provider string `toml:"provider" json:"provider"`
	// Tenant, for microsoft: the directory (tenant) id or domain, or
	// "organizations" (any work or school account) or "consumers"
	// (Outlook.com). Default "organizations".
	Tenant string `toml:"tenant" json:"tenant,omitempty"`
	// ClientID of the application registered with the provider. Required.
	ClientID string `toml:"client_id" json:"client_id"`
	// ClientSecretFile or ClientSecretEnv holds the client secret, where the
	// provider gives one (Google's "TVs and Limited Input devices" clients
	// do; a Microsoft public client has none). Default: no secret.
	ClientSecretFile string `toml:"client_secret_file" json:"client_secret_file,omitempty"`
	ClientSecretEnv  string `toml:"client_secret_env" json:"client_secret_env,omitempty"`
	// Scopes asked for. Default: MicrosoftScopes or GoogleScopes.
	Scopes []string `toml:"scopes" json:"scopes,omitempty"`
	// Flow is how `foiwatch login` signs in: "device" (a URL and a code to
	// type in a browser on any device; RFC 8628) or "browser" (a URL to
	// open in a browser on this machine, which comes back to a port on
	// 127.0.0.1; RFC 8252, with PKCE). Default "device", but "browser" for
	// google: Google's device flow does not allow the Gmail scope.
	Flow string `toml:"flow" json:"flow,omitempty"`
	// DeviceAuthURL, AuthURL (for flow = "browser") and TokenURL are the
	// endpoints of another provider (https, or http to a loopback host).
	// Default: the provider's.
	DeviceAuthURL string `toml:"device_auth_url" json:"device_auth_url,omitempty"`
	AuthURL       string `toml:"auth_url" json:"auth_url,omitempty"`
	TokenURL      string `toml:"token_url" json:"token_url,omitempty"`
}

// Flows of [OAuth2Config.Flow].
const (
	FlowDevice  = "device"
	FlowBrowser = "browser"
)

// WithDefaults returns c with the provider's endpoints, tenant and scopes.
func (c OAuth2Config) WithDefaults() OAuth2Config {
	var ep oauth2.Endpoint
	switch c.Provider {
	case ProviderMicrosoft:
		if c.Tenant == "" {
			c.Tenant = "organizations"
		}
		ep = endpoints.AzureAD(c.Tenant)
		if len(c.Scopes) == 0 {
			c.Scopes = MicrosoftScopes
		}
	case ProviderGoogle:
		ep = endpoints.Google
		if len(c.Scopes) == 0 {
			c.Scopes = GoogleScopes
		}
		if c.Flow == "" {
			c.Flow = FlowBrowser
		}
	}
	if c.Flow == "" {
		c.Flow = FlowDevice
	}
	if c.DeviceAuthURL == "" {
		c.DeviceAuthURL = ep.DeviceAuthURL
	}
	if c.AuthURL == "" {
		c.AuthURL = ep.AuthURL
	}
	if c.TokenURL == "" {
		c.TokenURL = ep.TokenURL
	}
	c.Scopes = append([]string(nil), c.Scopes...)
	return c
}

// Validate says what is wrong with c, each as a sentence naming the key.
func (c OAuth2Config) Validate(section string) error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(section+": oauth2: "+format, args...))
	}
	switch c.Provider {
	case ProviderMicrosoft, ProviderGoogle:
	case "":
		if c.TokenURL == "" || (c.DeviceAuthURL == "" && c.AuthURL == "") {
			bad("set provider = \"microsoft\" or \"google\", or token_url and device_auth_url (or auth_url with flow = \"browser\")")
		}
	default:
		bad("provider = %q is not one of microsoft, google (or leave it out and set device_auth_url and token_url)", c.Provider)
	}
	if c.Tenant != "" && c.Provider != ProviderMicrosoft {
		bad("tenant is for provider = \"microsoft\" only")
	}
	if c.ClientID == "" {
		bad("client_id is empty: register an application with the provider (README: Running a campaign from start to finish) and put its client id here")
	}
	if c.ClientSecretFile != "" && c.ClientSecretEnv != "" {
		bad("set only one of client_secret_file, client_secret_env")
	}
	if c.Flow != "" && c.Flow != FlowDevice && c.Flow != FlowBrowser {
		bad("flow = %q is not one of device, browser", c.Flow)
	}
	c = c.WithDefaults()
	urls := map[string]string{"token_url": c.TokenURL}
	switch c.Flow {
	case FlowDevice:
		urls["device_auth_url"] = c.DeviceAuthURL
	case FlowBrowser:
		urls["auth_url"] = c.AuthURL
	}
	for key, u := range urls {
		if u == "" && c.Provider == "" {
			bad("flow = %q needs %s", c.Flow, key)
		} else if err := checkEndpoint(u); err != nil {
			bad("%s = %q: %v", key, u, err)
		}
	}
	return errors.Join(errs...)
}

// checkEndpoint refuses an endpoint a token could leak from: plain http
// is allowed only to a loopback host (tests, a local proxy).
func checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("not an absolute URL")
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return errors.New("want an https URL (http only to a loopback host)")
}

// OAuth2Options are the optional parts of an OAuth2 sign-in.
type OAuth2Options struct {
	// LoginHint is the command a person runs to sign in again, put into
	// every error that needs one, e.g. "foiwatch login --config
	// /etc/foiwatch/foiwatch.toml foi". Default "foiwatch login MAILBOX".
	LoginHint string
	// HTTPClient for the provider's endpoints. Default: 30 s timeout.
	HTTPClient *http.Client
	// Logger. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock, for tests. Default time.Now.
	Now func() time.Time
}

// RefreshMargin is how long before its expiry an access token is replaced:
// a token handed out is good for at least this long (an IMAP login, an
// SMTP session).
const RefreshMargin = 5 * time.Minute

// SignInError says that a person must sign in (again) with `foiwatch
// login`: there is no refresh token yet, or the provider refused it
// (expired, revoked, password changed, consent withdrawn). Retrying does
// not help until they have.
type SignInError struct {
	Mailbox string
	Reason  string
	Hint    string // the command to run
}

func (e *SignInError) Error() string {
	return fmt.Sprintf("mailbox %q: OAuth2 sign-in needed: %s: run %s", e.Mailbox, e.Reason, e.Hint)
}

// IsSignInNeeded reports whether err is, or wraps, a *SignInError.
func IsSignInNeeded(err error) bool {
	var se *SignInError
	return errors.As(err, &se)
}

// storedToken is the token file in data_dir (mode 0600). It records what
// the token was issued for, so that a changed client id or provider asks
// for a new sign-in instead of failing obscurely.
type storedToken struct {
	Mailbox      string    `json:"mailbox"`
	ClientID     string    `json:"client_id"`
	TokenURL     string    `json:"token_url"`
	Scopes       []string  `json:"scopes"`
	RefreshToken string    `json:"refresh_token"`
	AccessToken  string    `json:"access_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	SignedInAt   time.Time `json:"signed_in_at"`
	RefreshedAt  time.Time `json:"refreshed_at,omitzero"`
}

// OAuth2 is the OAuth2 sign-in of one mailbox: it keeps the refresh token
// in a file and hands out access tokens, refreshed before they expire. It
// is safe for concurrent use, and several processes (the daemon, an
// operator command) may share the file: a refresh holds an flock on
// FILE.lock and reads the file again first, so that a token another
// process just refreshed is used rather than refreshed once more.
//
// Implementation notes:
//
//   - The file is re-read whenever its modification time or size changed,
//     so `foiwatch login` run while the daemon runs takes effect at the
//     next connection, and a refusal is forgotten.
//   - A refresh token the provider refused (invalid_grant and the like) is
//     remembered with the file's state: until the file changes, AccessToken
//     fails at once with the same SignInError and does not ask the provider
//     again, however often a poller reconnects.
//   - The file is written to a temporary file and renamed, so a reader
//     never sees half a token; a rotated refresh token (Microsoft sends a
//     new one with each refresh) is saved before the access token is used.
type OAuth2 struct {
	mailbox string
	cfg     OAuth2Config
	path    string
	hint    string
	client  *http.Client
	log     *slog.Logger
	now     func() time.Time

	mu        sync.Mutex
	tok       *storedToken
	fileState fileState // of the file tok was read from
	refused   *SignInError
	refusedAt fileState
	lastErr   error
	lastOK    time.Time
}

type fileState struct {
	mod  time.Time
	size int64
	ok   bool
}

func statFile(path string) fileState {
	fi, err := os.Stat(path)
	if err != nil {
		return fileState{}
	}
	return fileState{mod: fi.ModTime(), size: fi.Size(), ok: true}
}

// NewOAuth2 returns the sign-in of mailbox, its token kept in tokenFile.
// It reads nothing and does not connect.
func NewOAuth2(mailbox string, cfg OAuth2Config, tokenFile string, opts *OAuth2Options) (*OAuth2, error) {
	if err := cfg.Validate(fmt.Sprintf("mailbox %q", mailbox)); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &OAuth2Options{}
	}
	o := &OAuth2{mailbox: mailbox, cfg: cfg.WithDefaults(), path: tokenFile, hint: opts.LoginHint,
		client: opts.HTTPClient, log: opts.Logger, now: opts.Now}
	if o.hint == "" {
		o.hint = "foiwatch login " + mailbox
	}
	if o.client == nil {
		o.client = &http.Client{Timeout: 30 * time.Second}
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	if o.now == nil {
		o.now = time.Now
	}
	return o, nil
}

// TokenFile is where the refresh token is kept.
func (o *OAuth2) TokenFile() string { return o.path }

// Mailbox is the name of the mailbox the sign-in is for.
func (o *OAuth2) Mailbox() string { return o.mailbox }

func (o *OAuth2) config() (*oauth2.Config, error) {
	// The client id (and secret) go in the form, as RFC 8628 has public
	// clients do and Microsoft and Google take them: x/oauth2's automatic
	// choice would try a header first and, on any error, the same request
	// again, which answers a device-code poll twice.
	oc := &oauth2.Config{ClientID: o.cfg.ClientID, Scopes: o.cfg.Scopes,
		Endpoint: oauth2.Endpoint{DeviceAuthURL: o.cfg.DeviceAuthURL, AuthURL: o.cfg.AuthURL, TokenURL: o.cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
	if o.cfg.ClientSecretFile != "" || o.cfg.ClientSecretEnv != "" {
		s, err := readSecret(o.cfg.ClientSecretFile, o.cfg.ClientSecretEnv)
		if err != nil {
			return nil, fmt.Errorf("mailbox %q: oauth2 client secret: %w", o.mailbox, err)
		}
		oc.ClientSecret = s
	}
	return oc, nil
}

func (o *OAuth2) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, o.client)
}

func (o *OAuth2) signIn(reason string) *SignInError {
	return &SignInError{Mailbox: o.mailbox, Reason: reason, Hint: o.hint}
}

// readFile loads the token file when it changed since last read. Callers
// hold o.mu.
func (o *OAuth2) readFile() error {
	st := statFile(o.path)
	if st == o.fileState && o.tok != nil {
		return nil
	}
	b, err := os.ReadFile(o.path)
	if errors.Is(err, os.ErrNotExist) {
		o.tok, o.fileState = nil, st
		return o.signIn("not signed in yet (no token in " + o.path + ")")
	}
	if err != nil {
		return fmt.Errorf("mailbox %q: read OAuth2 token: %w", o.mailbox, err)
	}
	var t storedToken
	if err := json.Unmarshal(b, &t); err != nil || t.RefreshToken == "" {
		return o.signIn(o.path + " holds no refresh token")
	}
	if t.ClientID != o.cfg.ClientID || t.TokenURL != o.cfg.TokenURL {
		return o.signIn("the token in " + o.path + " was issued for another client_id or provider than the config names")
	}
	o.tok, o.fileState = &t, st
	return nil
}

// AccessToken returns an access token valid for at least RefreshMargin,
// refreshing it (and saving a rotated refresh token) when needed. A
// *SignInError means a person must run `foiwatch login`.
func (o *OAuth2) AccessToken(ctx context.Context) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	tok, err := o.accessToken(ctx)
	o.lastErr = err
	if err == nil {
		o.lastOK = o.now()
	}
	return tok, err
}

func (o *OAuth2) fresh(t *storedToken) bool {
	return t != nil && t.AccessToken != "" && t.Expiry.After(o.now().Add(RefreshMargin))
}

func (o *OAuth2) accessToken(ctx context.Context) (string, error) {
	if o.refused != nil && statFile(o.path) == o.refusedAt {
		return "", o.refused
	}
	o.refused = nil
	if err := o.readFile(); err != nil {
		return "", err
	}
	if o.fresh(o.tok) {
		return o.tok.AccessToken, nil
	}
	// Refresh under the file lock; another process may have done it.
	unlock, err := lockFile(o.path + ".lock")
	if err != nil {
		return "", fmt.Errorf("mailbox %q: lock %s: %w", o.mailbox, o.path+".lock", err)
	}
	defer unlock()
	o.fileState = fileState{} // read again under the lock
	if err := o.readFile(); err != nil {
		return "", err
	}
	if o.fresh(o.tok) {
		return o.tok.AccessToken, nil
	}
	oc, err := o.config()
	if err != nil {
		return "", err
	}
	nt, err := oc.TokenSource(o.ctx(ctx), &oauth2.Token{RefreshToken: o.tok.RefreshToken}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode != "" && re.ErrorCode != "temporarily_unavailable" && re.Response != nil && re.Response.StatusCode < 500 {
			why := re.ErrorCode
			if re.ErrorDescription != "" {
				why += ": " + firstLine(re.ErrorDescription)
			}
			o.refused = o.signIn("the provider refused the refresh token (" + why + ")")
			o.refusedAt = statFile(o.path)
			o.log.Error("OAuth2 refresh token refused; a person must sign in again", "mailbox", o.mailbox, "err", o.refused)
			return "", o.refused
		}
		// Network trouble, a 5xx: try again later.
		return "", fmt.Errorf("mailbox %q: refresh the OAuth2 access token at %s: %w", o.mailbox, o.cfg.TokenURL, scrub(err))
	}
	t := *o.tok
	t.AccessToken, t.TokenType, t.Expiry, t.RefreshedAt = nt.AccessToken, nt.TokenType, o.expiry(nt), o.now().UTC()
	if nt.RefreshToken != "" {
		t.RefreshToken = nt.RefreshToken
	}
	if err := writeToken(o.path, &t); err != nil {
		return "", fmt.Errorf("mailbox %q: save the refreshed OAuth2 token: %w", o.mailbox, err)
	}
	o.tok, o.fileState = &t, statFile(o.path)
	o.log.Info("OAuth2 access token refreshed", "mailbox", o.mailbox, "expires", t.Expiry.UTC().Format(time.RFC3339))
	return t.AccessToken, nil
}

// expiry is when an access token expires, on this sign-in's clock: from
// expires_in, or an hour (the usual life) when the provider gave none.
func (o *OAuth2) expiry(t *oauth2.Token) time.Time {
	if t.ExpiresIn > 0 {
		return o.now().Add(time.Duration(t.ExpiresIn) * time.Second).UTC()
	}
	if !t.Expiry.IsZero() {
		return t.Expiry.UTC()
	}
	return o.now().Add(time.Hour).UTC()
}

// Forget drops the cached access token after a server refused it, so the
// next AccessToken gets a new one.
func (o *OAuth2) Forget() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.tok != nil {
		t := *o.tok
		t.AccessToken, t.Expiry = "", time.Time{}
		o.tok = &t
	}
}

// Status says, for /readyz, whether the sign-in works: "" when the last
// attempt gave a token (or none was made), else what is wrong.
func (o *OAuth2) Status() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.lastErr != nil {
		return o.lastErr.Error()
	}
	return ""
}

// ExpiresSoon reports whether the cached access token expires within d
// (or there is none), for a refresher that keeps one ready.
func (o *OAuth2) ExpiresSoon(d time.Duration) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.tok == nil || o.tok.AccessToken == "" || !o.tok.Expiry.After(o.now().Add(d))
}

// Login signs in a person and saves the refresh token, by the configured
// flow. The device-code flow (RFC 8628) asks the provider for a code,
// prints the URL and the code to w for a person to enter in a browser (on
// any device), and polls until they have, slowing down when the provider
// says so. The browser flow prints a URL to open on this machine and waits
// for the provider to send the browser back to a port on 127.0.0.1.
func (o *OAuth2) Login(ctx context.Context, w io.Writer) error {
	oc, err := o.config()
	if err != nil {
		return err
	}
	ctx = o.ctx(ctx)
	var nt *oauth2.Token
	if o.cfg.Flow == FlowBrowser {
		nt, err = o.browserLogin(ctx, oc, w)
	} else {
		nt, err = o.deviceLogin(ctx, oc, w)
	}
	if err != nil {
		return err
	}
	return o.save(nt, w)
}

func (o *OAuth2) deviceLogin(ctx context.Context, oc *oauth2.Config, w io.Writer) (*oauth2.Token, error) {
	da, err := oc.DeviceAuth(ctx)
	if err != nil {
		return nil, fmt.Errorf("mailbox %q: ask %s for a sign-in code: %w", o.mailbox, o.cfg.DeviceAuthURL, scrub(err))
	}
	uri := da.VerificationURI
	fmt.Fprintf(w, "To let foiwatch read mailbox %q (and send through it), open\n\n    %s\n\nin a browser, on any device, and enter the code\n\n    %s\n\n", o.mailbox, uri, da.UserCode)
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(w, "(or open %s, which has the code in it)\n\n", da.VerificationURIComplete)
	}
	if !da.Expiry.IsZero() {
		fmt.Fprintf(w, "Sign in as the mailbox's user. The code is valid until %s. Waiting...\n", da.Expiry.Local().Format("15:04:05"))
	}
	nt, err := oc.DeviceAccessToken(ctx, da)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			switch re.ErrorCode {
			case "access_denied":
				return nil, fmt.Errorf("mailbox %q: the sign-in was declined in the browser", o.mailbox)
			case "expired_token":
				return nil, fmt.Errorf("mailbox %q: the code expired before the sign-in was finished: run the command again", o.mailbox)
			}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("mailbox %q: the code expired before the sign-in was finished: run the command again", o.mailbox)
		}
		return nil, fmt.Errorf("mailbox %q: sign-in at %s: %w", o.mailbox, o.cfg.TokenURL, scrub(err))
	}
	return nt, nil
}

// save keeps the tokens of a sign-in.
func (o *OAuth2) save(nt *oauth2.Token, w io.Writer) error {
	if nt.RefreshToken == "" {
		return fmt.Errorf("mailbox %q: the provider gave no refresh token, so foiwatch could not stay signed in: ask for offline access (Microsoft: add the scope offline_access)", o.mailbox)
	}
	now := o.now().UTC()
	t := &storedToken{Mailbox: o.mailbox, ClientID: o.cfg.ClientID, TokenURL: o.cfg.TokenURL, Scopes: o.cfg.Scopes,
		RefreshToken: nt.RefreshToken, AccessToken: nt.AccessToken, TokenType: nt.TokenType, Expiry: o.expiry(nt), SignedInAt: now}
	unlock, err := lockFile(o.path + ".lock")
	if err != nil {
		return fmt.Errorf("mailbox %q: lock %s: %w", o.mailbox, o.path+".lock", err)
	}
	defer unlock()
	if err := writeToken(o.path, t); err != nil {
		return fmt.Errorf("mailbox %q: save the OAuth2 token: %w", o.mailbox, err)
	}
	o.mu.Lock()
	o.tok, o.fileState, o.refused, o.lastErr = t, statFile(o.path), nil, nil
	o.mu.Unlock()
	fmt.Fprintf(w, "Signed in. The refresh token is kept in %s (readable by its owner only).\n", o.path)
	return nil
}

// scrub keeps a token endpoint's error short: the error of x/oauth2 can
// carry the whole response body.
func scrub(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		msg := "refused"
		if re.Response != nil {
			msg = fmt.Sprintf("HTTP %d", re.Response.StatusCode)
		}
		if re.ErrorCode != "" {
			msg += ": " + re.ErrorCode
		}
		if re.ErrorDescription != "" {
			msg += ": " + firstLine(re.ErrorDescription)
		}
		return errors.New(msg)
	}
	return err
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}

// writeToken writes t to path with mode 0600 (its folder 0700), by a
// temporary file and a rename. Run as root on a data_dir owned by another
// user (the service's), the files are given to that user, so that the
// service can read and refresh them.
func writeToken(path string, t *storedToken) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".token-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	giveToOwnerOf(filepath.Dir(dir), dir, tmp)
	return os.Rename(tmp, path)
}

// giveToOwnerOf chowns paths to the owner of parent when running as root.
func giveToOwnerOf(parent string, paths ...string) {
	if os.Geteuid() != 0 {
		return
	}
	fi, err := os.Stat(parent)
	if err != nil {
		return
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return
	}
	for _, p := range paths {
		_ = os.Lchown(p, int(st.Uid), int(st.Gid))
	}
}

// lockFile takes an exclusive flock on path (created 0600), waiting for
// another process that holds it.
func lockFile(path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	giveToOwnerOf(filepath.Dir(filepath.Dir(path)), path)
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// browserLogin is the authorization-code flow of a native app (RFC 8252):
// PKCE, a redirect to a port on 127.0.0.1 opened for the one answer, the
// state checked. The browser must run on this machine (or reach the port
// through ssh -L).
func (o *OAuth2) browserLogin(ctx context.Context, oc *oauth2.Config, w io.Writer) (*oauth2.Token, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("mailbox %q: listen for the sign-in's answer: %w", o.mailbox, err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	oc.RedirectURL = fmt.Sprintf("http://127.0.0.1:%d/", port)
	verifier := oauth2.GenerateVerifier()
	b := make([]byte, 16)
	rand.Read(b)
	state := hex.EncodeToString(b)
	authURL := oc.AuthCodeURL(state, oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "consent"))

	type answer struct{ code, err string }
	answers := make(chan answer, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("state") != state {
			http.Error(rw, "foiwatch: this answer is not for the sign-in now waiting", http.StatusBadRequest)
			return
		}
		a := answer{code: q.Get("code"), err: q.Get("error")}
		if a.code == "" && a.err == "" {
			a.err = "no code in the answer"
		}
		if a.err != "" {
			fmt.Fprintf(rw, "foiwatch: the sign-in did not work (%s). You can close this window.\n", a.err)
		} else {
			fmt.Fprintln(rw, "foiwatch: signed in. You can close this window.")
		}
		select {
		case answers <- a:
		default:
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	fmt.Fprintf(w, "To let foiwatch read mailbox %q (and send through it), open this URL in a browser on this machine\n(from another machine: ssh -L %d:127.0.0.1:%d to this one first), and sign in as the mailbox's user:\n\n    %s\n\nWaiting...\n", o.mailbox, port, port, authURL)
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	var a answer
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("mailbox %q: no sign-in within 15 minutes: run the command again", o.mailbox)
	case a = <-answers:
	}
	if a.err != "" {
		if a.err == "access_denied" {
			return nil, fmt.Errorf("mailbox %q: the sign-in was declined in the browser", o.mailbox)
		}
		return nil, fmt.Errorf("mailbox %q: the sign-in failed: %s", o.mailbox, a.err)
	}
	nt, err := oc.Exchange(ctx, a.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("mailbox %q: sign-in at %s: %w", o.mailbox, o.cfg.TokenURL, scrub(err))
	}
	return nt, nil
}
