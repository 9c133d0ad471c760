package worker

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	gomail "github.com/emersion/go-message/mail"

	"github.com/foiwatch/foiwatch/worker/deadline"
)

// Letters are the emails foiwatch writes to people: the request itself
// (`foiwatch send`), the chase-up to a late authority and the operator
// digest. Each is a text/template; the defaults are built in (the files
// under worker/letters/) and each can be replaced: the request by the
// campaign's template or template_file, the chase-up and digest by
// [reminders] chase_template and digest_template in the config.
//
// Every letter names the law of its campaign (Law): the Act, the section
// that sets the time limit, and what the requester can do next and with
// which regulator.

//go:embed letters/*.txt
var letterFiles embed.FS

// Laws a campaign can cite (Campaign.Law).
const (
	LawFOIA  = "foia"
	LawFOISA = "foisa"
	LawEIR   = "eir"
)

// Law is the wording of one law in letters.
type Law struct {
	Key   string // foia | foisa | eir
	Act   string // "the Freedom of Information Act 2000"
	Short string // "FOIA"
	// TimeLimit names the provision that sets the 20 working days.
	TimeLimit string
	// Regulator is who decides complaints.
	Regulator string
	// Escalate ends "If I do not receive it soon I will ...".
	Escalate string
	// VeryLate is what the operator digest advises 20 working days late.
	VeryLate string
	// Subject prefixes the default subject line of a request.
	Subject string
}

var laws = map[string]Law{
	LawFOIA: {
		Key: LawFOIA, Act: "the Freedom of Information Act 2000", Short: "FOIA",
		TimeLimit: "section 10 of the Freedom of Information Act 2000",
		Regulator: "the Information Commissioner's Office",
		Escalate:  "ask for an internal review and may complain to the Information Commissioner's Office under section 50 of the Act",
		VeryLate:  "20 working days late: consider asking for an internal review or complaining to the Information Commissioner's Office",
		Subject:   "Freedom of Information request",
	},
	LawFOISA: {
		Key: LawFOISA, Act: "the Freedom of Information (Scotland) Act 2002", Short: "FOISA",
		TimeLimit: "section 10 of the Freedom of Information (Scotland) Act 2002",
		Regulator: "the Scottish Information Commissioner",
		Escalate:  "require a review under section 20 of the Act and, if need be, apply to the Scottish Information Commissioner for a decision under section 47",
		VeryLate:  "20 working days late: consider requiring a review (FOISA section 20), then applying to the Scottish Information Commissioner",
		Subject:   "Freedom of Information request",
	},
	LawEIR: {
		Key: LawEIR, Act: "the Environmental Information Regulations 2004", Short: "EIR",
		TimeLimit: "regulation 5(2) of the Environmental Information Regulations 2004",
		Regulator: "the Information Commissioner's Office",
		Escalate:  "make representations under regulation 11 of the Regulations and may complain to the Information Commissioner's Office",
		VeryLate:  "20 working days late: consider making representations (EIR regulation 11) or complaining to the Information Commissioner's Office",
		Subject:   "Environmental information request",
	},
}

// LawOf returns the wording of the campaign's law.
func (c *Campaign) LawOf() Law {
	if l, ok := laws[c.Law]; ok {
		return l
	}
	return laws[LawFOIA]
}

// Requester is who signs the letters ([requester] in the config).
type Requester struct {
	Name      string
	Signature string
}

// LetterQuestion is one question as a request letter numbers it.
type LetterQuestion struct {
	N    int    // the question's number, or its place in the list when it has none
	Key  string // its key in results
	Text string
}

// RequestData is what the request template is executed with.
type RequestData struct {
	Title     string
	Authority string
	Email     string
	ReplyTo   string // the request's reply_to, or ""
	Period    string
	// WorkingDays is the campaign's deadline (20 unless it says otherwise).
	WorkingDays int
	Law         Law
	Questions   []LetterQuestion
	Requester   Requester
	Date        string // YYYY-MM-DD, the day it is sent
}

// ChaseData is what the chase-up template is executed with.
type ChaseData struct {
	Title     string
	Authority string
	Email     string
	Reference string
	SentAt    string // YYYY-MM-DD
	Due       string // YYYY-MM-DD
	DaysLate  int
	Stage     deadline.Stage
	VeryLate  bool // Stage is very_late: 20 working days after the due date
	Law       Law
	Requester Requester
	Date      string
}

// DigestNotice is one line of the operator digest.
type DigestNotice struct {
	Notice
	StageWords string
	Law        Law
}

// DigestData is what the digest template is executed with.
type DigestData struct {
	Date    string
	Notices []DigestNotice
}

func mustLetter(name string) *template.Template {
	b, err := letterFiles.ReadFile("letters/" + name)
	if err != nil {
		panic(err)
	}
	return template.Must(template.New(name).Option("missingkey=error").Parse(string(b)))
}

var (
	defaultRequestLetter = mustLetter("request.txt")
	defaultChaseLetter   = mustLetter("chase.txt")
	defaultDigestLetter  = mustLetter("digest.txt")
)

// parseLetterFile reads a template file and checks it against sample data,
// so that a misspelt field is an error at start, not at 09:00 on the day a
// reminder is due.
func parseLetterFile(what, path string, sample any) (*template.Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s = %q cannot be read: %v", what, path, errUnwrap(err))
	}
	return parseLetter(what+" "+path, string(b), sample)
}

func parseLetter(what, text string, sample any) (*template.Template, error) {
	t, err := template.New(what).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	if err := t.Execute(io.Discard, sample); err != nil {
		return nil, fmt.Errorf("%s: %v (see RequestData, ChaseData and DigestData in worker/letters.go for the fields)", what, err)
	}
	return t, nil
}

func errUnwrap(err error) error {
	if u, ok := err.(interface{ Unwrap() error }); ok && u.Unwrap() != nil {
		return u.Unwrap()
	}
	return err
}

// loadTemplate parses the campaign's request template, if it has one.
func (c *Campaign) loadTemplate() error {
	sample := c.requestData(&Request{Authority: "Sample Authority", Email: "foi@example.org", ReplyTo: "foi+sample@example.org"}, Requester{Name: "A. Researcher", Signature: "Research Unit"}, time.Now())
	switch {
	case c.TemplateFile != "":
		path := c.TemplateFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(c.File), path)
		}
		t, err := parseLetterFile("template_file", path, sample)
		if err != nil {
			return err
		}
		c.tmpl = t
	case c.Template != "":
		t, err := parseLetter("template", c.Template, sample)
		if err != nil {
			return err
		}
		c.tmpl = t
	}
	return nil
}

func (c *Campaign) requestData(r *Request, who Requester, now time.Time) RequestData {
	d := RequestData{Title: c.Title, Authority: r.Authority, Email: r.Email, ReplyTo: r.ReplyTo, Period: c.Period,
		WorkingDays: c.WorkingDays, Law: c.LawOf(), Requester: who, Date: deadline.DateOf(now).String()}
	for i, q := range c.Questions {
		n := q.Number
		if n == 0 {
			n = i + 1
		}
		d.Questions = append(d.Questions, LetterQuestion{N: n, Key: q.Key, Text: strings.TrimSpace(q.Text)})
	}
	return d
}

// RequestSubject is the subject line request r is sent with.
func (c *Campaign) RequestSubject(r *Request) string {
	switch {
	case r.Subject != "":
		return r.Subject
	case c.Subject != "":
		return c.Subject
	case c.Title != "":
		return c.LawOf().Subject + ": " + c.Title
	}
	return c.LawOf().Subject
}

// RequestBody is the text of the request to r.
func (c *Campaign) RequestBody(r *Request, who Requester, now time.Time) (string, error) {
	t := c.tmpl
	if t == nil {
		t = defaultRequestLetter
	}
	var b bytes.Buffer
	if err := t.Execute(&b, c.requestData(r, who, now)); err != nil {
		return "", fmt.Errorf("campaign %s: request to %s: %w", c.ID, r.ID, err)
	}
	return tidyLetter(b.String()), nil
}

// tidyLetter trims trailing spaces and blank lines at the end, so that a
// template's optional parts leave no gaps.
func tidyLetter(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n") + "\n"
}

// letterTemplates are the chase-up and digest templates of a config.
type letterTemplates struct {
	chase, digest *template.Template
	// customDigest: the digest text is the operator's own, so the HTML
	// part (built in) is left out rather than say something else.
	customDigest bool
}

func sampleChase() ChaseData {
	return ChaseData{Title: "Sample", Authority: "Sample Authority", Email: "foi@example.org", Reference: "FOI/1",
		SentAt: "2024-01-02", Due: "2024-01-31", DaysLate: 3, Stage: deadline.Late, Law: laws[LawFOIA],
		Requester: Requester{Name: "A. Researcher"}, Date: "2024-02-05"}
}

func sampleDigest() DigestData {
	return DigestData{Date: "2024-02-05", Notices: []DigestNotice{{Notice: Notice{Campaign: "c", Title: "Sample", Request: "r", Authority: "Sample Authority",
		Email: "foi@example.org", Stage: deadline.Late, SentAt: "2024-01-02", Due: "2024-01-31", DaysLate: 3, State: StateSent},
		StageWords: "late", Law: laws[LawFOIA]}}}
}

// loadLetters reads the config's letter templates (defaults where unset).
func loadLetters(r RemindersConfig) (letterTemplates, error) {
	lt := letterTemplates{chase: defaultChaseLetter, digest: defaultDigestLetter}
	if r.ChaseTemplate != "" {
		t, err := parseLetterFile("reminders: chase_template", r.ChaseTemplate, sampleChase())
		if err != nil {
			return lt, err
		}
		lt.chase = t
	}
	if r.DigestTemplate != "" {
		t, err := parseLetterFile("reminders: digest_template", r.DigestTemplate, sampleDigest())
		if err != nil {
			return lt, err
		}
		lt.digest, lt.customDigest = t, true
	}
	return lt, nil
}

// requester is who signs letters: [requester] name, else the display name
// of [smtp] from.
func (d *Daemon) requester() Requester {
	who := Requester{Name: d.Cfg.Requester.Name, Signature: strings.TrimRight(d.Cfg.Requester.Signature, "\n")}
	if who.Name == "" && d.Cfg.SMTP != nil {
		if a, err := gomail.ParseAddress(d.Cfg.SMTP.From); err == nil {
			who.Name = a.Name
		}
	}
	return who
}

// Letter is one email as it would be sent (remind --dry-run --show).
type Letter struct {
	Kind string   // "digest" or "chase"
	To   []string // envelope recipients
	Raw  []byte   // the whole message
}

// WriteLetter prints a letter for a person: its headers as they would be
// sent, then the text of its plain-text part decoded.
func WriteLetter(w io.Writer, l Letter) error {
	fmt.Fprintf(w, "===== %s to %s =====\n", l.Kind, strings.Join(l.To, ", "))
	mr, err := gomail.CreateReader(bytes.NewReader(l.Raw))
	if err != nil {
		_, err = w.Write(l.Raw)
		return err
	}
	fields := mr.Header.Fields()
	dec := new(mime.WordDecoder)
	for fields.Next() {
		if strings.EqualFold(fields.Key(), "Content-Transfer-Encoding") || strings.EqualFold(fields.Key(), "Mime-Version") {
			continue
		}
		v, err := dec.DecodeHeader(fields.Value())
		if err != nil {
			v = fields.Value()
		}
		fmt.Fprintf(w, "%s: %s\n", fields.Key(), v)
	}
	fmt.Fprintln(w)
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		if ih, ok := p.Header.(*gomail.InlineHeader); ok {
			if ct, _, _ := ih.ContentType(); ct != "text/plain" {
				continue
			}
		}
		b, _ := io.ReadAll(p.Body)
		b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		w.Write(b)
		if !bytes.HasSuffix(b, []byte("\n")) {
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w)
	return nil
}
