package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// The mailbox of the sync benchmarks (issue 19): nReqs requests in two
// campaigns (the same authorities asked by both, so a reply's sender alone
// does not say which), about five replies each, interleaved in time as
// they arrive: reply i answers request i % nReqs, so consecutive messages
// go to different requests and a request's replies are spread over the
// whole mailbox.
//
// Round j of a request's replies (j = i / nReqs):
//
//	0: an acknowledgement that gives the authority's reference, threaded;
//	1: an out-of-office note, threaded;
//	2: a response quoting the reference, not threaded (it is placed by
//	   what the acknowledgement taught: rule 6), so the reference index
//	   is read and written as it would be;
//	3 and on: responses, threaded; one in twenty of them carries a PDF
//	   letter.

// benchCampaignIDs are the benchmark's two campaigns.
var benchCampaignIDs = [2]string{"alpha", "beta"}

// benchReq is where request k of nReqs sits: its campaign, its authority.
func benchReq(k int) (camp string, auth int) { return benchCampaignIDs[k%2], k / 2 }

// benchCampaigns writes the two campaign files for nReqs requests into dir
// and returns their paths.
func benchCampaigns(dir string, nReqs int) ([]string, error) {
	var paths []string
	for ci, id := range benchCampaignIDs {
		var b strings.Builder
		fmt.Fprintf(&b, `id = %q
title = "Benchmark campaign %s"
[[questions]]
key = "referrals"
number = 1
type = "count"
text = "The total number of people referred into the programme"
[[questions]]
key = "partners"
number = 2
type = "list"
text = "The names of the organisations who made referrals"
[[questions]]
key = "budget"
number = 3
type = "money"
text = "Budget inclusive of running costs"
`, id, id)
		for k := ci; k < nReqs; k += 2 {
			_, a := benchReq(k)
			fmt.Fprintf(&b, `[[requests]]
id = "r%04d"
authority = "Authority %04d"
email = "foi@authority%04d.example.gov.uk"
sent_at = 2024-01-02T10:00:00Z
message_id = "<req-%s-%04d@requests.example.org>"
`, a, a, a, id, a)
		}
		p := fmt.Sprintf("%s/campaign-%s.toml", dir, id)
		if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// benchCampaignsTOML is the campaigns line of a config for paths.
func benchCampaignsTOML(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = strconv.Quote(p)
	}
	return "campaigns = [" + strings.Join(q, ", ") + "]"
}

// benchReplyMessage is message i of the mailbox for nReqs requests.
func benchReplyMessage(i, nReqs int, pdf []byte) []byte {
	k, round := i%nReqs, i/nReqs
	camp, a := benchReq(k)
	date := time.Date(2024, 1, 3, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).Format(time.RFC1123Z)
	ref := fmt.Sprintf("FOI/%s/%04d", strings.ToUpper(camp[:1]), a)
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: FOI Team <foi@authority%04d.example.gov.uk>\r\nTo: researcher@requests.example.org\r\n"+
		"Date: %s\r\nMessage-ID: <gen-%d@authority%04d.example.gov.uk>\r\nMIME-Version: 1.0\r\n", a, date, i, a)
	if round != 2 {
		fmt.Fprintf(&b, "In-Reply-To: <req-%s-%04d@requests.example.org>\r\n", camp, a)
	}
	switch {
	case round == 0:
		fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\r\nSubject: RE: FOI request [%s]\r\n\r\n"+
			"Your request has been logged under reference %s.\r\nWe will respond no later than 31 January 2024.\r\n", ref, ref)
	case round == 1:
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nSubject: Automatic reply: FOI request\r\nAuto-Submitted: auto-replied\r\n\r\n" +
			"I am out of the office until Monday.\r\n")
	case round == 2:
		fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\r\nSubject: Your FOI request %s\r\n\r\nI can advise the following:\r\n\r\n"+
			"1. %d.\r\n2. Police, Probation Service.\r\n3. £%d,000 per annum.\r\n\r\nYours sincerely\r\nFOI Team %d\r\n", ref, i%97, 10+i%50, i)
	case i%20 == 7:
		b.WriteString("Subject: RE: FOI request - response letter\r\n")
		writePDFLetter(&b, i, pdf)
	default:
		fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\r\nSubject: RE: FOI request\r\n\r\nI can advise the following:\r\n\r\n"+
			"1. %d.\r\n2. Police, Probation Service.\r\n3. £%d,000 per annum.\r\n\r\nYours sincerely\r\nFOI Team %d\r\n", i%97, 10+i%50, i)
	}
	return b.Bytes()
}

// writePDFLetter writes the body of message i from its Content-Type on: a
// line of text and pdf attached, as an authority sends a letter.
func writePDFLetter(b *bytes.Buffer, i int, pdf []byte) {
	fmt.Fprintf(b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n"+
		"--b%d\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find our response attached.\r\n\r\nFOI Team %d\r\n"+
		"--b%d\r\nContent-Type: application/pdf; name=\"response.pdf\"\r\nContent-Disposition: attachment; filename=\"response.pdf\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\n", i, i, i, i)
	enc := base64.StdEncoding.EncodeToString(pdf)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--b" + strconv.Itoa(i) + "--\r\n")
}
