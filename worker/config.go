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

// Config is the whole configuration of foiwatch (spec/operations.md). It is
// the one config struct: every part takes its section from here.
type Config struct {
	// DataDir holds the embedded NATS store and its credential.
	// Default "./foiwatch-data".
	DataDir string `toml:"data_dir"`
	// Campaigns are campaign files or globs (spec/campaign.md). Default none.
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
		add(checkSecret(fmt.Sprintf("mailbox %q", m.Name), "password_file", m.PasswordFile, m.PasswordEnv))
		add(checkSecret(fmt.Sprintf("mailbox %q", m.Name), "oauth2_token_file", m.OAuth2TokenFile, ""))
		if m.OAuth2 != nil {
			add(checkSecret(fmt.Sprintf("mailbox %q: oauth2", m.Name), "client_secret_file", m.OAuth2.ClientSecretFile, m.OAuth2.ClientSecretEnv))
		}
		if names[m.Name] {
			add(fmt.Errorf("mailboxes: two mailboxes are named %q: give each a unique name (it keys the mailbox's cursor)", m.Name))
		}
		names[m.Name] = true
	}
	if c.SMTP != nil {
		add(c.SMTP.Validate())
		add(checkSecret("smtp", "password_file", c.SMTP.PasswordFile, c.SMTP.PasswordEnv))
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

// checkSecret makes sure a secret named in the config can be read at start,
// rather than at the first connection hours later. It never reads the
// secret into a message.
func checkSecret(section, key, file, env string) error {
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return fmt.Errorf("%s: %s = %q cannot be read: %v", section, key, file, errors.Unwrap(err))
		}
		f.Close()
	}
	if env != "" {
		if _, ok := os.LookupEnv(env); !ok {
			return fmt.Errorf("%s: %s = %q, but that environment variable is not set", section, strings.Replace(key, "_file", "_env", 1), env)
		}
	}
	return nil
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
		return Config{}, fmt.Errorf("%s: unknown key(s) %s: check the spelling against deploy/foiwatch.toml", path, strings.Join(keys, ", "))
	}
	c.path = path
	// Relative paths in the file are relative to the file.
	base := filepath.Dir(path)
	if c.DataDir != "" && !filepath.IsAbs(c.DataDir) {
		c.DataDir = filepath.Join(base, c.DataDir)
	}
	for i, g := range c.Campaigns {
		if !filepath.IsAbs(g) {
			c.Campaigns[i] = filepath.Join(base, g)
		}
	}
	for _, p := range []*string{&c.Reminders.ChaseTemplate, &c.Reminders.DigestTemplate} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
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
