package worker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/parser/scantest"
	"github.com/foiwatch/foiwatch/queue"
	"github.com/foiwatch/foiwatch/worker"
)

// letterPDF is a one-page PDF with a text layer holding lines.
func letterPDF(lines ...string) []byte {
	var c strings.Builder
	y := 780
	for _, l := range lines {
		s := strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`, "£", `\243`).Replace(l)
		fmt.Fprintf(&c, "BT /F1 11 Tf 1 0 0 1 56 %d Tm (%s) Tj ET\n", y, s)
		y -= 16
	}
	content := c.String()
	return scantest.PDF([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	})
}

// suffolkLetterPDF answers the loop campaign, as a posted letter scanned
// with its text layer.
func suffolkLetterPDF() []byte {
	return letterPDF("Office of the Police and Crime Commissioner for Suffolk", "Our reference: SPCC-77", "",
		"Dear Requester,", "Please find our response to your request below.", "",
		"1. Suffolk Stalking Service.", "2. 7.", "3. 41.", "4. 15.", "5. Suffolk Police; Probation Service",
		"6. The Police and Crime Commissioner", "7. £97,500 per annum.", "", "Yours faithfully,", "Disclosure Officer")
}

// smallPNG is a photograph too small to be read (a compliments slip).
func smallPNG(t *testing.T) []byte {
	img := image.NewGray(image.Rect(0, 0, 40, 20))
	for x := 0; x < 40; x++ {
		img.SetGray(x, 10, color.Gray{Y: 80})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestALetterThatCameByPostIsStoredLikeMail(t *testing.T) {
	d := openLoop(t, memPeer(t), 2, nil)
	ctx := context.Background()
	pdf, photo := suffolkLetterPDF(), smallPNG(t)
	received := time.Date(2024, 6, 26, 12, 0, 0, 0, time.UTC)
	added, err := d.AddFiles(ctx, "suffolk", []worker.AddedFile{{Name: "/tmp/scans/letter.pdf", Data: pdf}, {Name: "slip.png", Data: photo}},
		worker.AddOptions{Received: received, Note: "came by post"})
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 1 || len(added[0].Files) != 2 {
		t.Fatalf("added %+v, want one letter of two files", added)
	}
	sha, r := added[0].SHA256, added[0].Reply
	if r.Request != "suffolk" || r.Match != worker.MatchOperator || r.Kind != parser.KindResponse || r.Answers["agency_referrals"].Value != int64(41) {
		t.Fatalf("the letter is %s/%s by %s, %s, answers %+v", r.Campaign, r.Request, r.Match, r.Kind, r.Answers)
	}
	if r.Date != received.Format(time.RFC3339) || r.From != "foi@suffolk-pcc.gov.uk" {
		t.Errorf("the letter's date %q and sender %q: want the day it arrived and the request's email", r.Date, r.From)
	}
	// The raw message is the source of truth: it holds the files as given.
	for n, want := range map[int][]byte{1: pdf, 2: photo} {
		p, err := d.Attachment(ctx, sha, n)
		if err != nil || !bytes.Equal(p.Data, want) {
			t.Errorf("attachment %d: %v, %d bytes, want the file's %d", n, err, len(p.Data), len(want))
		}
	}
	if p, _ := d.Attachment(ctx, sha, 1); p.Name() != "letter.pdf" || p.ContentType != "application/pdf" {
		t.Errorf("attachment 1 is %q (%s)", p.Name(), p.ContentType)
	}
	if _, err := d.Attachment(ctx, sha, 3); err == nil || !strings.Contains(err.Error(), "has 2 attachment(s)") {
		t.Errorf("attachment 3: %v", err)
	}
	if s, _, _ := d.Store.State(ctx, "stalking-2024", "suffolk"); s.RepliedAt != "2024-06-26" {
		t.Errorf("suffolk replied %q, want the day the letter arrived", s.RepliedAt)
	}

	// A saved email is stored as it is.
	eml, err := os.ReadFile("testdata/loop/07-hub-reply.eml")
	if err != nil {
		t.Fatal(err)
	}
	added2, err := d.AddFiles(ctx, "kent", []worker.AddedFile{{Name: "hub.EML", Data: eml}}, worker.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if added2[0].SHA256 != queue.SHA256(eml) {
		t.Errorf("the .eml was not stored as it is")
	}
	if raw, _ := d.Q.GetRaw(ctx, added2[0].SHA256); !bytes.Equal(raw, eml) {
		t.Errorf("the stored .eml differs from the file")
	}

	// Nothing is added twice by mistake; files foiwatch cannot read are refused.
	var refused *worker.RefusedError
	if _, err := d.AddFiles(ctx, "suffolk", []worker.AddedFile{{Name: "again.pdf", Data: pdf}}, worker.AddOptions{}); !errors.As(err, &refused) || !strings.Contains(err.Error(), "was added before") {
		t.Errorf("the same letter again: %v", err)
	}
	for _, f := range []worker.AddedFile{{Name: "notes.eml", Data: []byte("just some notes\n")}, {Name: "blob.bin", Data: []byte{0, 1, 2, 3, 0xff}}, {Name: "empty.pdf"}} {
		if _, err := d.AddFiles(ctx, "suffolk", []worker.AddedFile{f}, worker.AddOptions{}); err == nil {
			t.Errorf("%s was added", f.Name)
		}
	}

	// reprocess keeps both where the operator put them.
	if _, err := d.Reprocess(ctx, ""); err != nil {
		t.Fatal(err)
	}
	syncAll(t, d)
	for sha, req := range map[string]string{sha: "suffolk", added2[0].SHA256: "kent"} {
		if r, _ := d.Store.Reply(ctx, sha); r.Request != req || r.Match != worker.MatchOperator {
			t.Errorf("after reprocess %s is %s by %s, want %s by operator", sha[:12], r.Request, r.Match, req)
		}
	}
	rd, err := d.ReplyDetail(ctx, sha, true)
	if err != nil {
		t.Fatal(err)
	}
	if rd.Decision == nil || rd.Decision.Action != worker.PlaceAdd || rd.Decision.Note != "came by post" || len(rd.Parts) != 2 || !strings.Contains(rd.Parts[0].Text, "Suffolk Stalking Service.") {
		t.Errorf("reply detail of the letter: decision %+v, parts %+v", rd.Decision, rd.Parts)
	}
}

// raw gives back, byte for byte, what Dovecot holds: a message with an
// attachment, and one with bare LF line ends.
func TestRawIsWhatTheIMAPServerHeld(t *testing.T) {
	peer := dovecotPeer(t)
	pdf := suffolkLetterPDF()
	withPDF := "From: Suffolk OPCC <foi@suffolk-pcc.gov.uk>\r\nTo: researcher@requests.example.org\r\nSubject: Your FOI request SPCC-77\r\n" +
		"Date: Mon, 10 Jun 2024 12:00:00 +0100\r\nMessage-ID: <pdf-77@suffolk-pcc.gov.uk>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find our response attached.\r\n" +
		"--b1\r\nContent-Type: application/pdf; name=\"SPCC-77 response.pdf\"\r\nContent-Disposition: attachment; filename=\"SPCC-77 response.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64Lines(pdf) + "--b1--\r\n"
	bareLF := "From: Kent OPCC <foi@kent-pcc.gov.uk>\nTo: researcher@requests.example.org\nSubject: RE: Freedom of Information request\n" +
		"Date: Wed, 22 May 2024 09:00:00 +0100\nMessage-ID: <lf-0412@kent-pcc.gov.uk>\nIn-Reply-To: <stalking-kent@requests.example.org>\n\n" +
		"Logged under reference KPCC/FOI/0412.\n"
	peer.append(t, []byte(withPDF))
	peer.append(t, []byte(bareLF))
	d := openLoop(t, peer, 2, nil)
	ctx := context.Background()
	syncAll(t, d)
	held, err := peerMessages(peer)
	if err != nil || len(held) != 2 {
		t.Fatalf("Dovecot holds %d messages (%v)", len(held), err)
	}
	for _, m := range held {
		sha := queue.SHA256(m)
		raw, err := d.Q.GetRaw(ctx, sha)
		if err != nil || !bytes.Equal(raw, m) {
			t.Errorf("the stored message %s is not what Dovecot holds (%v)", sha[:12], err)
		}
		o, err := d.Original(ctx, sha)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(m), "SPCC-77 response.pdf") {
			if len(o.Parts) != 1 || !bytes.Equal(o.Parts[0].Data, pdf) || o.Parts[0].Name() != "SPCC-77 response.pdf" {
				t.Errorf("the attachment as foiwatch raw gives it differs from the PDF sent: %+v", o.Parts)
			}
			r, _ := d.Store.Reply(ctx, sha)
			if len(r.Attachments) != len(o.Parts) || r.Attachments[0].Filename != o.Parts[0].Filename || r.Attachments[0].Size != len(o.Parts[0].Data) {
				t.Errorf("show numbers attachments unlike the Reply: %+v against %+v", o.Parts, r.Attachments)
			}
		}
	}
}
