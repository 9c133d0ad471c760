package worker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The example config in deploy/ is what operators copy: it must load, with
// only the secret files (which live on the real server) missing.
func TestExampleConfigLoads(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("../deploy/foiwatch.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, name := range []string{"imap-password", "smtp-password"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("x"), 0o600)
		text = strings.ReplaceAll(text, "/etc/foiwatch/"+name, p)
	}
	cfgPath := filepath.Join(dir, "foiwatch.toml")
	os.WriteFile(cfgPath, []byte(text), 0o600)
	c, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatalf("deploy/foiwatch.toml does not load: %v", err)
	}
	if len(c.Mailboxes) != 1 || c.Mailboxes[0].TLS != "implicit" || c.SMTP == nil || c.HTTP.ListenAddr() != "127.0.0.1:8080" || c.OCR.DPI != 200 {
		t.Errorf("example config read as %+v", c)
	}
}

func TestConfigRefusesWhatIsUnsafeOrWrong(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"status page on all interfaces", "[http]\nlisten = \"0.0.0.0:8080\"\n", "not a loopback address"},
		{"typo in a key", "data_dri = \"x\"\n", "unknown key(s) data_dri"},
		{"bad reminder time", "[reminders]\nat = \"9am\"\n", "reminders: at"},
		{"digest without smtp", "[reminders]\nto = [\"a@b.example\"]\n", "no [smtp] section"},
		{"replicas without a cluster", "[nats]\nreplicas = 3\n", "needs a cluster"},
		{"bad ocr dpi", "[ocr]\ndpi = 5000\n", "dpi = 5000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "foiwatch.toml")
			os.WriteFile(p, []byte(tc.text), 0o600)
			_, err := LoadConfig(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("LoadConfig = %v; want an error naming the file and %q", err, tc.want)
			}
		})
	}
}
