package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/mailbox/mailtest"
	"github.com/foiwatch/foiwatch/worker"
	"github.com/foiwatch/foiwatch/worker/demo"
)

// An OAuth2 mailbox and [smtp] through its sign-in, configured as an
// operator would; /readyz names the login command once the provider
// refuses the refresh token.
func TestOAuth2SignInServesIMAPAndSMTPAndReadyzNamesTheLoginCommand(t *testing.T) {
	imap, err := mailtest.NewMemServer("researcher@requests.example.org", "unused-password")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { imap.Close() })
	sink, err := mailtest.NewSMTPSink(&mailtest.SinkOptions{Username: "researcher@requests.example.org", Password: "unused"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	provider := mailtest.NewOAuth2Provider(mailtest.OAuth2ProviderOptions{ClientID: "client-123", OnToken: func(tok string) {
		imap.SetOAuth2Token(tok)
		sink.SetOAuth2Token(tok)
	}})
	t.Cleanup(provider.Close)

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "campaign.toml"), []byte(demo.CampaignTOML()), 0o600)
	cfgPath := filepath.Join(dir, "foiwatch.toml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(`data_dir = "data"
campaigns = ["campaign.toml"]
[http]
listen = ""
[[mailboxes]]
name = "foi"
address = %q
tls = "none"
username = "researcher@requests.example.org"
auth = "oauth2"
[mailboxes.oauth2]
client_id = "client-123"
device_auth_url = %q
token_url = %q
scopes = ["imap", "smtp", "offline_access"]
[smtp]
address = %q
tls = "none"
auth = "oauth2"
username = "researcher@requests.example.org"
from = "researcher@requests.example.org"
[reminders]
to = ["researcher@requests.example.org"]
`, imap.Addr(), provider.DeviceAuthURL(), provider.TokenURL(), sink.Addr())), 0o600)
	cfg, err := worker.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d, err := worker.Open(ctx, cfg, &worker.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), NoListen: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.SignIn("foi").Login(ctx, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "data", "oauth2", "foi.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", fi, err)
	}
	imap.Append("INBOX", []byte("From: foi@borsetshire.example.gov.uk\r\nSubject: hello\r\nMessage-ID: <a@b>\r\n\r\nhello\r\n"))
	if res, err := d.Sync(ctx); err != nil || res.Fetched != 1 {
		t.Fatalf("sync over OAuth2: %+v %v", res, err)
	}
	// The digest goes through the same sign-in (2024-06-12: the demo's
	// requests are late).
	if _, err := d.Remind(ctx, mustTime("2024-06-12T09:00:00+01:00"), false); err != nil {
		t.Fatalf("remind over OAuth2 SMTP: %v", err)
	}
	if m := sink.Messages(); len(m) != 1 || m[0].AuthUser != "researcher@requests.example.org" {
		t.Fatalf("sink got %+v", m)
	}

	// Revoked and expired: /readyz says what to run.
	provider.Revoke()
	os.WriteFile(filepath.Join(dir, "data", "oauth2", "foi.json"), bytes.Replace(mustRead(t, filepath.Join(dir, "data", "oauth2", "foi.json")), []byte(`"access_token"`), []byte(`"old_access_token"`), 1), 0o600)
	if _, err := d.Sync(ctx); err == nil {
		t.Fatal("sync with a revoked refresh token succeeded")
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/readyz", nil)
	req.Host = "127.0.0.1:8080" // the HTTP side answers to loopback names only (not httptest's example.com)
	d.HTTPHandler().ServeHTTP(rec, req)
	var rd worker.Readiness
	json.Unmarshal(rec.Body.Bytes(), &rd)
	want := "run foiwatch login --config " + cfgPath + " foi"
	if rec.Code != 503 || rd.Ready || !strings.Contains(rd.OAuth2["foi"], want) || !strings.Contains(rd.OAuth2["foi"], "invalid_grant") {
		t.Errorf("/readyz %d: %s\nwant it to name %q", rec.Code, rec.Body.String(), want)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
