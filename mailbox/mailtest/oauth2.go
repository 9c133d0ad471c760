package mailtest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"
)

// OAuth2Provider is an OAuth2 authorization server on a loopback port with
// the two endpoints foiwatch uses: the device authorization endpoint (RFC
// 8628) and the token endpoint (the device_code and refresh_token grants).
// Its access tokens are what an IMAP or SMTP test server accepts: OnToken
// is told of each one it issues.
type OAuth2Provider struct {
	srv  *httptest.Server
	opts OAuth2ProviderOptions

	mu        sync.Mutex
	n         int
	refresh   map[string]bool // refresh tokens still valid
	devices   map[string]*device
	codes     map[string]string // authorization code → PKCE challenge
	refreshes int
	requests  int
	polls     []time.Time
	revoked   bool
}

type device struct {
	script []string // errors still to answer the polls with
}

// OAuth2ProviderOptions configure an OAuth2Provider.
type OAuth2ProviderOptions struct {
	// ClientID the provider knows; others get invalid_client.
	ClientID string
	// ClientSecret, when set, must come with every token request.
	ClientSecret string
	// ExpiresIn of each access token. Default 1 hour.
	ExpiresIn time.Duration
	// Rotate sends a new refresh token with each refresh (as Microsoft
	// does); the old one stops working.
	Rotate bool
	// DevicePolls are the errors the token endpoint answers a device code's
	// polls with, in order, before it issues tokens (the person signing in
	// has not finished yet): "authorization_pending", "slow_down",
	// "access_denied", "expired_token".
	DevicePolls []string
	// OnToken is told of each access token issued.
	OnToken func(token string)
}

// NewOAuth2Provider starts a provider on 127.0.0.1.
func NewOAuth2Provider(opts OAuth2ProviderOptions) *OAuth2Provider {
	if opts.ExpiresIn == 0 {
		opts.ExpiresIn = time.Hour
	}
	p := &OAuth2Provider{opts: opts, refresh: map[string]bool{}, devices: map[string]*device{}, codes: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /device", p.device)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	return p
}

// AuthURL is the authorization endpoint of the browser flow: it signs the
// person in at once and sends the browser back to redirect_uri with a code.
func (p *OAuth2Provider) AuthURL() string { return p.srv.URL + "/authorize" }

func (p *OAuth2Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || q.Get("client_id") != p.opts.ClientID || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.n++
	code := fmt.Sprintf("ac-%d", p.n)
	p.codes[code] = q.Get("code_challenge")
	p.mu.Unlock()
	v := redirect.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	redirect.RawQuery = v.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// DeviceAuthURL and TokenURL are the endpoints.
func (p *OAuth2Provider) DeviceAuthURL() string { return p.srv.URL + "/device" }
func (p *OAuth2Provider) TokenURL() string      { return p.srv.URL + "/token" }

// Close stops the provider.
func (p *OAuth2Provider) Close() { p.srv.Close() }

// Revoke makes every refresh token issued so far invalid (invalid_grant),
// as a password change or an administrator's revocation does.
func (p *OAuth2Provider) Revoke() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refresh = map[string]bool{}
	p.revoked = true
}

// Refreshes is how many refresh_token grants were answered with tokens.
func (p *OAuth2Provider) Refreshes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refreshes
}

// TokenRequests is how many requests the token endpoint answered, refused
// ones included.
func (p *OAuth2Provider) TokenRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// Polls are the times of the device-code polls.
func (p *OAuth2Provider) Polls() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.polls...)
}

// IssueRefreshToken makes a refresh token, as if someone had signed in.
func (p *OAuth2Provider) IssueRefreshToken() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	rt := fmt.Sprintf("rt-%d", p.n)
	p.refresh[rt] = true
	return rt
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (p *OAuth2Provider) device(w http.ResponseWriter, r *http.Request) {
	if r.FormValue("client_id") != p.opts.ClientID {
		oauthError(w, http.StatusBadRequest, "invalid_client", "unknown client")
		return
	}
	p.mu.Lock()
	p.n++
	code := fmt.Sprintf("dc-%d", p.n)
	p.devices[code] = &device{script: append([]string(nil), p.opts.DevicePolls...)}
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"device_code": code, "user_code": "WDJB-MJHT", "verification_uri": p.srv.URL + "/activate",
		"expires_in": 600, "interval": 1,
	})
}

func (p *OAuth2Provider) token(w http.ResponseWriter, r *http.Request) {
	if r.FormValue("client_id") != p.opts.ClientID {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client")
		return
	}
	if p.opts.ClientSecret != "" && r.FormValue("client_secret") != p.opts.ClientSecret {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "wrong client secret")
		return
	}
	p.mu.Lock()
	p.requests++
	switch r.FormValue("grant_type") {
	case "urn:ietf:params:oauth:grant-type:device_code":
		p.polls = append(p.polls, time.Now())
		d := p.devices[r.FormValue("device_code")]
		if d == nil {
			p.mu.Unlock()
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown device code")
			return
		}
		if len(d.script) > 0 {
			e := d.script[0]
			d.script = d.script[1:]
			p.mu.Unlock()
			oauthError(w, http.StatusBadRequest, e, "")
			return
		}
		delete(p.devices, r.FormValue("device_code"))
	case "authorization_code":
		challenge, ok := p.codes[r.FormValue("code")]
		sum := sha256.Sum256([]byte(r.FormValue("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
			p.mu.Unlock()
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown code or wrong code_verifier")
			return
		}
		delete(p.codes, r.FormValue("code"))
	case "refresh_token":
		rt := r.FormValue("refresh_token")
		if !p.refresh[rt] {
			p.mu.Unlock()
			oauthError(w, http.StatusBadRequest, "invalid_grant", "AADSTS700082: The refresh token has expired or was revoked.\r\nTrace ID: 0")
			return
		}
		p.refreshes++
		if p.opts.Rotate {
			delete(p.refresh, rt)
		} else {
			p.n++
			at := fmt.Sprintf("at-%d", p.n)
			p.mu.Unlock()
			p.issue(w, at, "")
			return
		}
	default:
		p.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	p.n++
	at := fmt.Sprintf("at-%d", p.n)
	p.n++
	rt := fmt.Sprintf("rt-%d", p.n)
	p.refresh[rt] = true
	p.mu.Unlock()
	p.issue(w, at, rt)
}

func (p *OAuth2Provider) issue(w http.ResponseWriter, at, rt string) {
	if p.opts.OnToken != nil {
		p.opts.OnToken(at)
	}
	resp := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": int(p.opts.ExpiresIn.Seconds())}
	if rt != "" {
		resp["refresh_token"] = rt
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}
