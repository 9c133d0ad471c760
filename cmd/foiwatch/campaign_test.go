package main

// The whole campaign from foiwatch, as processes: import a CSV, send the
// requests (killed in the middle, sent again, none twice), match the
// replies by thread; SIGHUP adds a campaign to a running daemon.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"

	"github.com/foiwatch/foiwatch/mailbox/mailtest"
	"github.com/foiwatch/foiwatch/worker"
)

const campaignQuestions = `id = "referrals"
title = "Referrals 2023/24"
period = "2023/24"

[[questions]]
key = "referrals"
number = 1
type = "count"
text = "The total number of people referred into the programme"
`

const campaignCSV = `name,email
Office of the Police and Crime Commissioner for Borsetshire,foi@borsetshire-pcc.example.gov.uk
Office of the Police and Crime Commissioner for Ambridge,foi@ambridge-pcc.example.gov.uk
Office of the Police and Crime Commissioner for Felpersham,foi@felpersham-pcc.example.gov.uk
Office of the Police and Crime Commissioner for Loxley,foi@loxley-pcc.example.gov.uk
Office of the Police and Crime Commissioner for Hollerton,foi@hollerton-pcc.example.gov.uk
`

// runBinary runs the foiwatch binary to the end and returns its exit
// status and output.
func runBinary(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func TestACampaignIsImportedSentOnceAcrossAKillAndItsRepliesThread(t *testing.T) {
	bin := foiwatchBinary(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "questions.toml"), []byte(campaignQuestions), 0o600)
	os.WriteFile(filepath.Join(dir, "authorities.csv"), []byte(campaignCSV), 0o600)
	camp := filepath.Join(dir, "campaigns", "referrals.toml")
	os.MkdirAll(filepath.Dir(camp), 0o700)
	code, out, errOut := foiwatch(t, "campaign", "import", "--authorities", filepath.Join(dir, "authorities.csv"),
		"--questions", filepath.Join(dir, "questions.toml"), "--reply-to", "foi+{id}@requests.example.org", "-o", camp)
	if code != 0 || !strings.Contains(out, "5 requests") {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}

	sink, err := mailtest.NewSMTPSink(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	imap := memMailbox(t, "imap-secret")
	cfg := writeConfig(t, dir, imap.Addr(), imap.Username(), "imap-secret", fmt.Sprintf(`
[smtp]
address = %q
tls = "none"
from = "Alex Researcher <researcher@requests.example.org>"
[requester]
name = "Alex Researcher"
`, sink.Addr()))
	// writeConfig names the demo campaign; this test's is in campaigns/.
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, bytes.Replace(b, []byte(`campaigns = ["campaign.toml"]`), []byte(`campaigns = ["campaigns/*.toml"]`), 1), 0o600)

	code, out, _ = foiwatch(t, "status", "--config", cfg)
	if code != 0 || strings.Count(out, "not_sent") != 5 || !strings.Contains(out, "5 request(s) not sent yet") {
		t.Fatalf("status before sending: %d\n%s", code, out)
	}

	// The third message is held at DATA; the sender is killed while it
	// waits for the server's answer.
	held := sink.HoldData(2)
	cmd := exec.Command(bin, "send", "--config", cfg, "--campaign", "referrals")
	var firstOut syncBuffer
	cmd.Stdout, cmd.Stderr = &firstOut, &firstOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("no message reached DATA:\n%s", firstOut.String())
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	sink.Release()
	if n := len(sink.Messages()); n != 2 {
		t.Fatalf("%d messages before the kill, want 2", n)
	}

	// Started again (after the dead run's lease expired): the two sent are
	// not sent again, the held one may have arrived and is not sent again,
	// the last two go.
	code, out, errOut = runBinary(t, bin, "send", "--config", cfg, "--campaign", "referrals")
	if code != 1 || !strings.Contains(out, "UNCERTAIN  felpersham") || !strings.Contains(errOut, "--only REQUEST --resend") {
		t.Fatalf("second send: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := len(sink.Messages()); n != 4 {
		t.Fatalf("%d messages after the second send, want 4", n)
	}
	_, out, _ = foiwatch(t, "status", "--config", cfg)
	if !strings.Contains(out, "send_uncertain") || strings.Contains(out, "not_sent") {
		t.Errorf("status after the second send:\n%s", out)
	}
	// The operator checked the Sent folder: it did not go.
	code, out, errOut = runBinary(t, bin, "send", "--config", cfg, "--campaign", "referrals", "--only", "felpersham", "--resend")
	if code != 0 {
		t.Fatalf("resend: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runBinary(t, bin, "send", "--config", cfg, "--campaign", "referrals")
	if code != 0 || !strings.Contains(out, "0 sent") {
		t.Fatalf("a send with nothing left: exit %d\n%s", code, out)
	}
	msgs := sink.Messages()
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.To[0]]++
	}
	if len(msgs) != 5 || len(seen) != 5 {
		t.Fatalf("sent %d messages to %v: want each of 5 authorities once", len(msgs), seen)
	}

	// Replies threaded to the sent Message-IDs, from a portal's domain
	// (so only the thread can match them), are matched by thread.
	want := map[string]string{} // reply Message-ID → request
	for i, m := range msgs {
		mr, err := gomail.CreateReader(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		id, _ := mr.Header.MessageID()
		rt, _ := mr.Header.AddressList("Reply-To")
		req := strings.TrimSuffix(strings.TrimPrefix(rt[0].Address, "foi+"), "@requests.example.org")
		reply := fmt.Sprintf("From: FOI portal <noreply@foi-portal.example.net>\r\nTo: researcher@requests.example.org\r\n"+
			"Subject: Your request\r\nDate: Tue, 14 May 2024 10:%02d:00 +0100\r\nMessage-ID: <reply-%d@foi-portal.example.net>\r\n"+
			"In-Reply-To: <%s>\r\nReferences: <%s>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
			"Dear Alex,\r\n\r\nWe acknowledge your request, which we received on 13 May 2024.\r\n", i, i, id, id)
		if err := imap.Append("INBOX", []byte(reply)); err != nil {
			t.Fatal(err)
		}
		want[fmt.Sprintf("reply-%d@foi-portal.example.net", i)] = req
	}
	if code, out, errOut := foiwatch(t, "sync", "--config", cfg); code != 0 {
		t.Fatalf("sync: %d %s %s", code, out, errOut)
	}
	d := openStore(t, cfg)
	replies, err := d.Store.Replies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(replies) != 5 {
		t.Fatalf("%d replies stored", len(replies))
	}
	for _, r := range replies {
		if r.Match != worker.MatchThread || r.Request != want[strings.Trim(r.MessageID, "<>")] {
			t.Errorf("reply %s matched %s by %q, want %s by thread", r.MessageID, r.Request, r.Match, want[strings.Trim(r.MessageID, "<>")])
		}
	}
}

// readyzCampaigns is what /readyz says of the campaigns.
type readyzCampaigns struct {
	Campaigns worker.CampaignsStatus `json:"campaigns"`
}

func getCampaigns(base string) (worker.CampaignsStatus, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(base + "/readyz")
	if err != nil {
		return worker.CampaignsStatus{}, err
	}
	defer resp.Body.Close()
	var rc readyzCampaigns
	err = json.NewDecoder(resp.Body).Decode(&rc)
	return rc.Campaigns, err
}

func TestSIGHUPAddsACampaignToARunningDaemonAndRefusesABadOne(t *testing.T) {
	bin := foiwatchBinary(t)
	dir := t.TempDir()
	imap := memMailbox(t, "imap-secret")
	port := freePorts(t, 1)[0]
	cfg := writeConfig(t, dir, imap.Addr(), imap.Username(), "imap-secret", "")
	b, _ := os.ReadFile(cfg)
	b = bytes.Replace(b, []byte(`campaigns = ["campaign.toml"]`), []byte(`campaigns = ["campaign.toml", "more/*.toml"]`), 1)
	b = bytes.Replace(b, []byte("[http]\nlisten = \"\""), []byte(fmt.Sprintf("[http]\nlisten = \"127.0.0.1:%d\"", port)), 1)
	os.WriteFile(cfg, b, 0o600)
	os.MkdirAll(filepath.Join(dir, "more"), 0o700)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	p := startFoiwatchLevel(t, bin, cfg, "info")
	var st worker.CampaignsStatus
	waitFor(t, 60*time.Second, "the daemon answers /readyz", func() (bool, string) {
		var err error
		st, err = getCampaigns(base)
		return err == nil && len(st.Campaigns) == 1, fmt.Sprint(st, err)
	})

	// A new campaign file, then SIGHUP.
	os.WriteFile(filepath.Join(dir, "more", "second.toml"), []byte(campaignQuestions), 0o600)
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 30*time.Second, "the new campaign is loaded", func() (bool, string) {
		st, _ = getCampaigns(base)
		return len(st.Campaigns) == 2 && st.Campaigns[1] == "referrals" && st.Error == "", fmt.Sprint(st)
	})
	if !logHas(p.stderr.String(), "campaigns loaded") {
		t.Errorf("the log does not say what was loaded:\n%s", p.stderr.String())
	}

	// A bad file: refused with the message a start gives, the two kept.
	bad := filepath.Join(dir, "more", "third.toml")
	os.WriteFile(bad, []byte("id = \"Bad Id\"\n"), 0o600)
	_, startErr := worker.LoadCampaigns([]string{filepath.Join(dir, "campaign.toml"), filepath.Join(dir, "more", "*.toml")})
	if startErr == nil {
		t.Fatal("the bad file loads")
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 30*time.Second, "the bad file is refused", func() (bool, string) {
		st, _ = getCampaigns(base)
		return st.Error != "", fmt.Sprint(st)
	})
	if st.Error != startErr.Error() || len(st.Campaigns) != 2 {
		t.Errorf("after a bad file: %+v, want error %q and the two campaigns kept", st, startErr)
	}
	if code, _, errOut := runBinary(t, bin, "status", "--config", cfg); code != 1 || !strings.Contains(errOut, "Bad Id") {
		t.Errorf("a command started now refuses the bad file too: %d %s", code, errOut)
	}

	// SIGINT: a clean stop that gives its leases up.
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
		if p.err != nil {
			t.Fatalf("foiwatch run after SIGINT: %v\n%s", p.err, p.stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("foiwatch run did not stop within 60s of SIGINT\n%s", p.stderr.String())
	}
	os.Remove(bad)
	d := openStore(t, cfg)
	keys, err := d.Q.Locks.Keys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Errorf("leases left after a clean stop: %v (another process would wait 30 s for them)", keys)
	}
}

func TestLoginSendAndRemindFlagsOnTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	provider := mailtest.NewOAuth2Provider(mailtest.OAuth2ProviderOptions{ClientID: "client-123"})
	t.Cleanup(provider.Close)
	os.WriteFile(filepath.Join(dir, "campaign.toml"), []byte(campaignQuestions+`
[[requests]]
id = "norfolk"
authority = "Norfolk PCC"
email = "foi@norfolk-pcc.example.gov.uk"
`), 0o600)
	cfg := filepath.Join(dir, "foiwatch.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`data_dir = "data"
campaigns = ["campaign.toml"]
[http]
listen = ""
[[mailboxes]]
name = "foi"
address = "127.0.0.1:1"
tls = "none"
username = "researcher@requests.example.org"
auth = "oauth2"
[mailboxes.oauth2]
client_id = "client-123"
device_auth_url = %q
token_url = %q
[smtp]
address = "127.0.0.1:1"
tls = "none"
from = "Alex Researcher <researcher@requests.example.org>"
`, provider.DeviceAuthURL(), provider.TokenURL())), 0o600)

	code, out, errOut := foiwatch(t, "login", "--config", cfg, "foi")
	if code != 0 || !strings.Contains(out, "WDJB-MJHT") || !strings.Contains(out, "Signed in") {
		t.Fatalf("login: %d\n%s\n%s", code, out, errOut)
	}
	if fi, err := os.Stat(filepath.Join(dir, "data", "oauth2", "foi.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file: %v %v", fi, err)
	}
	if code, _, errOut := foiwatch(t, "login", "--config", cfg, "other"); code != 1 || !strings.Contains(errOut, `no mailbox named "other" (mailboxes with auth = "oauth2": foi)`) {
		t.Errorf("login of an unknown mailbox: %d %s", code, errOut)
	}

	code, out, errOut = foiwatch(t, "send", "--config", cfg, "--campaign", "referrals", "--dry-run", "--show")
	if code != 0 || !strings.Contains(out, "norfolk  Norfolk PCC") || !strings.Contains(out, "1. The total number of people referred into the programme") ||
		!strings.Contains(out, "Yours faithfully,\n\nAlex Researcher") {
		t.Errorf("send --dry-run --show: %d\n%s\n%s", code, out, errOut)
	}
	for _, args := range [][]string{
		{"send", "--config", cfg},
		{"send", "--config", cfg, "--campaign", "referrals", "--rate", "ten"},
		{"send", "--config", cfg, "--campaign", "referrals", "--resend"},
		{"send", "--config", cfg, "--campaign", "referrals", "--show"},
		{"remind", "--config", cfg, "--show"},
		{"campaign", "import", "--authorities", "x.csv"},
		{"login", "--config", cfg},
	} {
		if code, _, errOut := foiwatch(t, args...); code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", args, code, errOut)
		}
	}
}
