package worker

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Importing a campaign's authorities from a CSV (`foiwatch campaign
// import`): one row per authority, with a header naming the columns.

// Authority columns of the CSV. name and email are required; checked,
// website and notes are read (checked = no refuses the row) and not
// written to the campaign.
var authorityColumns = []string{"name", "email", "domains", "id", "reply_to", "checked", "website", "notes"}

// ImportOptions tune ImportAuthorities.
type ImportOptions struct {
	// ReplyTo, when set, makes the reply_to of every row that has none:
	// "{id}" is replaced by the request's id ("foi+{id}@example.org").
	ReplyTo string
}

// ImportAuthorities reads a CSV of authorities into requests without
// sent_at. Every bad row is reported with its line number and why; two rows
// with the same email or id are refused. Lines starting with # are comments.
//
// It is over 100 lines: one loop over the rows whose checks read as a list of
// rules, each reporting on the row's line; split, they would pass the row,
// its line and the list of errors between them.
func ImportAuthorities(r io.Reader, opts ImportOptions) ([]*Request, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("the CSV is empty: want a header line such as name,email,domains")
	}
	if err != nil {
		return nil, fmt.Errorf("CSV: %w", err)
	}
	hline, _ := cr.FieldPos(0)
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if h == "authority" {
			h = "name"
		}
		known := false
		for _, k := range authorityColumns {
			known = known || h == k
		}
		if !known {
			return nil, fmt.Errorf("line %d: unknown column %q: the columns are name, email, domains, id and reply_to (and checked, website, notes)", hline, header[i])
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("line %d: column %q appears twice", hline, h)
		}
		col[h] = i
	}
	for _, k := range []string{"name", "email"} {
		if _, ok := col[k]; !ok {
			return nil, fmt.Errorf("line %d: the header has no %s column (it has %s)", hline, k, strings.Join(header, ", "))
		}
	}

	type row struct {
		line    int
		req     *Request
		givenID bool
	}
	var rows []row
	var errs []error
	bad := func(line int, name, format string, a ...any) {
		where := fmt.Sprintf("line %d", line)
		if name != "" {
			where += " (" + name + ")"
		}
		errs = append(errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, a...)))
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad(pe.Line, "", "%v", pe.Err)
				if len(rec) == 0 {
					continue
				}
			} else {
				return nil, fmt.Errorf("CSV: %w", err)
			}
		}
		get := func(k string) string {
			if i, ok := col[k]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if len(rec) != len(header) {
			bad(line, get("name"), "%d fields, but the header has %d", len(rec), len(header))
			continue
		}
		empty := true
		for _, f := range rec {
			empty = empty && strings.TrimSpace(f) == ""
		}
		if empty {
			continue
		}
		name := get("name")
		if name == "" {
			bad(line, "", "name is empty")
			continue
		}
		req := &Request{Authority: name}
		switch strings.ToLower(get("checked")) {
		case "", "yes", "y", "true", "1":
		case "no", "n", "false", "0":
			hint := ""
			if w := get("website"); w != "" {
				hint = " (" + w + ")"
			}
			bad(line, name, "checked = %s: this row's address has not been checked: confirm the authority's FOI address on its website%s, write it in the email column and set checked to yes", get("checked"), hint)
			continue
		default:
			bad(line, name, "checked = %q: want yes or no", get("checked"))
			continue
		}
		email := get("email")
		if email == "" {
			bad(line, name, "email is empty: the address the request goes to is required")
			continue
		}
		a, err := mail.ParseAddress(email)
		if err != nil || a.Address != email && !strings.EqualFold(a.Address, email) {
			bad(line, name, "email = %q is not a plain email address", email)
			continue
		}
		req.Email = strings.ToLower(a.Address)
		for _, d := range strings.FieldsFunc(get("domains"), func(r rune) bool { return r == ';' || r == ',' || unicode.IsSpace(r) }) {
			d = strings.ToLower(strings.TrimPrefix(d, "@"))
			if !domainRE.MatchString(d) {
				bad(line, name, "domains: %q is not a mail domain", d)
				continue
			}
			req.Domains = append(req.Domains, d)
		}
		if rt := get("reply_to"); rt != "" {
			a, err := mail.ParseAddress(rt)
			if err != nil {
				bad(line, name, "reply_to = %q is not an email address", rt)
				continue
			}
			req.ReplyTo = strings.ToLower(a.Address)
		}
		id := get("id")
		if id != "" && !idRE.MatchString(id) {
			bad(line, name, "id = %q: a request id is lower-case letters, digits and dashes", id)
			continue
		}
		req.ID = id
		rows = append(rows, row{line: line, req: req, givenID: id != ""})
	}
	if len(rows) == 0 && len(errs) == 0 {
		return nil, errors.New("the CSV has a header but no authorities")
	}

	// Ids from names, without the words every generated one starts with
	// ("office-police-crime-commissioner-...").
	var gen [][]string
	for _, r := range rows {
		if !r.givenID {
			gen = append(gen, slugWords(r.req.Authority))
		}
	}
	drop := commonLeadingWords(gen)
	if drop > 0 {
		// Not when it makes two ids the same that were not.
		short := map[string]bool{}
		for _, w := range gen {
			short[joinSlug(w[drop:])] = true
		}
		if len(short) < len(gen) {
			drop = 0
		}
	}
	for _, r := range rows {
		if r.givenID {
			continue
		}
		w := slugWords(r.req.Authority)
		if len(w) > drop {
			w = w[drop:]
		}
		r.req.ID = joinSlug(w)
		if r.req.ID == "" {
			bad(r.line, r.req.Authority, "no id can be made from the name: add an id column")
		}
	}

	byEmail, byID := map[string]int{}, map[string]int{}
	var out []*Request
	for _, r := range rows {
		if prev, dup := byEmail[r.req.Email]; dup {
			bad(r.line, r.req.Authority, "email %s is also on line %d: each authority once", r.req.Email, prev)
			continue
		}
		byEmail[r.req.Email] = r.line
		if r.req.ID == "" {
			continue
		}
		if prev, dup := byID[r.req.ID]; dup {
			bad(r.line, r.req.Authority, "id %q is also the id of line %d: give one of them an id of its own in an id column", r.req.ID, prev)
			continue
		}
		byID[r.req.ID] = r.line
		if opts.ReplyTo != "" && r.req.ReplyTo == "" {
			rt := strings.ReplaceAll(opts.ReplyTo, "{id}", r.req.ID)
			a, err := mail.ParseAddress(rt)
			if err != nil {
				bad(r.line, r.req.Authority, "--reply-to makes %q, which is not an email address", rt)
				continue
			}
			r.req.ReplyTo = strings.ToLower(a.Address)
		}
		out = append(out, r.req)
	}
	if len(errs) > 0 {
		if len(errs) > 50 {
			errs = append(errs[:50], fmt.Errorf("and %d more", len(errs)-50))
		}
		return nil, errors.Join(errs...)
	}
	return out, nil
}

var domainRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

// slugStop are words left out of ids made from names.
var slugStop = map[string]bool{"the": true, "of": true, "and": true, "for": true, "a": true}

// slugWords are the lower-case ASCII words of name, accents taken off,
// without small words.
func slugWords(name string) []string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	s, _, err := transform.String(t, name)
	if err != nil {
		s = name
	}
	s = strings.ToLower(s)
	var words []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
		if !slugStop[w] {
			words = append(words, w)
		}
	}
	return words
}

// commonLeadingWords is how many leading words every list shares (never
// all of any list's words), when there are at least two lists.
func commonLeadingWords(lists [][]string) int {
	if len(lists) < 2 {
		return 0
	}
	n := 0
	for {
		for _, l := range lists {
			if n >= len(l)-1 || l[n] != lists[0][n] {
				return n
			}
		}
		n++
	}
}

// joinSlug joins words with dashes, at most 40 characters (whole words).
func joinSlug(words []string) string {
	var b strings.Builder
	for _, w := range words {
		if b.Len() > 0 && b.Len()+1+len(w) > 40 {
			break
		}
		if b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteString(w)
	}
	s := b.String()
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.Trim(s, "-")
}

// CampaignWithRequests is the questions file (a campaign file without
// [[requests]]) followed by the requests, as TOML. The result is checked as
// a campaign file; the questions file's text is kept as written.
func CampaignWithRequests(questionsName string, questions []byte, reqs []*Request, note string) ([]byte, error) {
	c, err := ParseCampaign(questionsName, string(questions))
	if err != nil {
		return nil, err
	}
	if len(c.Requests) > 0 {
		return nil, fmt.Errorf("%s already lists %d [[requests]]: the questions file holds the campaign's id, title and questions; the requests come from the CSV", questionsName, len(c.Requests))
	}
	var b bytes.Buffer
	b.Write(bytes.TrimRight(questions, "\n\t "))
	b.WriteString("\n\n")
	for _, l := range strings.Split(strings.TrimSpace(note), "\n") {
		b.WriteString("# " + l + "\n")
	}
	for _, r := range reqs {
		b.WriteString("\n[[requests]]\n")
		fmt.Fprintf(&b, "id = %s\n", tomlString(r.ID))
		fmt.Fprintf(&b, "authority = %s\n", tomlString(r.Authority))
		fmt.Fprintf(&b, "email = %s\n", tomlString(r.Email))
		if len(r.Domains) > 0 {
			var ds []string
			for _, d := range r.Domains {
				ds = append(ds, tomlString(d))
			}
			fmt.Fprintf(&b, "domains = [%s]\n", strings.Join(ds, ", "))
		}
		if r.ReplyTo != "" {
			fmt.Fprintf(&b, "reply_to = %s\n", tomlString(r.ReplyTo))
		}
	}
	out := b.Bytes()
	if _, err := ParseCampaign(questionsName, string(out)); err != nil {
		return nil, fmt.Errorf("the campaign made from %s does not read back (a bug: please report it): %w", questionsName, err)
	}
	return out, nil
}

// tomlString quotes s as a TOML basic string (JSON's escapes are TOML's).
func tomlString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSpace(b.String())
}
