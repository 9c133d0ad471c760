package worker

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// The example config in deploy/ is what operators copy: it loads with its
// secrets where the systemd unit puts them ($CREDENTIALS_DIRECTORY) and a
// campaign where it looks for them.
func TestExampleConfigLoads(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("../deploy/foiwatch.toml")
	if err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(dir, "credentials")
	os.Mkdir(creds, 0o700)
	for _, name := range []string{"foiwatch_imap-password", "foiwatch_smtp-password"} {
		os.WriteFile(filepath.Join(creds, name), []byte("x"), 0o400)
	}
	t.Setenv("CREDENTIALS_DIRECTORY", creds)
	os.MkdirAll(filepath.Join(dir, "campaigns"), 0o755)
	os.WriteFile(filepath.Join(dir, "campaigns", "c.toml"), []byte("id = \"c\"\ntitle = \"C\"\n"), 0o600)
	text := strings.ReplaceAll(string(b), "/etc/foiwatch/campaigns/", filepath.Join(dir, "campaigns")+"/")
	cfgPath := filepath.Join(dir, "foiwatch.toml")
	os.WriteFile(cfgPath, []byte(text), 0o600)
	c, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatalf("deploy/foiwatch.toml does not load: %v", err)
	}
	if len(c.Mailboxes) != 1 || c.Mailboxes[0].TLS != "implicit" || c.SMTP == nil || c.HTTP.ListenAddr() != "127.0.0.1:8080" || c.OCR.DPI != 200 {
		t.Errorf("example config read as %+v", c)
	}
	if w, err := c.CheckSecrets(true, true); err != nil || len(w) != 0 {
		t.Errorf("its secrets under $CREDENTIALS_DIRECTORY: %q, %v", w, err)
	}
}

// exampleKeys are the keys deploy/foiwatch.toml shows, set or commented
// out ("# key = ..."), by section ("" for the top level, "mailboxes",
// "smtp", "mailboxes.oauth2", ...); a table shown commented out ("#
// [mailboxes.oauth2]") is a section too.
func exampleKeys(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../deploy/foiwatch.toml")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	section := ""
	sectionRE := regexp.MustCompile(`^(?:#\s*)?\[\[?([a-z0-9_.]+)\]?\]`)
	keyRE := regexp.MustCompile(`^#?\s*([a-z0-9_]+)\s*=`)
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if m := sectionRE.FindStringSubmatch(line); m != nil {
			section = m[1]
			continue
		}
		if m := keyRE.FindStringSubmatch(line); m != nil {
			keys[section+"."+m[1]] = true
		}
	}
	return keys
}

// configKeys are the config struct's keys, by reflection on its toml tags:
// a section's own tables (mailboxes.oauth2) are sections of their own.
func configKeys(t reflect.Type, section string, out map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("toml"), ",")[0]
		if !f.IsExported() || tag == "-" || tag == "" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.NumField() > 0 && !strings.HasSuffix(ft.Name(), "Duration") {
			sub := tag
			if section != "" {
				sub = section + "." + tag
			}
			configKeys(ft, sub, out)
			continue
		}
		out[section+"."+tag] = true
	}
}

// deploy/foiwatch.toml says it shows every key: it does, and no key the
// config does not have.
func TestExampleConfigShowsEveryKey(t *testing.T) {
	want := map[string]bool{}
	configKeys(reflect.TypeOf(Config{}), "", want)
	got := exampleKeys(t)
	for k := range want {
		if !got[k] {
			t.Errorf("deploy/foiwatch.toml does not show %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("deploy/foiwatch.toml shows %s, which the config does not have", k)
		}
	}
	if len(want) < 40 {
		t.Errorf("only %d keys found in the config struct: %v", len(want), want)
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
		{"no mailboxes", "!campaigns = []\n", "no [[mailboxes]] section"},
		{"no campaigns", "!mailboxes = []\n", "campaigns is not set"},
		{"a campaign glob matching nothing", "!mailboxes = []\ncampaigns = [\"campaings/*.toml\"]\n", "matches no file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "foiwatch.toml")
			text := "mailboxes = []\ncampaigns = []\n" + tc.text
			if strings.HasPrefix(tc.text, "!") {
				text = tc.text[1:]
			}
			os.WriteFile(p, []byte(text), 0o600)
			_, err := LoadConfig(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("LoadConfig = %v; want an error naming the file and %q", err, tc.want)
			}
		})
	}
}

// A config that says it has no mailbox and no campaign, on purpose, loads.
func TestConfigWithNoMailboxOnPurposeLoads(t *testing.T) {
	p := filepath.Join(t.TempDir(), "foiwatch.toml")
	os.WriteFile(p, []byte("mailboxes = []\ncampaigns = []\n"), 0o600)
	if c, err := LoadConfig(p); err != nil || len(c.Mailboxes) != 0 {
		t.Fatalf("LoadConfig = %+v, %v", c, err)
	}
}

// Secrets are checked by the commands that use them; a file others may
// read is warned about as ssh does; ${CREDENTIALS_DIRECTORY} is systemd's.
func TestSecretsAreCheckedWhereUsedAndWarnedAboutWhenOpen(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "imap-password")
	os.WriteFile(open, []byte("x"), 0o644)
	os.Chmod(open, 0o644)
	creds := filepath.Join(dir, "creds")
	os.Mkdir(creds, 0o700)
	os.WriteFile(filepath.Join(creds, "smtp-password"), []byte("y"), 0o400)
	p := filepath.Join(dir, "foiwatch.toml")
	os.WriteFile(p, []byte(`campaigns = []
[[mailboxes]]
name = "foi"
address = "imap.example.org:993"
username = "u"
password_file = "`+open+`"
[smtp]
address = "smtp.example.org:587"
username = "u"
password_file = "${CREDENTIALS_DIRECTORY}/smtp-password"
from = "a@example.org"
`), 0o600)

	t.Setenv("CREDENTIALS_DIRECTORY", "")
	os.Unsetenv("CREDENTIALS_DIRECTORY")
	c, err := LoadConfig(p)
	if err != nil {
		t.Fatalf("a config whose secrets this user cannot reach still loads for commands that do not need them: %v", err)
	}
	if _, err := c.CheckSecrets(false, true); err == nil || !strings.Contains(err.Error(), "$CREDENTIALS_DIRECTORY is not set") || !strings.Contains(err.Error(), "systemd-run") {
		t.Errorf("smtp secret under an unset $CREDENTIALS_DIRECTORY: %v", err)
	}
	warns, err := c.CheckSecrets(true, false)
	if err != nil || len(warns) != 1 || !strings.Contains(warns[0], "mode 0644") || !strings.Contains(warns[0], "chmod 600 "+open) {
		t.Errorf("a password file others may read: warnings %q, %v", warns, err)
	}

	t.Setenv("CREDENTIALS_DIRECTORY", creds)
	c, err = LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP.PasswordFile != filepath.Join(creds, "smtp-password") {
		t.Errorf("smtp password_file = %q, want it under $CREDENTIALS_DIRECTORY", c.SMTP.PasswordFile)
	}
	if warns, err := c.CheckSecrets(false, true); err != nil || len(warns) != 0 {
		t.Errorf("a credential (mode 0400): warnings %q, %v", warns, err)
	}
}
