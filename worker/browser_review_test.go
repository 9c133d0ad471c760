package worker_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/foiwatch/foiwatch/queue"
)

// reviewCellsJS reads every answer cell of the status page's tables: its
// column, the marks shown in it, and the words shown beside it.
const reviewCellsJS = `JSON.stringify([...document.querySelectorAll("section table")].filter(t => t.tHead).flatMap(t => {
  // An answers column is headed by its question's number, text and key.
  const heads = [...t.tHead.rows[0].cells].map(c => (c.querySelector(".qk") || c).innerText.trim());
  return [...t.tBodies[0].rows].flatMap(tr => [...tr.cells].map((td, i) => {
    const src = td.querySelector(".src");
    return {
      authority: tr.cells[0].innerText.trim(),
      key: heads[i],
      check: !!td.querySelector(".mark.check"),
      corrected: !!td.querySelector(".mark.corrected"),
      correctedTitle: (td.querySelector(".mark.corrected") || {}).title || "",
      src: src ? src.innerText.trim() : "",
      srcVisible: !!src && src.checkVisibility() && src.getBoundingClientRect().height > 0,
    };
  }));
}))`

type reviewCell struct {
	Authority      string `json:"authority"`
	Key            string `json:"key"`
	Check          bool   `json:"check"`
	Corrected      bool   `json:"corrected"`
	CorrectedTitle string `json:"correctedTitle"`
	Src            string `json:"src"`
	SrcVisible     bool   `json:"srcVisible"`
}

// replyViewJS reads the reply view as rendered.
const replyViewJS = `JSON.stringify({
  title: document.title,
  headers: Object.fromEntries([...document.querySelectorAll("#headers tr")].map(tr => [tr.cells[0].innerText.trim(), tr.cells[1].innerText.trim()])),
  filed: (document.querySelector("#filed") || {}).innerText || "",
  checked: [...document.querySelectorAll("#answers tbody tr.check")].map(tr => tr.cells[0].innerText.trim()),
  body: (document.querySelector("#body") || {}).innerText || "",
  attachments: [...document.querySelectorAll("#attachments a")].map(a => ({name: a.innerText.trim(), href: a.href})),
  attachmentTexts: [...document.querySelectorAll("pre.attachment-text")].map(p => p.innerText),
  raw: (document.querySelector("#raw") || {}).href || "",
  scripts: document.scripts.length,
  images: document.images.length,
})`

type replyView struct {
	Title       string            `json:"title"`
	Headers     map[string]string `json:"headers"`
	Filed       string            `json:"filed"`
	Checked     []string          `json:"checked"`
	Body        string            `json:"body"`
	Attachments []struct {
		Name string `json:"name"`
		Href string `json:"href"`
	} `json:"attachments"`
	AttachmentTexts []string `json:"attachmentTexts"`
	Raw             string   `json:"raw"`
	Scripts         int      `json:"scripts"`
	Images          int      `json:"images"`
}

// The status page marks the answers review lists, with the words beside
// them, and those set by hand; each reply links to a read-only view of its
// text and attachments, in which nothing the reply holds runs.
func TestBrowserReviewMarksAndReplyView(t *testing.T) {
	exe := chromiumPath()
	if exe == "" {
		t.Skip("chromium is not installed (apt-get install -y chromium): skipping the real-browser test of the review marks")
	}
	mails := loopMails(t)
	peer := memPeer(t)
	for _, m := range mails {
		if strings.HasPrefix(m.name, "01-") || strings.HasPrefix(m.name, "02-") || strings.HasPrefix(m.name, "10-") {
			peer.append(t, m.raw)
		}
	}
	// A reply with markup where text belongs, and a PDF attached.
	hostile := []byte("From: Suffolk OPCC <foi@suffolk-pcc.gov.uk>\r\nTo: researcher@requests.example.org\r\n" +
		"Subject: <img src=x onerror=\"document.title='pwned'\"> update\r\nDate: Tue, 11 Jun 2024 09:00:00 +0100\r\n" +
		"Message-ID: <hostile-77@suffolk-pcc.gov.uk>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n<script>document.title='pwned'</script> See the letter.\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"letter <script>1.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64Lines(suffolkLetterPDF()) + "--b--\r\n")
	peer.append(t, hostile)
	d := openLoop(t, peer, 2, nil)
	syncAll(t, d)
	ctx := context.Background()
	resp := shaOf(t, mails, "02-opccn-response.eml")
	r, _ := d.Store.Reply(ctx, resp)
	var flagged []string
	for _, q := range d.Campaigns.Get("stalking-2024").Questions {
		if r.Answers[q.Key].Check {
			flagged = append(flagged, q.Key)
		}
	}
	if len(flagged) < 3 {
		t.Fatalf("the response has %d flagged answers; the test needs 3", len(flagged))
	}
	if _, err := d.SetAnswer(ctx, "opccn", "budget", "£400,000 per year", "£1.2m over three years"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.AcceptAnswer(ctx, "opccn", flagged[0], ""); err != nil {
		t.Fatal(err)
	}
	wantCheck := slices.DeleteFunc(slices.Clone(flagged), func(k string) bool { return k == "budget" || k == flagged[0] })
	srv := httptest.NewServer(d.HTTPHandler())
	t.Cleanup(srv.Close)

	bctx := startBrowser(t, ctx, exe)
	bctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	defer cancel()
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("section table"))); err != nil {
		t.Fatalf("loading the status page: %v", err)
	}
	raw, err := chromedp.Run(bctx, chromedp.Evaluate[string](reviewCellsJS))
	if err != nil {
		t.Fatal(err)
	}
	if shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)); err == nil {
		checkScreenshot(t, "status-review.png", shot)
		if keep := os.Getenv("FOIWATCH_SCREENSHOT_DIR"); keep != "" { // to look at them
			os.WriteFile(filepath.Join(keep, "status-review.png"), shot, 0o644)
		}
	}
	var cells []reviewCell
	if err := json.Unmarshal([]byte(raw), &cells); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	var checked, corrected []string
	for _, c := range cells {
		if c.Check {
			if c.Authority != "Office of the Police and Crime Commissioner for Norfolk" {
				t.Errorf("%s %s is marked for checking", c.Authority, c.Key)
			}
			checked = append(checked, c.Key)
			if !c.SrcVisible || !strings.Contains(c.Src, r.Answers[c.Key].Why) || !strings.Contains(squashSpace(c.Src), squashSpace(r.Answers[c.Key].Text)) {
				t.Errorf("%s: the words beside the mark are %q (visible %v), want why and %q", c.Key, c.Src, c.SrcVisible, r.Answers[c.Key].Text)
			}
		}
		if c.Corrected {
			corrected = append(corrected, c.Key)
			if !strings.Contains(c.CorrectedTitle, "£1.2m over three years") {
				t.Errorf("the corrected mark says %q, want the note", c.CorrectedTitle)
			}
		}
	}
	if !slices.Equal(checked, wantCheck) {
		t.Errorf("marked for checking: %v, want what review lists: %v", checked, wantCheck)
	}
	items, _ := d.Review(ctx, "")
	if len(items) != len(wantCheck) {
		t.Errorf("review lists %d answers, the page marks %d", len(items), len(wantCheck))
	}
	if !slices.Equal(corrected, []string{"budget"}) {
		t.Errorf("marked corrected: %v, want [budget]", corrected)
	}

	// Each reply links to its view: follow the response's link.
	hrefs, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("a[href^='reply/']")].map(a => a.href)`))
	if err != nil {
		t.Fatal(err)
	}
	view := func(sha string) replyView {
		t.Helper()
		link := ""
		for _, h := range hrefs {
			if strings.HasSuffix(h, "/reply/"+sha) {
				link = h
			}
		}
		if link == "" {
			t.Fatalf("no link to reply %s among %v", sha[:12], hrefs)
		}
		if err := chromedp.Do(bctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#body"))); err != nil {
			t.Fatalf("opening %s: %v", link, err)
		}
		var v replyView
		raw, err := chromedp.Run(bctx, chromedp.Evaluate[string](replyViewJS))
		if err == nil {
			err = json.Unmarshal([]byte(raw), &v)
		}
		if err != nil {
			t.Fatalf("reading the reply view: %v", err)
		}
		return v
	}
	v := view(resp)
	if v.Headers["From"] != `"OPCC Norfolk" <opccn@norfolk.police.uk>` || !strings.Contains(v.Filed, "matched by sender") || !strings.Contains(v.Body, "Fewer than five.") {
		t.Errorf("the response's view: %+v", v)
	}
	if !slices.Equal(v.Checked, flagged) {
		t.Errorf("the view marks %v, want the reply's flagged answers %v", v.Checked, flagged)
	}

	hs := queue.SHA256(hostile)
	v = view(hs)
	if v.Title == "pwned" || v.Scripts != 0 || v.Images != 0 {
		t.Errorf("markup in the reply ran or rendered: title %q, %d scripts, %d images", v.Title, v.Scripts, v.Images)
	}
	if !strings.Contains(v.Headers["Subject"], "<img src=x") || !strings.Contains(v.Body, "<script>document.title='pwned'</script>") {
		t.Errorf("the reply's markup is not shown as text: subject %q, body %q", v.Headers["Subject"], v.Body)
	}
	if len(v.Attachments) != 1 || v.Attachments[0].Name != "letter <script>1.pdf" || len(v.AttachmentTexts) != 1 || !strings.Contains(v.AttachmentTexts[0], "Suffolk Stalking Service.") {
		t.Fatalf("attachments %+v, texts %q", v.Attachments, v.AttachmentTexts)
	}
	// Attachments and the message are downloaded, never rendered.
	for link, want := range map[string][]byte{v.Attachments[0].Href: suffolkLetterPDF(), v.Raw: hostile} {
		res, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(body) != string(want) || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") ||
			res.Header.Get("Content-Type") != "application/octet-stream" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: %d, %d bytes (want %d), headers %v", link, res.StatusCode, len(body), len(want), res.Header)
		}
	}
	for _, bad := range []string{"/reply/xyz", "/reply/" + strings.Repeat("0", 64), "/reply/" + hs + "/attachment/2", "/reply/" + hs + "/attachment/0"} {
		if res, err := http.Get(srv.URL + bad); err != nil || res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %v %v, want 404", bad, res.StatusCode, err)
		}
	}
	if shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)); err == nil {
		checkScreenshot(t, "reply-view.png", shot)
		if keep := os.Getenv("FOIWATCH_SCREENSHOT_DIR"); keep != "" {
			os.WriteFile(filepath.Join(keep, "reply-view.png"), shot, 0o644)
		}
	}
}

func base64Lines(b []byte) string {
	enc := base64.StdEncoding.EncodeToString(b)
	var s strings.Builder
	for len(enc) > 76 {
		s.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	return s.String() + enc + "\r\n"
}
