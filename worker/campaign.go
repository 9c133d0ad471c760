package worker

import (
	"errors"
	"fmt"
	"net/mail"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/worker/deadline"
)

// Campaign is one FOI request sent to many authorities (deploy/CAMPAIGNS.md).
type Campaign struct {
	ID          string `toml:"id"`
	Title       string `toml:"title"`
	WorkingDays int    `toml:"working_days"` // default 20
	Calendar    string `toml:"calendar"`     // foia (default) | foisa
	Law         string `toml:"law"`          // foia | foisa | eir; default foisa for calendar foisa, else foia
	Period      string `toml:"period"`       // the period asked about: "2023/24", "2024", "2024-04-01..2025-03-31"
	// Subject is the subject line `foiwatch send` gives the request (a
	// request's own subject wins). Default "Freedom of Information request:
	// TITLE" ("Environmental information request: TITLE" under the EIR).
	Subject string `toml:"subject"`
	// Template (text/template) is the body `foiwatch send` writes; or
	// TemplateFile, relative to the campaign file. Default: the built-in
	// request letter (worker/letters/request.txt). See RequestData.
	Template     string            `toml:"template"`
	TemplateFile string            `toml:"template_file"`
	Questions    []parser.Question `toml:"questions"`
	Requests     []*Request        `toml:"requests"`

	File string             `toml:"-"` // where it was read from
	cal  *deadline.Calendar // from Calendar
	tmpl *template.Template // from Template or TemplateFile; nil: the built-in letter
}

// Request is one authority a campaign's request went to.
type Request struct {
	ID        string     `toml:"id"`
	Authority string     `toml:"authority"`
	Email     string     `toml:"email"`
	Domains   []string   `toml:"domains"` // default: the domain of Email
	SentAt    TimeOrDate `toml:"sent_at"`
	MessageID string     `toml:"message_id"`
	ReplyTo   string     `toml:"reply_to"`
	Reference string     `toml:"reference"`
	Subject   string     `toml:"subject"`

	// SendState is what foiwatch's state says of the request's sending when
	// the campaign file has no sent_at: "" (not sent by foiwatch),
	// "sending" (claimed, not yet handed to the server), "sent", or
	// "uncertain" (it may have reached the server). Set by overlaySends.
	SendState string `toml:"-"`
}

// Sent reports whether the request went out: sent_at is known, from the
// campaign file or from foiwatch's own record of sending it.
func (r *Request) Sent() bool { return !r.SentAt.IsZero() }

// TimeOrDate is a TOML datetime, local date, or a string holding either.
type TimeOrDate struct{ time.Time }

// UnmarshalTOML accepts an offset datetime, a local date or datetime
// (taken in Europe/London) and strings in RFC 3339 or YYYY-MM-DD form.
func (t *TimeOrDate) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case time.Time:
		if x.Location() == time.Local || x.Location().String() == "" {
			x = time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), 0, london)
		}
		t.Time = x
		return nil
	case string:
		if tt, err := time.Parse(time.RFC3339, x); err == nil {
			t.Time = tt
			return nil
		}
		if tt, err := time.ParseInLocation("2006-01-02", x, london); err == nil {
			t.Time = tt
			return nil
		}
		return fmt.Errorf("%q is neither an RFC 3339 time nor a YYYY-MM-DD date", x)
	}
	return fmt.Errorf("want a date or time, got %T", v)
}

// Asked is what the parser needs of the campaign: its questions and the
// period they ask about.
func (c *Campaign) Asked() *parser.Asked {
	return &parser.Asked{Title: c.Title, Period: c.Period, Questions: c.Questions}
}

// Calendar returns the campaign's working-day calendar.
func (c *Campaign) Cal() *deadline.Calendar { return c.cal }

// Key is the key of a request's state: "campaign.request".
func Key(campaign, request string) string { return campaign + "." + request }

// Request returns the request with the given id, or nil.
func (c *Campaign) Request(id string) *Request {
	for _, r := range c.Requests {
		if r.ID == id {
			return r
		}
	}
	return nil
}

var idRE = regexp.MustCompile(`^[a-z0-9-]+$`)
var keyRE = regexp.MustCompile(`^[a-z0-9_]+$`)

// Campaigns is every campaign the daemon knows, by id.
type Campaigns struct {
	List []*Campaign
	byID map[string]*Campaign
	// EmptyGlobs are the globs that matched no file while others did (a
	// folder for campaigns added later, read again on SIGHUP); the caller
	// warns of them.
	EmptyGlobs []string
}

// Get returns the campaign with the given id, or nil.
func (cs *Campaigns) Get(id string) *Campaign {
	if cs == nil {
		return nil
	}
	return cs.byID[id]
}

// LoadCampaigns reads every campaign file the globs name and checks them.
// A glob that matches no file is refused when no other finds one either
// (every reply would wait unmatched); beside others that do, it is listed
// in EmptyGlobs.
func LoadCampaigns(globs []string) (*Campaigns, error) {
	var files, empty []string
	seen := map[string]bool{}
	for _, g := range globs {
		m, err := filepath.Glob(g)
		if err != nil {
			return nil, fmt.Errorf("campaigns: bad pattern %q: %w", g, err)
		}
		if len(m) == 0 && !strings.ContainsAny(g, "*?[") {
			return nil, fmt.Errorf("campaigns: %s does not exist", g)
		}
		if len(m) == 0 {
			empty = append(empty, g)
			continue
		}
		sort.Strings(m)
		for _, f := range m {
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	if len(empty) > 0 && len(files) == 0 {
		return nil, fmt.Errorf("campaigns: %s matches no file (is the path right, and can this user read the directory?): every reply would wait unmatched; write campaigns = [] to run without a campaign on purpose", strings.Join(empty, ", "))
	}
	cs := &Campaigns{byID: map[string]*Campaign{}, EmptyGlobs: empty}
	for _, f := range files {
		c, err := LoadCampaign(f)
		if err != nil {
			return nil, err
		}
		if prev := cs.byID[c.ID]; prev != nil {
			return nil, fmt.Errorf("%s: campaign id %q is also used by %s: campaign ids must be unique", f, c.ID, prev.File)
		}
		cs.byID[c.ID] = c
		cs.List = append(cs.List, c)
	}
	return cs, nil
}

// newCampaigns makes a set from campaigns already checked (overlaySends:
// the campaigns with their send records laid over).
func newCampaigns(list ...*Campaign) *Campaigns {
	cs := &Campaigns{byID: map[string]*Campaign{}}
	for _, c := range list {
		cs.byID[c.ID] = c
		cs.List = append(cs.List, c)
	}
	return cs
}

// LoadCampaign reads and checks one campaign file.
func LoadCampaign(path string) (*Campaign, error) {
	var c Campaign
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("%s: unknown key(s) %s: see deploy/CAMPAIGNS.md for the keys a campaign has", path, strings.Join(keys, ", "))
	}
	c.File = path
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.loadTemplate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// ParseCampaign reads a campaign from TOML text (the demo's and tests').
func ParseCampaign(name, text string) (*Campaign, error) {
	var c Campaign
	md, err := toml.Decode(text, &c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("%s: unknown key(s) %v", name, und)
	}
	c.File = name
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := c.loadTemplate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &c, nil
}

func (c *Campaign) check() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !idRE.MatchString(c.ID) {
		bad("id = %q: a campaign id is lower-case letters, digits and dashes", c.ID)
	}
	if c.WorkingDays == 0 {
		c.WorkingDays = 20
	}
	if c.WorkingDays < 1 || c.WorkingDays > 200 {
		bad("working_days = %d: must be between 1 and 200 (FOIA s.10: 20)", c.WorkingDays)
	}
	cal, err := deadline.New(c.Calendar)
	if err != nil {
		bad("calendar = %q: %v", c.Calendar, err)
	}
	c.cal = cal
	if c.Calendar == "" {
		c.Calendar = "foia"
	}
	if c.Law == "" {
		c.Law = LawFOIA
		if c.Calendar == "foisa" {
			c.Law = LawFOISA
		}
	}
	if _, ok := laws[c.Law]; !ok {
		bad("law = %q: want foia (Freedom of Information Act 2000), foisa (Freedom of Information (Scotland) Act 2002) or eir (Environmental Information Regulations 2004)", c.Law)
	}
	if c.Template != "" && c.TemplateFile != "" {
		bad("set template or template_file, not both")
	}
	keys := map[string]bool{}
	nums := map[int]bool{}
	for i, q := range c.Questions {
		if !keyRE.MatchString(q.Key) {
			bad("questions[%d]: key = %q: a question key is lower-case letters, digits and underscores", i, q.Key)
		}
		if keys[q.Key] {
			bad("questions[%d]: key %q is used twice", i, q.Key)
		}
		keys[q.Key] = true
		if q.Number != 0 {
			if nums[q.Number] {
				bad("questions[%d]: number %d is used twice", i, q.Number)
			}
			nums[q.Number] = true
		}
		switch q.Type {
		case parser.TypeText, parser.TypeCount, parser.TypeList, parser.TypeMoney, parser.TypeURL:
		default:
			bad("questions[%d] (%s): type = %q: want text, count, list, money or url", i, q.Key, q.Type)
		}
	}
	ids := map[string]bool{}
	for i, r := range c.Requests {
		if !idRE.MatchString(r.ID) {
			bad("requests[%d]: id = %q: a request id is lower-case letters, digits and dashes", i, r.ID)
		}
		if ids[r.ID] {
			bad("requests[%d]: id %q is used twice in this campaign", i, r.ID)
		}
		ids[r.ID] = true
		if r.Authority == "" {
			bad("requests[%d] (%s): authority is missing", i, r.ID)
		}
		addr, err := mail.ParseAddress(r.Email)
		if err != nil {
			bad("requests[%d] (%s): email = %q is not an email address", i, r.ID, r.Email)
		} else {
			r.Email = strings.ToLower(addr.Address)
		}
		// sent_at may be missing: the request is then not sent yet, or
		// `foiwatch send` sent it and keeps sent_at in its state.
		if len(r.Domains) == 0 && err == nil {
			r.Domains = []string{domainOf(r.Email)}
		}
		for j, d := range r.Domains {
			r.Domains[j] = strings.ToLower(strings.TrimPrefix(d, "@"))
		}
		r.ReplyTo = strings.ToLower(r.ReplyTo)
	}
	return errors.Join(errs...)
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}
