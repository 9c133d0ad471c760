package parser

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // charsets beyond UTF-8 and US-ASCII
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// ErrNotEmail is returned by Read and Parse when the bytes are not an email at
// all: empty, or without a header.
var ErrNotEmail = errors.New("parser: not an email")

// Message is one email read: headers and the text of every part, before it is
// matched to a request.
type Message struct {
	MessageID   string
	From        string // bare address, lower case
	FromName    string
	To          []string // bare addresses, lower case
	Cc          []string
	DeliveredTo []string
	Subject     string
	Date        time.Time // zero if none
	InReplyTo   []string  // message-ids with <>
	// References are the message-ids the References header names, and
	// those of Returned.
	References []string
	// Returned are the message-ids of the message a delivery report
	// returns (read from its text/rfc822-headers or message/rfc822 part).
	Returned []string
	// AutoSubmitted is the Auto-Submitted header's value, lower case.
	AutoSubmitted string
	// Header is the top-level header, for anything else a caller needs.
	Header gomail.Header

	// Body is the readable text of the message's own parts: text/plain
	// preferred, HTML converted to text where there is no (useful) plain part.
	Body        string
	Attachments []Attachment
	Warnings    []string

	// What the classifier needs beyond the fields above.
	reportType string // report-type of a multipart/report, lower case
	dsn        bool   // a message/delivery-status part was seen
	attTexts   []attText

	// The texts analysisTexts puts together, once: Reference and Reply
	// both need them.
	analysed      sync.Once
	docs          []string
	cleanText     string
	scanTexts     []ocrSource
	analysisPanic string // what putting them together panicked with
}

// attText is the text taken from one attachment.
type attText struct {
	name string
	text string
	ocr  bool    // the text was read by OCR from a scan or an image
	conf float64 // OCR's mean confidence, 0 to 100
}

// reader carries the state of one walk over a message's parts.
type reader struct {
	ctx       context.Context
	lim       Limits
	m         *Message
	parts     int
	textLeft  int
	warned    map[string]bool
	stopped   bool
	attachIdx int
	rawLen    int // bytes of the raw message: no part decodes to more
	ocrPages  int // pages of OCR used so far by this message
}

func (r *reader) warn(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	if r.warned[w] || len(r.m.Warnings) >= 100 {
		return
	}
	r.warned[w] = true
	r.m.Warnings = append(r.m.Warnings, w)
}

// Read reads one email. It returns an error only when raw is not an email at
// all; anything it cannot read in part becomes a warning in Message.Warnings.
func Read(ctx context.Context, raw []byte, lim *Limits) (m *Message, err error) {
	raw = trimMboxLine(raw)
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, fmt.Errorf("%w: empty input", ErrNotEmail)
	}
	if !looksLikeHeader(raw) {
		return nil, fmt.Errorf("%w: no header", ErrNotEmail)
	}
	return read(ctx, int64(len(raw)), lim, func(max int64) io.Reader {
		return bytes.NewReader(raw[:min(int64(len(raw)), max)])
	})
}

// read reads the message of size bytes that open gives, its first max
// bytes at most, as many times as needed (twice when the header must be
// read leniently). The prefix checks (an mbox line, an empty or headerless
// input) are the caller's.
func read(ctx context.Context, size int64, lim *Limits, open func(max int64) io.Reader) (m *Message, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	l := lim.WithDefaults()
	m = &Message{}
	r := &reader{ctx: ctx, lim: l, m: m, textLeft: l.MaxText, warned: map[string]bool{}}
	defer func() {
		if p := recover(); p != nil {
			r.warn("the message could not be read in full (internal error: %v)", p)
		}
	}()
	if size > l.MaxMessage {
		r.warn("the message is larger than %d bytes: only the first %d bytes were read", l.MaxMessage, l.MaxMessage)
		size = l.MaxMessage
	}

	r.rawLen = int(size)
	e, err := message.Read(open(size))
	if err != nil && e == nil {
		e, err = lenientEntity(open(size))
		if e == nil {
			return nil, fmt.Errorf("%w: %v", ErrNotEmail, err)
		}
		r.warn("the message header is malformed; read what could be read")
	}
	r.entityErr(err, "the message")
	r.readHeader(e)
	r.walk(e, 0, &m.Body)
	m.Body = cleanText(m.Body)
	if len(m.Returned) == 0 && (reBounceSender.MatchString(m.From) || reBounceSubject.MatchString(m.Subject)) {
		r.returnedInText(m.Body)
	}
	return m, nil
}

func trimMboxLine(raw []byte) []byte {
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			return raw[i+1:]
		}
	}
	return raw
}

// looksLikeHeader reports whether raw starts with a header field "Name: value".
func looksLikeHeader(raw []byte) bool {
	line := raw
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return false
	}
	for _, c := range line[:colon] {
		if c <= ' ' || c >= 127 {
			return false
		}
	}
	return true
}

// lenientEntity builds an entity from a header that textproto refused: every
// line of the form "Name: value" (with its continuation lines) is kept.
func lenientEntity(raw io.Reader) (*message.Entity, error) {
	var h textproto.Header
	br := bufio.NewReader(raw)
	var key, val string
	flush := func() {
		if key != "" {
			h.Add(key, strings.TrimSpace(val))
		}
		key, val = "", ""
	}
	for n := 0; n < 10000; n++ {
		line, err := br.ReadString('\n')
		t := strings.TrimRight(line, "\r\n")
		if t == "" {
			break
		}
		if (t[0] == ' ' || t[0] == '\t') && key != "" {
			val += " " + strings.TrimSpace(t)
		} else if i := strings.IndexByte(t, ':'); i > 0 && !strings.ContainsAny(t[:i], " \t") {
			flush()
			key, val = t[:i], t[i+1:]
		}
		if err != nil {
			break
		}
	}
	flush()
	return message.New(message.Header{Header: h}, br)
}

// entityErr turns a go-message error that still leaves a readable entity into
// a warning.
func (r *reader) entityErr(err error, what string) {
	switch {
	case err == nil:
	case message.IsUnknownCharset(err):
		r.warn("%s uses an unknown character set (%v): read as best it could be", what, errors.Unwrap(err))
	case message.IsUnknownEncoding(err):
		r.warn("%s uses an unknown transfer encoding: read undecoded", what)
	default:
		r.warn("%s could not be read in full: %v", what, err)
	}
}

func (r *reader) readHeader(e *message.Entity) {
	m := r.m
	h := gomail.Header{Header: e.Header}
	m.Header = h
	if id, err := h.MessageID(); err == nil && id != "" {
		m.MessageID = "<" + id + ">"
	} else if v := strings.TrimSpace(h.Get("Message-Id")); v != "" {
		m.MessageID = v
	}
	if from, name := firstAddress(h, "From"); from != "" || name != "" {
		m.From, m.FromName = from, name
	} else if from, name := firstAddress(h, "Sender"); from != "" {
		m.From, m.FromName = from, name
	}
	m.To = addresses(h, "To")
	m.Cc = addresses(h, "Cc")
	m.DeliveredTo = addresses(h, "Delivered-To")
	if s, err := h.Subject(); err == nil {
		m.Subject = s
	} else {
		m.Subject = h.Get("Subject")
		r.warn("the subject could not be decoded")
	}
	m.Subject = norm.NFKC.String(strings.Join(strings.Fields(fixC1(toUTF8(m.Subject))), " "))
	if d := strings.TrimSpace(h.Get("Date")); d != "" {
		if t, err := parseDate(d); err == nil {
			m.Date = t
		} else {
			r.warn("the date %q could not be read", d)
		}
	}
	m.InReplyTo = msgIDs(h, "In-Reply-To")
	m.References = msgIDs(h, "References")
	m.AutoSubmitted = strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted")))
	r.capHeaders()
}

// Bounds on what is kept of a header: a hostile message may carry a
// Subject of megabytes; a Reply carries at most these, the cut said in its
// Warnings.
const (
	maxSubject   = 2000 // bytes of Subject
	maxHeaderVal = 1000 // bytes of Message-ID, From's address and name
	maxAddresses = 100  // addresses of To, Cc, Delivered-To
	maxMsgIDs    = 100  // message-ids of In-Reply-To, References
)

// capHeaders cuts header values to the bounds above.
func (r *reader) capHeaders() {
	m := r.m
	if len(m.Subject) > maxSubject {
		r.warn("the subject is %d bytes long: only its first %d were kept", len(m.Subject), maxSubject)
		m.Subject = shorten(m.Subject, maxSubject)
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"Message-ID", &m.MessageID}, {"From address", &m.From}, {"From name", &m.FromName}} {
		if len(*f.v) > maxHeaderVal {
			r.warn("the %s is %d bytes long: only its first %d were kept", f.name, len(*f.v), maxHeaderVal)
			*f.v = shorten(*f.v, maxHeaderVal)
		}
	}
	for _, f := range []struct {
		name string
		v    *[]string
		max  int
	}{{"To", &m.To, maxAddresses}, {"Cc", &m.Cc, maxAddresses}, {"Delivered-To", &m.DeliveredTo, maxAddresses}, {"In-Reply-To", &m.InReplyTo, maxMsgIDs}, {"References", &m.References, maxMsgIDs}} {
		if len(*f.v) > f.max {
			r.warn("the %s header names %d addresses or messages: only the first %d were kept", f.name, len(*f.v), f.max)
			*f.v = (*f.v)[:f.max]
		}
		for i, x := range *f.v {
			if len(x) > maxHeaderVal {
				(*f.v)[i] = shorten(x, maxHeaderVal)
			}
		}
	}
}

// parseDate reads an RFC 5322 date, with a few common deviations.
func parseDate(s string) (time.Time, error) {
	if t, err := mail.ParseDate(s); err == nil {
		return t, nil
	}
	s = strings.TrimSpace(strings.SplitN(s, "(", 2)[0])
	for _, layout := range []string{
		"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04 -0700", "2 Jan 2006 15:04:05 -0700",
		"Mon, 2 Jan 2006 15:04:05 MST", "Mon, 2 January 2006 15:04:05 -0700", time.RFC3339,
		"Mon Jan 2 15:04:05 2006", "Mon, 2 Jan 06 15:04:05 -0700",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("unknown date format")
}

func firstAddress(h gomail.Header, key string) (addr, name string) {
	if l, err := h.AddressList(key); err == nil && len(l) > 0 {
		return strings.ToLower(l[0].Address), norm.NFKC.String(fixC1(l[0].Name))
	}
	v := h.Get(key)
	if v == "" {
		return "", ""
	}
	if a := looseAddress(v); a != "" {
		name := strings.TrimSpace(strings.Trim(strings.SplitN(v, "<", 2)[0], `" `))
		if dec, err := new(mime.WordDecoder).DecodeHeader(name); err == nil {
			name = dec
		}
		return a, name
	}
	return "", ""
}

// looseAddress finds something shaped like an address in a header value that
// did not parse.
func looseAddress(v string) string {
	if i, j := strings.LastIndexByte(v, '<'), strings.LastIndexByte(v, '>'); i >= 0 && j > i {
		return strings.ToLower(strings.TrimSpace(v[i+1 : j]))
	}
	for _, f := range strings.Fields(v) {
		f = strings.Trim(f, `"',;()<>`)
		if strings.Count(f, "@") == 1 && !strings.HasPrefix(f, "@") && !strings.HasSuffix(f, "@") {
			return strings.ToLower(f)
		}
	}
	return ""
}

func addresses(h gomail.Header, key string) []string {
	var out []string
	for _, f := range h.Values(key) {
		if l, err := (&gomail.Header{Header: headerOf(key, f)}).AddressList(key); err == nil {
			for _, a := range l {
				out = append(out, strings.ToLower(a.Address))
			}
		} else {
			for _, p := range strings.Split(f, ",") {
				if a := looseAddress(p); a != "" {
					out = append(out, a)
				}
			}
		}
	}
	return out
}

func headerOf(key, value string) message.Header {
	var h textproto.Header
	h.Add(key, value)
	return message.Header{Header: h}
}

func msgIDs(h gomail.Header, key string) []string {
	l, err := h.MsgIDList(key)
	if err != nil {
		l = nil
		for _, f := range strings.Fields(h.Get(key)) {
			if f = strings.Trim(f, "<>,"); f != "" {
				l = append(l, f)
			}
		}
	}
	out := make([]string, 0, len(l))
	for _, id := range l {
		out = append(out, "<"+id+">")
	}
	return out
}

// returned records the Message-ID of the message a delivery report
// returns (its headers, as text/rfc822-headers or message/rfc822), in
// Returned and in References: the report is about that message, and a
// matcher finds its request by it.
func (r *reader) returned(data []byte) {
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(firstBytes(data, 64<<10))))
	if err != nil && h.Len() == 0 {
		return
	}
	mh := gomail.Header{Header: message.Header{Header: h}}
	for _, id := range msgIDs(mh, "Message-Id") {
		if len(r.m.Returned) < 10 && !contains(r.m.Returned, id) {
			r.m.Returned = append(r.m.Returned, id)
			if !contains(r.m.References, id) {
				r.m.References = append(r.m.References, id)
			}
		}
	}
}

// returnedInText finds the Message-ID of the message a bounce copies into
// its text ("------ This is a copy of the message, including all the
// headers. ------", as Exim writes it, then the headers): a bounce that
// is one text part, with no message/rfc822 part to read.
func (r *reader) returnedInText(body string) {
	for _, m := range reCopiedMessageID.FindAllStringSubmatch(firstChars(body, 256<<10), 3) {
		id := m[1]
		if len(r.m.Returned) < 10 && !contains(r.m.Returned, id) {
			r.m.Returned = append(r.m.Returned, id)
			if !contains(r.m.References, id) {
				r.m.References = append(r.m.References, id)
			}
		}
	}
}

// reCopiedMessageID is a Message-ID header line inside a text.
var reCopiedMessageID = regexp.MustCompile(`(?im)^message-id:[ \t]*(<[^<>\s]+@[^<>\s]+>)`)

func firstBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// walk reads entity e at the given depth, appending readable text to body.
func (r *reader) walk(e *message.Entity, depth int, body *string) {
	if r.stopped {
		return
	}
	if r.ctx.Err() != nil {
		r.warn("reading was cancelled: the message was read in part")
		r.stopped = true
		return
	}
	r.parts++
	if r.parts > r.lim.MaxParts {
		r.warn("the message has more than %d parts: the rest were not read", r.lim.MaxParts)
		r.stopped = true
		return
	}
	if depth > r.lim.MaxDepth {
		r.warn("parts nested deeper than %d levels were not read", r.lim.MaxDepth)
		return
	}
	mediaType, params, err := e.Header.ContentType()
	if err != nil || mediaType == "" {
		if e.Header.Get("Content-Type") != "" && err != nil {
			r.warn("a part has a malformed Content-Type %q: read as text", e.Header.Get("Content-Type"))
		}
		mediaType, params = "text/plain", map[string]string{}
	}
	disp, dparams, _ := e.Header.ContentDisposition()
	filename := decodeWord(dparams["filename"])
	if filename == "" {
		filename = decodeWord(params["name"])
	}
	filename = path.Base(strings.ReplaceAll(filename, `\`, "/"))
	if filename == "." || filename == "/" {
		filename = ""
	}
	isAttachment := strings.EqualFold(disp, "attachment")

	switch {
	case strings.HasPrefix(mediaType, "multipart/"):
		r.walkMultipart(e, mediaType, params, depth, body)
	case mediaType == "message/rfc822" || mediaType == "message/global":
		data := r.readAll(e, filename)
		if isAttachment || filename != "" {
			r.m.Attachments = append(r.m.Attachments, Attachment{Filename: filename, ContentType: mediaType, Size: len(data)})
		}
		inner, err := message.Read(bytes.NewReader(data))
		if inner == nil {
			r.warn("a forwarded message could not be read: %v", err)
			return
		}
		if r.m.reportType != "" || r.m.dsn {
			r.returned(data) // the message a delivery report returns
		}
		r.entityErr(err, "a forwarded message")
		ih := gomail.Header{Header: inner.Header}
		subj, _ := ih.Subject()
		from := ih.Get("From")
		if dec, err := new(mime.WordDecoder).DecodeHeader(from); err == nil {
			from = dec
		}
		var fwd string
		r.walk(inner, depth+1, &fwd)
		appendText(body, "---------- Forwarded message ----------\nFrom: "+from+"\nSubject: "+subj+"\n\n"+fwd)
	case mediaType == "message/delivery-status" || mediaType == "message/global-delivery-status":
		r.m.dsn = true
		appendText(body, r.budget(toUTF8(string(r.readAll(e, filename)))))
	case (mediaType == "text/plain" || mediaType == "text/html") && !isAttachment && filename == "":
		var data []byte
		if mediaType == "text/plain" {
			data = r.readText(e, filename)
		} else {
			data = r.readAll(e, filename)
		}
		text := r.partText(mediaType, data)
		appendText(body, r.budget(text))
	case mediaType == "text/rfc822-headers":
		// The returned headers of a bounce: not text anyone wrote, but the
		// Message-ID they carry says which message could not be delivered.
		r.returned(r.readAll(e, filename))
	default:
		r.attachment(e, mediaType, filename, isAttachment)
	}
}

func (r *reader) walkMultipart(e *message.Entity, mediaType string, params map[string]string, depth int, body *string) {
	mr := e.MultipartReader()
	if mr == nil {
		return
	}
	if mediaType == "multipart/report" {
		r.m.reportType = strings.ToLower(params["report-type"])
	}
	alternative := mediaType == "multipart/alternative"
	type alt struct {
		mediaType string
		text      string
	}
	var alts []alt
	plainSeen := 0
	for i := 0; !r.stopped; i++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if p == nil {
			if err != nil {
				r.warn("a multipart section could not be read in full: %v", err)
			}
			break
		}
		r.entityErr(err, "a part")
		if !alternative {
			r.walk(p, depth+1, body)
			continue
		}
		pt, _, _ := p.Header.ContentType()
		if pt == "text/html" && plainSeen >= 500 {
			continue // a full plain part is there: the HTML is not needed
		}
		var t string
		r.walk(p, depth+1, &t)
		alts = append(alts, alt{pt, t})
		if pt == "text/plain" {
			plainSeen = max(plainSeen, len(strings.TrimSpace(t)))
		}
	}
	if !alternative || len(alts) == 0 {
		return
	}
	// Prefer text/plain; fall back to the HTML (or whatever else) when the
	// plain part is missing or a mere stub of the HTML's text.
	var plain, other string
	for _, a := range alts {
		t := strings.TrimSpace(a.text)
		if t == "" {
			continue
		}
		if a.mediaType == "text/plain" && plain == "" {
			plain = t
		} else if a.mediaType != "text/plain" && len(t) > len(other) {
			other = t
		}
	}
	switch {
	case plain != "" && (other == "" || 3*len(plain) >= len(other) || len(other) < 200):
		appendText(body, plain)
	case other != "":
		appendText(body, other)
	default:
		appendText(body, plain)
	}
}

// readAll reads a part's decoded body within the message limit. A large
// part is read into one buffer sized once from the message's length (a
// decoded part is never longer than the message that holds it), not grown
// by doubling: that would hold two copies of a 25 MB attachment at once.
func (r *reader) readAll(e *message.Entity, name string) []byte {
	data, err := readBounded(io.LimitReader(e.Body, r.lim.MaxMessage), r.rawLen)
	if err != nil {
		what := "a part"
		if name != "" {
			what = "attachment " + name
		}
		r.warn("%s could not be decoded in full: %v", what, err)
	}
	return data
}

// readBounded reads rd to its end. After the first 256 KiB it grows its
// buffer once to the largest size the part can have (limit), base64 taken
// into account, and only by appending after that.
func readBounded(rd io.Reader, limit int) ([]byte, error) {
	buf := make([]byte, 0, 2<<10)
	grown := false
	for {
		if len(buf) == cap(buf) {
			switch {
			case !grown && len(buf) >= 256<<10 && limit > cap(buf):
				grown = true
				nb := make([]byte, len(buf), limit*3/4+64<<10)
				copy(nb, buf)
				buf = nb
			default:
				buf = append(buf, 0)[:len(buf)]
			}
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// cutText cuts the bytes of a text part or attachment to what the text
// budget can still take (with room for what cleaning removes), before they
// are converted and cleaned: a 25 MB text file is not copied whole four
// times to keep its first 4 MiB.
func (r *reader) cutText(data []byte) []byte {
	max := r.textLeft + r.textLeft/4 + 1024
	if len(data) <= max {
		return data
	}
	r.warn("the message holds more than %d characters of text: the rest was not read", r.lim.MaxText)
	for max > 0 && !utf8.RuneStart(data[max]) {
		max--
	}
	return data[:max]
}

// partText turns the bytes of a text/plain or text/html part into text.
func (r *reader) partText(mediaType string, data []byte) string {
	if mediaType == "text/html" {
		return r.htmlText(data)
	}
	return toUTF8(string(r.cutText(data)))
}

// budget cuts text to what is left of MaxText.
func (r *reader) budget(text string) string {
	if len(text) <= r.textLeft {
		r.textLeft -= len(text)
		return text
	}
	r.warn("the message holds more than %d characters of text: the rest was not read", r.lim.MaxText)
	cut := r.textLeft
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	r.textLeft = 0
	return text[:cut]
}

func appendText(body *string, text string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	if *body != "" {
		*body += "\n\n"
	}
	*body += text
}

// toUTF8 returns s unchanged when it is valid UTF-8, and otherwise reads it as
// windows-1252, the usual charset of mislabelled mail.
func toUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	if out, err := charmap.Windows1252.NewDecoder().String(s); err == nil {
		return out
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func decodeWord(s string) string {
	if s == "" {
		return ""
	}
	dec := mime.WordDecoder{CharsetReader: message.CharsetReader}
	if d, err := dec.DecodeHeader(s); err == nil {
		s = d
	}
	return strings.TrimSpace(fixC1(toUTF8(s)))
}

// fixC1 reads C1 control characters (U+0080 to U+009F) as the windows-1252
// characters they stand for: mail labelled ISO-8859-1 is usually
// windows-1252 (as WHATWG's encoding standard has it), and its curly quotes
// and dashes otherwise come out as controls.
func fixC1(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 && r <= 0x9f }) {
		return s
	}
	dec := charmap.Windows1252.NewDecoder()
	return strings.Map(func(r rune) rune {
		if r < 0x80 || r > 0x9f {
			return r
		}
		out, err := dec.Bytes([]byte{byte(r)})
		if err != nil || len(out) == 0 {
			return r
		}
		if d, _ := utf8.DecodeRune(out); d != utf8.RuneError {
			return d
		}
		return r
	}, s)
}

// cleanText normalises text: NFKC, Unix line ends, no trailing spaces, no
// runs of more than one blank line.
func cleanText(s string) string {
	s = norm.NFKC.String(fixC1(s))
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	b.Grow(len(s))
	blank := 0
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(strings.Map(func(r rune) rune {
			switch r {
			case '\u00a0', '\u2007', '\u202f':
				return ' '
			case '\u200b', '\ufeff', '\u00ad':
				return -1
			}
			return r
		}, line), " ")
		if line == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return strings.TrimSpace(b.String())
}
