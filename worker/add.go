package worker

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/parser/extract"
)

// Replies that came another way (foiwatch add): a letter that came by
// post, scanned to PDF or photographed, or an email saved from a portal.
// Each is stored as mail is, raw bytes first, so that the raw message
// stays the source of truth: an .eml as it is; other files wrapped in a
// message foiwatch writes (RFC 5322, the files as attachments, From the
// request's authority, Date the day it arrived), whose attachments are the
// files byte for byte. The reply is filed under the request as an
// operator's decision, parsed (OCR where needed) like any other.

// AddedFile is one file given to foiwatch add.
type AddedFile struct {
	Name string // as given (its base name is kept)
	Data []byte
}

// AddOptions tune AddFiles.
type AddOptions struct {
	// Received is when the letter arrived: the reply's date, from which
	// lateness is counted. Default now.
	Received time.Time
	// Note is kept with the decision.
	Note string
	// Force adds a file that was added before.
	Force bool
}

// Added is one reply made by AddFiles.
type Added struct {
	SHA256 string
	Files  []string
	Reply  *parser.Reply
}

// addedRecord is the value of an added.SHA256-OF-FILE decision key.
type addedRecord struct {
	Message  string    `json:"message"` // the sha256 of the stored message
	File     string    `json:"file"`
	Campaign string    `json:"campaign"`
	Request  string    `json:"request"`
	At       time.Time `json:"at"`
}

// fileTypes are the content types a wrapped file is sent as, by what its
// first bytes say it is.
var fileTypes = map[extract.Format]string{
	extract.FormatPDF:  "application/pdf",
	extract.FormatDOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	extract.FormatJPEG: "image/jpeg",
	extract.FormatPNG:  "image/png",
	extract.FormatTIFF: "image/tiff",
	extract.FormatHTML: "text/html",
	extract.FormatText: "text/plain",
}

// AddFiles stores files as replies to request: every .eml file as a reply
// of its own, every other file together as one letter (the pages of one
// letter photographed, say). It refuses a file added before, unless
// opts.Force.
func (d *Daemon) AddFiles(ctx context.Context, request string, files []AddedFile, opts AddOptions) ([]Added, error) {
	c, r, err := d.findRequest(request)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no files to add")
	}
	if opts.Received.IsZero() {
		opts.Received = d.Now()
	}
	type msg struct {
		raw   []byte
		files []AddedFile
	}
	var msgs []msg
	var letter []AddedFile
	for _, f := range files {
		if len(f.Data) == 0 {
			return nil, fmt.Errorf("%s is empty", f.Name)
		}
		if strings.EqualFold(filepath.Ext(f.Name), ".eml") {
			if !looksLikeMail(f.Data) {
				return nil, fmt.Errorf("%s is named .eml but does not start with mail headers (From:, Date:, ...): is it an email saved as a file?", f.Name)
			}
			msgs = append(msgs, msg{raw: f.Data, files: []AddedFile{f}})
			continue
		}
		if _, ok := fileTypes[extract.Sniff(f.Data)]; !ok {
			return nil, fmt.Errorf("%s is not a PDF, an image (JPEG, PNG, TIFF), a Word document, HTML or text: foiwatch could read nothing from it", f.Name)
		}
		letter = append(letter, f)
	}
	by := Operator()
	now := d.Now().UTC()
	if len(letter) > 0 {
		raw, err := wrapLetter(c, r, letter, opts.Received, by, now)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, msg{raw: raw, files: letter})
	}
	// Refuse files added before, all of them before storing any.
	if !opts.Force {
		for _, m := range msgs {
			for _, f := range m.files {
				var rec addedRecord
				found, err := d.Store.getDecision(ctx, addedKey(fileSHA(f.Data)), &rec)
				if err != nil {
					return nil, err
				}
				if found {
					return nil, &RefusedError{fmt.Sprintf("%s was added before, on %s, to %s/%s as message %s: foiwatch move %s REQUEST puts it elsewhere; --force adds it again",
						f.Name, rec.At.Format("2006-01-02"), rec.Campaign, rec.Request, short(rec.Message), short(rec.Message))}
				}
			}
		}
	}
	var out []Added
	for _, m := range msgs {
		sha, err := d.Q.PutRaw(ctx, m.raw)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, f := range m.files {
			names = append(names, filepath.Base(f.Name))
		}
		pl := Placement{Action: PlaceAdd, Campaign: c.ID, Request: r.ID, By: by, At: now, Note: opts.Note, Files: names}
		rep, err := d.decide(ctx, sha, pl)
		if err != nil {
			return nil, err
		}
		for _, f := range m.files {
			rec := addedRecord{Message: sha, File: filepath.Base(f.Name), Campaign: c.ID, Request: r.ID, At: now}
			if err := d.Store.putDecision(ctx, addedKey(fileSHA(f.Data)), rec); err != nil {
				return nil, err
			}
		}
		d.Log.Info("reply added by an operator", "sha", short(sha), "campaign", c.ID, "request", r.ID, "files", strings.Join(names, ", "))
		out = append(out, Added{SHA256: sha, Files: names, Reply: rep})
	}
	return out, nil
}

func fileSHA(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// looksLikeMail reports whether b starts with a mail header line.
func looksLikeMail(b []byte) bool {
	line, _, _ := bytes.Cut(b[:min(len(b), 1000)], []byte("\n"))
	line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(line, []byte("From ")) { // an mbox From_ line
		return true
	}
	k, _, ok := bytes.Cut(line, []byte(":"))
	if !ok || len(k) == 0 {
		return false
	}
	for _, c := range k {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// wrapLetter writes the message a letter's files are stored as.
func wrapLetter(c *Campaign, r *Request, files []AddedFile, received time.Time, by string, now time.Time) ([]byte, error) {
	var names []string
	h := sha256.New()
	for _, f := range files {
		names = append(names, filepath.Base(f.Name))
		h.Write(f.Data)
	}
	var hdr mail.Header
	hdr.SetDate(received)
	hdr.SetAddressList("From", []*mail.Address{{Name: r.Authority, Address: r.Email}})
	hdr.SetSubject("Letter received by post: " + strings.Join(names, ", "))
	hdr.SetMessageID(fmt.Sprintf("added.%x@foiwatch.invalid", h.Sum(nil)[:12]))
	hdr.Set("X-Foiwatch-Added", fmt.Sprintf("by %s on %s with foiwatch add, for %s/%s", by, now.Format(time.RFC3339), c.ID, r.ID))
	var buf bytes.Buffer
	mw, err := mail.CreateWriter(&buf, hdr)
	if err != nil {
		return nil, fmt.Errorf("write the message for %s: %w", strings.Join(names, ", "), err)
	}
	for i, f := range files {
		var ah mail.AttachmentHeader
		ah.Set("Content-Type", fileTypes[extract.Sniff(f.Data)])
		ah.SetFilename(names[i])
		aw, err := mw.CreateAttachment(ah)
		if err != nil {
			return nil, err
		}
		if _, err := aw.Write(f.Data); err != nil {
			return nil, err
		}
		if err := aw.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
