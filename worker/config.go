package worker

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/foiwatch/foiwatch/mailbox"
	"github.com/foiwatch/foiwatch/queue"
)

// Config is the whole configuration of foiwatch; deploy/foiwatch.toml shows
// every key with its default. It is the one config struct: every part takes
// its section from here.
type Config struct {
	// DataDir holds the embedded NATS store and its credential.
	// Default "./foiwatch-data".
	DataDir string `toml:"data_dir"`
	// Campaigns are campaign files or globs (deploy/CAMPAIGNS.md); globs
	// that match no file are refused unless another entry finds one. No
	// default: write campaigns = [] for none.
	Campaigns []string `toml:"campaigns"`

	NATS      queue.Config        `toml:"nats"`
	Mailboxes []mailbox.Config    `toml:"mailboxes"`
	SMTP      *mailbox.SMTPConfig `toml:"smtp"` // nil: no reminders are emailed
	Reminders RemindersConfig     `toml:"reminders"`
	Requester RequesterConfig     `toml:"requester"`
	HTTP      HTTPConfig          `toml:"http"`
	OCR       OCRConfig           `toml:"ocr"`

	// Workers is the number of messages processed at once. Default 6:
	// processing waits mostly on JetStream round trips, not the CPU (measured:
	// about a quarter of a message's time is CPU), so more than the cores.
	Workers int `toml:"workers"`

	// path of the file the config was read from, for messages.
	path string
}

// RemindersConfig is the [reminders] section.
type RemindersConfig struct {
	// To are the operator digest's recipients. Default none: no digest.
	To []string `toml:"to"`
	// ChaseAuthorities also writes to the authority when a reply is late.
	// Default false.
	ChaseAuthorities bool `toml:"chase_authorities"`
	// At is the time of day (Europe/London) the scheduler runs on working
	// days, "HH:MM". Default "09:00".
	At string `toml:"at"`
	// ChaseTemplate and DigestTemplate are text/template files replacing
	// the built-in chase-up and digest (worker/letters/chase.txt and
	// digest.txt; fields in worker/letters.go), relative to the config
	// file. Default "": the built-in letters.
	ChaseTemplate  string `toml:"chase_template"`
	DigestTemplate string `toml:"digest_template"`
}

// RequesterConfig is the [requester] section: who signs the requests and
// chase-ups.
type RequesterConfig struct {
	// Name signs every letter. Default: the display name of [smtp] from.
	// `foiwatch send` needs one or the other.
	Name string `toml:"name"`
	// Signature is printed under the name (organisation, address, a
	// line or several). Default "".
	Signature string `toml:"signature"`
}

// HTTPConfig is the [http] section.
type HTTPConfig struct {
	// Listen is the address of /metrics, /healthz, /readyz and the status
	// page. Default "127.0.0.1:8080"; "" turns the HTTP side off. A
	// non-loopback address needs public = true.
	Listen *string `toml:"listen"`
	// Public allows Listen on a non-loopback address. Default false.
	Public bool `toml:"public"`
}

// ListenAddr is the effective listen address ("" when off).
func (h HTTPConfig) ListenAddr() string {
	if h.Listen == nil {
		return "127.0.0.1:8080"
	}
	return *h.Listen
}

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.DataDir == "" {
		c.DataDir = "./foiwatch-data"
	}
	c.NATS = c.NATS.WithDefaults()
	c.NATS.DataDir = c.DataDir
	for i := range c.Mailboxes {
		c.Mailboxes[i] = c.Mailboxes[i].WithDefaults()
	}
	if c.SMTP != nil {
		s := c.SMTP.WithDefaults()
		c.SMTP = &s
	}
	if c.Reminders.At == "" {
		c.Reminders.At = "09:00"
	}
	if c.Workers == 0 {
		c.Workers = 6
	}
	return c
}

// Validate says in plain words what is wrong with c, naming the file and key.
func (c Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.NATS.Validate())
	names := map[string]bool{}
	for _, m := range c.Mailboxes {
		add(m.Validate())
		if names[m.Name] {
			add(fmt.Errorf("mailboxes: two mailboxes are named %q: give each a unique name (it keys the mailbox's cursor)", m.Name))
		}
		names[m.Name] = true
	}
	if c.SMTP != nil {
		add(c.SMTP.Validate())
	}
	if _, err := time.Parse("15:04", c.Reminders.At); err != nil {
		add(fmt.Errorf("reminders: at = %q: want a time of day like \"09:00\"", c.Reminders.At))
	}
	for _, to := range c.Reminders.To {
		if !strings.Contains(to, "@") {
			add(fmt.Errorf("reminders: to = %q is not an email address", to))
		}
	}
	if len(c.Reminders.To) > 0 && c.SMTP == nil {
		add(errors.New("reminders: to is set but there is no [smtp] section to send through"))
	}
	if addr := c.HTTP.ListenAddr(); addr != "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			add(fmt.Errorf("http: listen = %q: %v", addr, err))
		} else if !isLoopback(host) && !c.HTTP.Public {
			add(fmt.Errorf("http: listen = %q is not a loopback address: the status page shows your requests; set public = true to serve it there anyway", addr))
		}
	}
	if _, err := loadLetters(c.Reminders); err != nil {
		add(err)
	}
	add(c.validateOAuth2())
	add(c.OCR.Validate())
	if c.Workers < 1 || c.Workers > 64 {
		add(fmt.Errorf("workers = %d: must be between 1 and 64", c.Workers))
	}
	if len(errs) == 0 {
		return nil
	}
	where := c.path
	if where == "" {
		where = "config"
	}
	return fmt.Errorf("%s: %w", where, errors.Join(errs...))
}

// CheckSecrets makes sure the secrets the commands about to run need can
// be read, at start rather than at the first connection hours later: the
// mailboxes' (imap) and the SMTP server's (smtp), with the client secret
// of each OAuth2 sign-in they use. It never reads a secret
// into a message. Like ssh with a private key, it warns about a secret
// file its group or others may read.
func (c Config) CheckSecrets(imap, smtp bool) (warnings []string, err error) {
	var errs []error
	check := func(section, key, file, env string) {
		w, err := checkSecret(section, key, file, env)
		if w != "" {
			warnings = append(warnings, w)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	signIn := c.smtpSignIn()
	for _, m := range c.Mailboxes {
		if imap {
			check(fmt.Sprintf("mailbox %q", m.Name), "password_file", m.PasswordFile, m.PasswordEnv)
			check(fmt.Sprintf("mailbox %q", m.Name), "oauth2_token_file", m.OAuth2TokenFile, "")
		}
		// An OAuth2 sign-in's client secret serves the mailbox and, when
		// [smtp] uses that sign-in, the SMTP server.
		if m.OAuth2 != nil && (imap || (smtp && m.Name == signIn)) {
			check(fmt.Sprintf("mailbox %q: oauth2", m.Name), "client_secret_file", m.OAuth2.ClientSecretFile, m.OAuth2.ClientSecretEnv)
		}
	}
	if smtp && c.SMTP != nil {
		check("smtp", "password_file", c.SMTP.PasswordFile, c.SMTP.PasswordEnv)
	}
	if len(errs) == 0 {
		return warnings, nil
	}
	where := c.path
	if where == "" {
		where = "config"
	}
	return warnings, fmt.Errorf("%s: %w", where, errors.Join(errs...))
}

// credentialsVar is the variable systemd sets to the directory of a
// service's credentials (LoadCredential=); a *_file key may start with it.
const credentialsVar = "CREDENTIALS_DIRECTORY"

// expandCredentials replaces ${CREDENTIALS_DIRECTORY} (or
// $CREDENTIALS_DIRECTORY) in a file path with the variable's value, so
// that one config serves the systemd unit and, outside it, says plainly
// what is missing. Unset, the path is left as it is.
func expandCredentials(p string) string {
	dir, ok := os.LookupEnv(credentialsVar)
	if !ok || dir == "" {
		return p
	}
	p = strings.ReplaceAll(p, "${"+credentialsVar+"}", dir)
	return strings.ReplaceAll(p, "$"+credentialsVar, dir)
}

// checkSecret makes sure a secret can be read, and warns when its file is
// open to its group or others.
func checkSecret(section, key, file, env string) (warning string, err error) {
	if file != "" {
		if strings.Contains(file, "$"+credentialsVar) || strings.Contains(file, "${"+credentialsVar+"}") {
			return "", fmt.Errorf("%s: %s = %q, but $%s is not set: systemd sets it for the service from its LoadCredential= lines (deploy/foiwatch.service); "+
				"outside the service, run this command under the service (systemd-run, see deploy/RUNNING.md) or point %s at a file", section, key, file, credentialsVar, key)
		}
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("%s: %s = %q cannot be read: %v", section, key, file, errors.Unwrap(err))
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.Mode().Perm()&0o077 != 0 {
			warning = fmt.Sprintf("%s: %s %s can be read by others than its owner (mode %04o): whoever reads it can use it; make it readable by its owner only (chmod 600 %s)",
				section, key, file, st.Mode().Perm(), file)
		}
	}
	if env != "" {
		if _, ok := os.LookupEnv(env); !ok {
			return warning, fmt.Errorf("%s: %s = %q, but that environment variable is not set", section, strings.Replace(key, "_file", "_env", 1), env)
		}
	}
	return warning, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LoadConfig reads and checks the config file at path. Unknown keys are
// refused (a typo would otherwise silently keep a default).
func LoadConfig(path string) (Config, error) {
	var c Config
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return Config{}, fmt.Errorf("%s: unknown key(s) %s: check the spelling against deploy/foiwatch.toml, which shows every key", path, strings.Join(keys, ", "))
	}
	// A config without mailboxes or campaigns is a mistake unless it says
	// so: every reply would then be lost to view, or wait unmatched.
	var errs []error
	if !md.IsDefined("mailboxes") {
		errs = append(errs, errors.New("there is no [[mailboxes]] section, so no mail would be read: add one (see deploy/foiwatch.toml), or write mailboxes = [] to run without a mailbox on purpose"))
	}
	if !md.IsDefined("campaigns") {
		errs = append(errs, errors.New("campaigns is not set, so every reply would wait unmatched: list the campaign files (campaigns = [\"/etc/foiwatch/campaigns/*.toml\"]), or write campaigns = [] to run without one on purpose"))
	}
	c.path = path
	for i := range c.Mailboxes {
		m := &c.Mailboxes[i]
		m.PasswordFile, m.OAuth2TokenFile, m.CAFile = expandCredentials(m.PasswordFile), expandCredentials(m.OAuth2TokenFile), expandCredentials(m.CAFile)
		if m.OAuth2 != nil {
			m.OAuth2.ClientSecretFile = expandCredentials(m.OAuth2.ClientSecretFile)
		}
	}
	if c.SMTP != nil {
		c.SMTP.PasswordFile, c.SMTP.CAFile = expandCredentials(c.SMTP.PasswordFile), expandCredentials(c.SMTP.CAFile)
	}
	c.NATS.CredentialsFile = expandCredentials(c.NATS.CredentialsFile)
	// Relative paths in the file are relative to the file.
	base := filepath.Dir(path)
	if c.DataDir != "" && !filepath.IsAbs(c.DataDir) {
		c.DataDir = filepath.Join(base, c.DataDir)
	}
	// A glob that matches nothing is refused when no entry finds a file
	// (every reply would wait unmatched); beside entries that do, it is a
	// folder for campaigns added later (SIGHUP reads it again), which Open
	// warns of (Campaigns.EmptyGlobs).
	var empty []string
	found := false
	for i, g := range c.Campaigns {
		if !filepath.IsAbs(g) {
			c.Campaigns[i] = filepath.Join(base, g)
		}
		m, err := filepath.Glob(c.Campaigns[i])
		switch {
		case err == nil && len(m) == 0 && strings.ContainsAny(g, "*?["):
			empty = append(empty, c.Campaigns[i])
		case len(m) > 0:
			found = true
		}
	}
	if len(empty) > 0 && !found {
		errs = append(errs, fmt.Errorf("campaigns: %s matches no file (is the path right, and can this user read the directory?): every reply would wait unmatched; write campaigns = [] to run without a campaign on purpose", strings.Join(empty, ", ")))
	}
	for _, p := range []*string{&c.Reminders.ChaseTemplate, &c.Reminders.DigestTemplate} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		errs = append(errs, errors.Unwrap(err))
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("%s: %w", path, errors.Join(errs...))
	}
	return c, nil
}

// ConfigPath picks the config file: the flag's value, else $FOIWATCH_CONFIG.
func ConfigPath(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if p := os.Getenv("FOIWATCH_CONFIG"); p != "" {
		return p, nil
	}
	return "", errors.New("no config file: pass --config FILE or set FOIWATCH_CONFIG")
}
