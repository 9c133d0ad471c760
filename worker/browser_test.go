package worker_test

// Tests of the status page as a person sees it: the daemon runs on the demo
// samples, its HTTP handler is served on loopback, and headless Chromium
// (Debian's chromium package, driven over the DevTools protocol by chromedp)
// loads "/" and renders it. The assertions read the rendered DOM, computed
// styles and layout boxes, not the HTML source, and a screenshot is checked
// to be a real picture.
//
// Without chromium on the machine the browser test is skipped; .ci/run
// installs it (apt-get install -y chromium).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/worker"
	"github.com/foiwatch/foiwatch/worker/deadline"
	"github.com/foiwatch/foiwatch/worker/demo"
)

// serveDemo opens a daemon on the demo samples, syncs them and serves its
// HTTP handler on loopback.
func serveDemo(t *testing.T) (*worker.Daemon, *httptest.Server) {
	t.Helper()
	samples, err := demo.Samples()
	if err != nil {
		t.Fatal(err)
	}
	peer := memPeer(t)
	for _, s := range samples {
		peer.append(t, s.Raw)
	}
	d := openDaemon(t, t.TempDir(), peer)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := d.Sync(ctx)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if res.Processed != len(samples) || res.Failed != 0 {
		t.Fatalf("sync = %+v, want %d processed", res, len(samples))
	}
	srv := httptest.NewServer(d.HTTPHandler()) // 127.0.0.1
	t.Cleanup(srv.Close)
	return d, srv
}

// chromiumPath is Debian's chromium, or "" when it is not installed.
func chromiumPath() string {
	if p := os.Getenv("FOIWATCH_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// renderedPage is what the browser reports of the rendered status page.
type renderedPage struct {
	Title string `json:"title"`
	Intro string `json:"intro"`
	Text  string `json:"text"` // document.body.innerText
	// ScrollWidth is how wide the laid-out page is; wider than
	// ViewportWidth means a person scrolls the whole page sideways.
	ScrollWidth   float64           `json:"scrollWidth"`
	ViewportWidth float64           `json:"viewportWidth"`
	Sections      []renderedSection `json:"sections"`
}

type renderedSection struct {
	ID       string          `json:"id"`
	Heading  string          `json:"heading"`
	Summary  string          `json:"summary"`
	Requests *renderedTable  `json:"requests"`
	Answers  *renderedTable  `json:"answers"`
	Charts   []renderedChart `json:"charts"`
	Details  []renderedDet   `json:"details"`
}

type renderedBox struct {
	Left, Right, Top, Bottom, Width, Height float64
}

type renderedTable struct {
	Headers []renderedTH  `json:"headers"`
	Rows    []renderedRow `json:"rows"`
	// Scroll is the box the table scrolls sideways in.
	Scroll struct {
		ClientWidth float64     `json:"clientWidth"`
		ScrollWidth float64     `json:"scrollWidth"`
		OverflowX   string      `json:"overflowX"`
		Box         renderedBox `json:"box"`
	} `json:"scroll"`
}

type renderedTH struct {
	Text string `json:"text"`
	// Broken are the words laid out over two lines anywhere but after a
	// hyphen, a slash or an underscore.
	Broken []string    `json:"broken"`
	Box    renderedBox `json:"box"`
}

type renderedRow struct {
	Class string       `json:"class"`
	Cells []renderedTD `json:"cells"`
}

type renderedTD struct {
	Text   string         `json:"text"`
	Title  string         `json:"title"`
	Color  string         `json:"color"`
	Weight string         `json:"weight"`
	Links  []renderedLink `json:"links"`
	Notes  []renderedNote `json:"notes"`
	Broken []string       `json:"broken"`
}

type renderedLink struct {
	Href string `json:"href"`
	Text string `json:"text"`
	// Hit is true when a click in the middle of the link lands on it
	// (nothing covers it).
	Hit bool `json:"hit"`
}

type renderedNote struct {
	Text    string `json:"text"`
	Visible bool   `json:"visible"`
}

type renderedChart struct {
	Caption string        `json:"caption"`
	Bars    []renderedBar `json:"bars"`
}

type renderedBar struct {
	Title string  `json:"title"` // "authority: value"
	Label string  `json:"label"` // the text left of the bar
	Value string  `json:"value"` // the text right of the bar
	Width float64 `json:"width"` // on screen, in CSS pixels
	Track float64 `json:"track"` // the width a bar of the largest value may take
	Fill  string  `json:"fill"`
}

type renderedDet struct {
	Summary string `json:"summary"`
	Open    bool   `json:"open"`
	// Visible is true when the replies (more than the summary) are laid out
	// on screen.
	Visible bool `json:"visible"`
	// Text is what the replies show (innerText).
	Text string `json:"text"`
	// Answers are the rows of the replies' answer tables: Question,
	// Status, Value, Read from, Note.
	Answers [][]string `json:"answers"`
}

// extractJS reads the rendered page: innerText (what is laid out, not the
// source), computed styles, on-screen boxes, where words break, and
// whether a click on each link lands on it.
const extractJS = `JSON.stringify((() => {
  const txt = el => el ? el.innerText.trim() : "";
  const box = el => { const b = el.getBoundingClientRect(); return {Left: b.left, Right: b.right, Top: b.top, Bottom: b.bottom, Width: b.width, Height: b.height}; };
  const brokenWords = el => {
    const out = [];
    const w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = w.nextNode(); n; n = w.nextNode()) {
      const re = /\S+/g;
      let m;
      while ((m = re.exec(n.data))) {
        let prev = null;
        for (let i = 0; i < m[0].length; i++) {
          const r = document.createRange();
          r.setStart(n, m.index + i);
          r.setEnd(n, m.index + i + 1);
          const rs = [...r.getClientRects()].filter(b => b.width > 0);
          if (!rs.length) continue;
          const top = rs[0].top;
          if (prev !== null && Math.abs(top - prev) > 2 && !"-/_\u2013".includes(m[0][i - 1])) { out.push(m[0]); break; }
          prev = top;
        }
      }
    }
    return out;
  };
  const hit = a => {
    a.scrollIntoView({block: "center", inline: "center"});
    const r = a.getClientRects()[0];
    if (!r) return false;
    const el = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !!el && (el === a || a.contains(el));
  };
  const table = t => {
    if (!t) return null;
    const sc = t.closest(".scroll") || t.parentElement;
    return {
      headers: [...t.tHead.rows[0].cells].map(th => ({text: txt(th), broken: brokenWords(th), box: box(th)})),
      rows: [...t.tBodies[0].rows].map(tr => ({class: tr.className, cells: [...tr.cells].map(td => {
        const cs = getComputedStyle(td);
        return {text: txt(td), title: td.title, color: cs.color, weight: cs.fontWeight, broken: brokenWords(td),
          links: [...td.querySelectorAll("a")].map(a => ({href: a.href, text: txt(a), hit: hit(a)})),
          notes: [...td.querySelectorAll(".note")].map(n => ({text: txt(n), visible: n.checkVisibility() && box(n).Height > 0}))};
      })})),
      scroll: {clientWidth: sc.clientWidth, scrollWidth: sc.scrollWidth, overflowX: getComputedStyle(sc).overflowX, box: box(sc)},
    };
  };
  const sections = [...document.querySelectorAll("section")].map(s => ({
    id: s.id,
    heading: txt(s.querySelector("h2")),
    summary: txt(s.querySelector(".summary")),
    requests: table(s.querySelector("table.requests")),
    answers: table(s.querySelector("table.answers")),
    charts: [...s.querySelectorAll("figure")].map(f => ({
      caption: txt(f.querySelector("figcaption")),
      bars: [...f.querySelectorAll("li")].map(li => ({
        title: li.title, label: txt(li.querySelector(".label")), value: txt(li.querySelector(".value")),
        width: box(li.querySelector(".bar")).Width, track: box(li.querySelector(".track")).Width,
        fill: getComputedStyle(li.querySelector(".bar")).backgroundColor,
      })),
    })),
    details: [...s.querySelectorAll("details")].map(d => ({
      summary: txt(d.querySelector("summary")),
      open: d.open,
      visible: [...d.children].filter(c => c.tagName !== "SUMMARY").some(c => c.checkVisibility() && box(c).Height > 0),
      text: txt(d),
      answers: [...d.querySelectorAll("table")].flatMap(t => [...t.tBodies[0].rows].map(tr => [...tr.cells].map(txt))),
    })),
  }));
  window.scrollTo(0, 0);
  document.querySelectorAll(".scroll").forEach(e => { e.scrollLeft = 0; });
  return {
    title: document.title,
    intro: txt(document.querySelector("p.intro")),
    text: document.body.innerText,
    scrollWidth: document.documentElement.scrollWidth,
    viewportWidth: window.innerWidth,
    sections: sections,
  };
})())`

// scrollEndJS scrolls every answers table to its right end and reports,
// per table, whether the last column is then inside the scrolling box and
// the authority column still in view.
const scrollEndJS = `JSON.stringify([...document.querySelectorAll("table.answers")].map(t => {
  const sc = t.closest(".scroll");
  sc.scrollLeft = sc.scrollWidth;
  const s = sc.getBoundingClientRect();
  const ths = [...t.tHead.rows[0].cells];
  const first = ths[0].getBoundingClientRect(), last = ths[ths.length - 1].getBoundingClientRect();
  const out = {lastInside: last.right <= s.right + 1 && last.left >= s.left - 1, firstInView: first.left >= s.left - 1 && first.right <= s.right + 1};
  sc.scrollLeft = 0;
  return out;
}))`

// cells maps a table's column headers to one row's cells.
func (tb *renderedTable) cells(row renderedRow) map[string]renderedTD {
	m := map[string]renderedTD{}
	for i, h := range tb.Headers {
		if i < len(row.Cells) {
			m[h.Text] = row.Cells[i]
		}
	}
	return m
}

// row is the rendered row whose first cell is authority.
func (tb *renderedTable) row(authority string) (map[string]renderedTD, renderedRow, bool) {
	for _, r := range tb.Rows {
		if len(r.Cells) > 0 && r.Cells[0].Text == authority {
			return tb.cells(r), r, true
		}
	}
	return nil, renderedRow{}, false
}

var browserSpaces = regexp.MustCompile(`\s+`)

func squashSpace(s string) string { return strings.TrimSpace(browserSpaces.ReplaceAllString(s, " ")) }

// browserLog collects chromedp's and Chromium's messages, shown when the test fails.
type browserLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *browserLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *browserLog) logf(format string, args ...any) { fmt.Fprintf(s, format+"\n", args...) }
func (s *browserLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startBrowser starts headless Chromium; the browser is closed (and its
// process killed if need be) when the test ends.
func startBrowser(t *testing.T, ctx context.Context, exe string) context.Context {
	t.Helper()
	logs := &browserLog{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], // headless, no first run, no background networking, no sync, ...
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // tests run as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 2000),
		chromedp.CombinedOutput(logs),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithErrorf(logs.logf))
	t.Cleanup(func() {
		bcancel() // closes the browser and waits for it
		acancel() // kills the process if it is still there
		if t.Failed() {
			if s := logs.String(); s != "" {
				t.Logf("chromium said:\n%s", tailOf(s, 8000))
			}
		}
	})
	return bctx
}

func tailOf(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// checkScreenshot decodes a screenshot and checks it is a real picture: big
// enough, many colours, some text drawn.
func checkScreenshot(t *testing.T, name string, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not a PNG: %v", name, err)
	}
	r := img.Bounds()
	if r.Dx() < 400 || r.Dy() < 600 {
		t.Errorf("%s: %dx%d, want at least 400x600", name, r.Dx(), r.Dy())
	}
	colours := map[[4]uint32]int{}
	dark := 0
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			cr, cg, cb, ca := img.At(x, y).RGBA()
			colours[[4]uint32{cr >> 8, cg >> 8, cb >> 8, ca >> 8}]++
			if cr>>8 < 128 && cg>>8 < 128 && cb>>8 < 128 {
				dark++
			}
		}
	}
	if len(colours) < 8 {
		t.Errorf("%s: only %d colours: a blank or broken page", name, len(colours))
	}
	if dark == 0 {
		t.Errorf("%s: no dark pixels: no text was drawn", name)
	}
}

// loadPage shows url in a viewport width CSS pixels wide (and 1000 high),
// reads what was rendered and takes a screenshot of the whole page.
func loadPage(t *testing.T, bctx context.Context, url string, width int64) (renderedPage, []byte) {
	t.Helper()
	if err := chromedp.Do(bctx,
		chromedp.EmulateViewport(width, 1000),
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS("section table")),
	); err != nil {
		t.Fatalf("loading %s in Chromium at %d px: %v", url, width, err)
	}
	page := extractPage(t, bctx)
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return page, shot
}

func extractPage(t *testing.T, bctx context.Context) renderedPage {
	t.Helper()
	raw, err := chromedp.Run(bctx, chromedp.Evaluate[string](extractJS))
	if err != nil {
		t.Fatalf("reading the rendered page: %v", err)
	}
	var page renderedPage
	if err := json.Unmarshal([]byte(raw), &page); err != nil {
		t.Fatalf("reading the rendered page: %v\n%s", err, raw)
	}
	return page
}

// saveShot keeps a screenshot in the test's directory, and in
// $FOIWATCH_SCREENSHOT_DIR when set (to look at).
func saveShot(t *testing.T, dir, name string, shot []byte) {
	t.Helper()
	checkScreenshot(t, name, shot)
	if err := os.WriteFile(filepath.Join(dir, name), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("FOIWATCH_SCREENSHOT_DIR"); keep != "" {
		os.WriteFile(filepath.Join(keep, name), shot, 0o644)
	}
}

// questionHeader is what the header of a question's column must say: its
// number, its text and its key.
func questionHeader(q parser.Question) string {
	h := q.Text + " " + q.Key
	if q.Number != 0 {
		h = strconv.Itoa(q.Number) + ". " + h
	}
	return squashSpace(h)
}

// pounds writes an amount as "£125,000" or "£1,234.50" (written out here
// apart from the worker's formatter, to check it).
func pounds(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b []byte
	for i := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, whole[i])
	}
	if frac == "00" {
		return "£" + string(b)
	}
	return "£" + string(b) + "." + frac
}

// wantCell is the text a person must read in an answer's cell.
func wantCell(a parser.Answer) string {
	switch a.Status {
	case parser.StatusUnanswered, "":
		return "–"
	case parser.StatusNotHeld:
		return "not held"
	case parser.StatusExempt:
		return strings.TrimSpace("exempt " + a.Exemption)
	}
	switch v := a.Value.(type) {
	case int64:
		return strings.TrimPrefix(pounds(float64(v)), "£")
	case parser.Money:
		if v.Period != "" {
			return pounds(v.Amount) + " per " + v.Period
		}
		return pounds(v.Amount)
	case []string:
		return strings.Join(v, " ")
	case string:
		return v
	}
	return a.Text
}

// checkAnswers checks the answers table of campaign c against its rows:
// a header per question with its number, text and key, no word broken, a
// cell per answer as a person reads it, caveats shown, links clickable.
func checkAnswers(t *testing.T, where string, c *worker.Campaign, s renderedSection, rows []worker.Row) {
	t.Helper()
	tb := s.Answers
	if tb == nil {
		t.Errorf("%s: no answers table", where)
		return
	}
	if len(tb.Headers) != len(c.Questions)+1 || tb.Headers[0].Text != "Authority" {
		t.Errorf("%s: answers headers %d, want Authority and %d questions", where, len(tb.Headers), len(c.Questions))
		return
	}
	for i, q := range c.Questions {
		h := tb.Headers[i+1]
		if got := squashSpace(h.Text); got != questionHeader(q) {
			t.Errorf("%s: header of %s = %q, want %q", where, q.Key, got, questionHeader(q))
		}
	}
	for _, h := range append(append([]renderedTH{}, tb.Headers...), s.Requests.Headers...) {
		if len(h.Broken) > 0 {
			t.Errorf("%s: header %q breaks inside the words %q", where, squashSpace(h.Text), h.Broken)
		}
	}
	for _, r := range rows {
		got, _, ok := tb.row(r.Authority)
		if !ok {
			t.Errorf("%s: no answers row for %s", where, r.Authority)
			continue
		}
		for i, q := range c.Questions {
			a := r.Answers[q.Key]
			cell := got[tb.Headers[i+1].Text]
			text := squashSpace(cell.Text)
			want := squashSpace(wantCell(a))
			if !strings.HasPrefix(text, want) {
				t.Errorf("%s: %s %s shows %q, want %q", where, r.Authority, q.Key, text, want)
			}
			if strings.Contains(text, "_") {
				t.Errorf("%s: %s %s shows a raw name: %q", where, r.Authority, q.Key, text)
			}
			if a.Text != "" && a.Status != parser.StatusUnanswered && !strings.Contains(squashSpace(cell.Title), squashSpace(a.Text)) {
				t.Errorf("%s: %s %s: tooltip %q lacks the words it was read from (%q)", where, r.Authority, q.Key, cell.Title, a.Text)
			}
			if a.Note != "" {
				if len(cell.Notes) != 1 || !cell.Notes[0].Visible || !strings.Contains(squashSpace(cell.Notes[0].Text), squashSpace(a.Note)) {
					t.Errorf("%s: %s %s: the caveat %q is not shown: %+v", where, r.Authority, q.Key, a.Note, cell.Notes)
				}
			}
			if u, ok := a.Value.(string); ok && q.Type == parser.TypeURL && a.Status == parser.StatusAnswered {
				if len(cell.Links) != 1 || cell.Links[0].Href != u || !cell.Links[0].Hit {
					t.Errorf("%s: %s %s: the link %s is not a clickable link: %+v", where, r.Authority, q.Key, u, cell.Links)
				}
			}
		}
	}
}

// checkRequests checks the requests table and the summary of campaign c.
func checkRequests(t *testing.T, where string, s renderedSection, rows []worker.Row) {
	t.Helper()
	tb := s.Requests
	if tb == nil {
		t.Fatalf("%s: no requests table", where)
	}
	var heads []string
	for _, h := range tb.Headers {
		heads = append(heads, h.Text)
	}
	if want := "Authority|State|Sent|Due|Deadline|Reference|Replies"; strings.Join(heads, "|") != want {
		t.Errorf("%s: requests headers %q, want %s", where, heads, want)
	}
	if len(tb.Rows) != len(rows) {
		t.Errorf("%s: %d requests rendered, want %d", where, len(tb.Rows), len(rows))
	}
	for _, r := range rows {
		got, tr, ok := tb.row(r.Authority)
		if !ok {
			t.Errorf("%s: no row for %q", where, r.Authority)
			continue
		}
		want := map[string]string{"State": worker.StateWords(r.Status), "Sent": r.SentDate, "Due": r.Due, "Deadline": r.Deadline(),
			"Reference": r.Reference, "Replies": strconv.Itoa(len(r.Replies))}
		for k, v := range want {
			if g := got[k].Text; g != v {
				t.Errorf("%s: %s: %s shows %q, want %q", where, r.Authority, k, g, v)
			}
		}
		if strings.Contains(got["State"].Text, "_") {
			t.Errorf("%s: %s: state shown raw: %q", where, r.Authority, got["State"].Text)
		}
		late := got["Deadline"]
		if r.Late() != (late.Color == "rgb(187, 0, 0)" && late.Weight == "700") || r.Late() != (tr.Class == "overdue") {
			t.Errorf("%s: %s (late %v): deadline drawn in %s weight %s, row class %q", where, r.Authority, r.Late(), late.Color, late.Weight, tr.Class)
		}
	}
	sum := worker.Summarise(rows)[0]
	text := squashSpace(s.Summary)
	for _, w := range []string{
		fmt.Sprintf("%d of %d answered", sum.Answered, sum.Requests),
		fmt.Sprintf("%d late", sum.Late),
		fmt.Sprintf("%d due soon", sum.DueSoon),
		fmt.Sprintf("%d not yet sent", sum.NotSent),
	} {
		if !strings.Contains(text, w) {
			t.Errorf("%s: summary %q lacks %q", where, text, w)
		}
	}
}

func TestBrowserStatusPage(t *testing.T) {
	exe := chromiumPath()
	if exe == "" {
		t.Skip("chromium is not installed (apt-get install -y chromium): skipping the real-browser test of the status page")
	}
	start := time.Now()
	d, srv := serveDemo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	bctx := startBrowser(t, ctx, exe)
	dir := t.TempDir()

	// Load the page as a person would, 1400 px wide, and read what was rendered.
	page, shot := loadPage(t, bctx, srv.URL+"/", 1400)
	saveShot(t, dir, "status-1400.png", shot)

	// Then open every request's replies, as a person clicking the summaries.
	summaries, err := chromedp.Run(bctx, chromedp.Nodes(chromedp.CSSAll("details > summary")))
	if err != nil {
		t.Fatalf("finding the replies: %v", err)
	}
	for _, n := range summaries { // a mouse click in the middle of each summary
		if err := chromedp.Do(bctx, chromedp.MouseClickNode(n)); err != nil {
			t.Fatalf("clicking %s: %v", n.FullXPath(), err)
		}
	}
	if err := chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS("details[open] table"))); err != nil {
		t.Fatalf("opening the replies: %v", err)
	}
	open := extractPage(t, bctx)
	shotOpen, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	saveShot(t, dir, "status-open.png", shotOpen)

	// The page as a whole.
	if page.Title != "foiwatch status" {
		t.Errorf("title = %q", page.Title)
	}
	if !strings.Contains(page.Intro, "As of 2024-06-21") || !strings.Contains(page.Intro, "Unmatched replies waiting for an operator: 1") {
		t.Errorf("intro = %q, want the demo day and the one unmatched newsletter", page.Intro)
	}
	for _, bad := range []string{"<no value>", "{{", "%!", "[]", "map[", "ZgotmplZ"} {
		if strings.Contains(open.Text, bad) {
			t.Errorf("the rendered page shows %q:\n%s", bad, open.Text)
		}
	}

	// One section per campaign: its summary, its requests, its answers
	// with every column in view at 1400 px, its charts.
	ctxRows := context.Background()
	today := deadline.DateOf(demo.Clock)
	if len(page.Sections) != len(d.Campaigns.List) {
		t.Fatalf("%d campaign sections rendered, want %d", len(page.Sections), len(d.Campaigns.List))
	}
	for i, c := range d.Campaigns.List {
		s := page.Sections[i]
		if s.ID != c.ID || !strings.Contains(s.Heading, c.Title) {
			t.Errorf("section %d = %q %q, want campaign %q %q", i, s.ID, s.Heading, c.ID, c.Title)
		}
		rows, err := d.Rows(ctxRows, c.ID, today)
		if err != nil {
			t.Fatal(err)
		}
		checkRequests(t, c.ID, s, rows)
		checkAnswers(t, c.ID, c, s, rows)
		for _, h := range s.Answers.Headers {
			if h.Box.Right > s.Answers.Scroll.Box.Right+1 {
				t.Errorf("%s: at 1400 px the column %q ends at %g px, beyond the table's box (%g px): it is cut off", c.ID, squashSpace(h.Text), h.Box.Right, s.Answers.Scroll.Box.Right)
			}
		}
		// Every count question with an answer has a bar chart, a bar per
		// authority that gave a number, as long as its value says.
		var wantCharts []string
		for _, q := range c.Questions {
			if q.Type != parser.TypeCount {
				continue
			}
			var bars []string
			for _, r := range rows {
				a := r.Answers[q.Key]
				if v, ok := a.Value.(int64); ok && a.Status == parser.StatusAnswered {
					bars = append(bars, strings.TrimPrefix(pounds(float64(v)), "£"))
				}
			}
			if len(bars) > 0 {
				wantCharts = append(wantCharts, questionHeader(parser.Question{Number: q.Number, Text: q.Text})+"="+strings.Join(bars, ","))
			}
		}
		var gotCharts []string
		for _, ch := range s.Charts {
			var vals []string
			var max float64
			for _, b := range ch.Bars {
				vals = append(vals, b.Value)
				v, _ := strconv.ParseFloat(strings.ReplaceAll(b.Value, ",", ""), 64)
				max = math.Max(max, v)
				if b.Fill == "" || b.Fill == "rgba(0, 0, 0, 0)" {
					t.Errorf("%s: chart %q: the bar of %s is not filled", c.ID, ch.Caption, b.Label)
				}
				if !strings.HasSuffix(b.Title, ": "+b.Value) || !strings.HasSuffix(b.Title[:len(b.Title)-len(b.Value)-2], b.Label) {
					t.Errorf("%s: chart %q: bar tooltip %q does not name its authority (%q) and value %s", c.ID, ch.Caption, b.Title, b.Label, b.Value)
				}
			}
			for _, b := range ch.Bars {
				v, _ := strconv.ParseFloat(strings.ReplaceAll(b.Value, ",", ""), 64)
				if want := b.Track * v / max; max > 0 && math.Abs(b.Width-want) > 2 {
					t.Errorf("%s: chart %q: the bar of %s is %g px, want %.0f (%s of %g on %g px)", c.ID, ch.Caption, b.Label, b.Width, want, b.Value, max, b.Track)
				}
			}
			gotCharts = append(gotCharts, squashSpace(ch.Caption)+"="+strings.Join(vals, ","))
			labels := map[string]bool{}
			for _, b := range ch.Bars {
				labels[b.Label] = true
			}
			if len(labels) < len(ch.Bars) {
				t.Errorf("chart %q: %d bars but only %d distinct labels: a reader cannot tell whose bar is whose", ch.Caption, len(ch.Bars), len(labels))
			}
		}
		if strings.Join(gotCharts, " ") != strings.Join(wantCharts, " ") {
			t.Errorf("%s: charts drawn %q, want %q", c.ID, gotCharts, wantCharts)
		}
	}

	// The demo, concretely: what a person reading the page must see.
	s := page.Sections[0]
	req, _, _ := s.Requests.row("Office of the Police, Fire and Crime Commissioner for Wessex")
	if req["State"].Text != "sent" || req["Deadline"].Text != "8 working days late" {
		t.Errorf("Wessex = %+v, want sent, 8 working days late", req)
	}
	if !strings.Contains(squashSpace(s.Summary), "3 of 4 answered") || !strings.Contains(squashSpace(s.Summary), "1 late") {
		t.Errorf("summary = %q", s.Summary)
	}
	bors, _, ok := s.Answers.row("Office of the Police and Crime Commissioner for Borsetshire")
	if !ok {
		t.Fatal("no Borsetshire answers")
	}
	col := func(i int) string { return s.Answers.Headers[i].Text }
	if bors[col(2)].Text != "8" || !strings.Contains(bors[col(2)].Title, "Eight") {
		t.Errorf("Borsetshire self_referred = %+v, want 8 read from \"Eight\"", bors[col(2)])
	}
	if got := squashSpace(bors[col(11)].Text); got != "£98,500 per year" {
		t.Errorf("Borsetshire budget shows %q, want £98,500 per year", got)
	}
	bars, _, _ := s.Answers.row("Office of the Police and Crime Commissioner for Barsetshire")
	if l := bars[col(9)].Links; len(l) != 1 || l[0].Href != "https://www.barsetshire-pcc.gov.uk/dapp-evaluation-2024" || !l[0].Hit {
		t.Errorf("Barsetshire's evaluation link = %+v, want a clickable link", l)
	}
	if got := bars[col(3)].Text; got != "exempt s.40(2)" {
		t.Errorf("Barsetshire self_referred_accepted shows %q, want exempt s.40(2)", got)
	}

	// Replies: closed at first, then each shows the text each value was
	// read from, and its ID (the sha256 prefix the commands take).
	for _, det := range page.Sections[0].Details {
		if det.Open || det.Visible {
			t.Errorf("replies %q are open before anyone clicks", det.Summary)
		}
	}
	for _, det := range open.Sections[0].Details {
		if !det.Open || !det.Visible {
			t.Errorf("replies %q did not open on click", det.Summary)
		}
	}
	samples, _ := demo.Samples()
	for _, smp := range samples {
		rep, err := d.Store.Reply(ctxRows, sha(smp.Raw))
		if err != nil || rep.Request == "" {
			continue
		}
		var det *renderedDet
		for i, dt := range open.Sections[0].Details {
			if authority, _, _ := strings.Cut(dt.Summary, ":"); authority == authorityOf(d, rep.Request) {
				det = &open.Sections[0].Details[i]
			}
		}
		if det == nil {
			t.Errorf("%s: no replies section for request %s", smp.Name, rep.Request)
			continue
		}
		if !strings.Contains(det.Text, rep.SHA256[:12]) {
			t.Errorf("%s: the replies of %s do not show its ID %s", smp.Name, rep.Request, rep.SHA256[:12])
		}
		for k, a := range rep.Answers {
			if a.Text == "" {
				continue
			}
			found := false
			for _, row := range det.Answers {
				if len(row) == 5 && row[0] == k && squashSpace(row[3]) == squashSpace(a.Text) && row[2] == worker.AnswerWords(a) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: answer %s = %q read from %q is not shown in the replies", smp.Name, k, worker.AnswerWords(a), a.Text)
			}
		}
	}

	// 400 px, a phone: nothing overflows the page; the tables scroll in
	// their own box; still no word broken in a header.
	narrow, shotNarrow := loadPage(t, bctx, srv.URL+"/", 400)
	saveShot(t, dir, "status-400.png", shotNarrow)
	checkNarrow(t, narrow)
	t.Logf("status page rendered and checked in %s; screenshots in %s", time.Since(start).Round(time.Millisecond), dir)
}

// checkNarrow checks the page at 400 px: no sideways scrolling of the page,
// tables that scroll in their box, no word broken in a header.
func checkNarrow(t *testing.T, page renderedPage) {
	t.Helper()
	if page.ViewportWidth != 400 {
		t.Errorf("viewport %g px, want 400", page.ViewportWidth)
	}
	if page.ScrollWidth > page.ViewportWidth {
		t.Errorf("at %g px the page is %g px wide: a person scrolls the whole page sideways", page.ViewportWidth, page.ScrollWidth)
	}
	for _, s := range page.Sections {
		for _, tb := range []*renderedTable{s.Requests, s.Answers} {
			if tb == nil {
				continue
			}
			if tb.Scroll.ScrollWidth > tb.Scroll.ClientWidth && tb.Scroll.OverflowX != "auto" && tb.Scroll.OverflowX != "scroll" {
				t.Errorf("%s: a table %g px wide in a %g px box that does not scroll (overflow-x %s)", s.ID, tb.Scroll.ScrollWidth, tb.Scroll.ClientWidth, tb.Scroll.OverflowX)
			}
			for _, h := range tb.Headers {
				if len(h.Broken) > 0 {
					t.Errorf("%s at 400 px: header %q breaks inside the words %q", s.ID, squashSpace(h.Text), h.Broken)
				}
			}
		}
	}
}

// TestBrowserStatusPageLayout renders the layout fixture: long ids, twelve
// long questions, every kind of answer, requests late, due soon and not
// sent yet; at 1400 px every column is reachable and, at 400 px, nothing
// overflows the page; caveats are shown and links clicked.
func TestBrowserStatusPageLayout(t *testing.T) {
	exe := chromiumPath()
	if exe == "" {
		t.Skip("chromium is not installed (apt-get install -y chromium): skipping the real-browser test of the status page")
	}
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/evaluation" {
			io.WriteString(w, "<!doctype html><title>evaluation</title><p>the evaluation report</p>")
			return
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f := openFixture(t, srv.URL+"/evaluation")
	handler = f.d.HTTPHandler()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	bctx := startBrowser(t, ctx, exe)
	dir := t.TempDir()

	page, shot := loadPage(t, bctx, srv.URL+"/", 1400)
	saveShot(t, dir, "layout-1400.png", shot)
	if page.ScrollWidth > page.ViewportWidth {
		t.Errorf("at 1400 px the page is %g px wide", page.ScrollWidth)
	}
	if len(page.Sections) != len(f.d.Campaigns.List) {
		t.Fatalf("%d sections, want %d", len(page.Sections), len(f.d.Campaigns.List))
	}
	for i, c := range f.d.Campaigns.List {
		rows, err := f.d.Rows(context.Background(), c.ID, deadline.DateOf(fixtureClock))
		if err != nil {
			t.Fatal(err)
		}
		checkRequests(t, c.ID, page.Sections[i], rows)
		checkAnswers(t, c.ID, c, page.Sections[i], rows)
	}
	// Every column reachable: scrolled to its end, the last column is in
	// the table's box with the authority column still beside it.
	raw, err := chromedp.Run(bctx, chromedp.Evaluate[string](scrollEndJS))
	if err != nil {
		t.Fatal(err)
	}
	var ends []struct{ LastInside, FirstInView bool }
	json.Unmarshal([]byte(raw), &ends)
	if len(ends) != len(f.d.Campaigns.List) {
		t.Errorf("%d answers tables scrolled, want %d", len(ends), len(f.d.Campaigns.List))
	}
	for i, e := range ends {
		if !e.LastInside || !e.FirstInView {
			t.Errorf("answers table %d scrolled to its end: last column inside %v, authority column in view %v", i, e.LastInside, e.FirstInView)
		}
	}

	s := page.Sections[0]
	if s.ID != fixtureLongA {
		t.Fatalf("first section %q", s.ID)
	}
	if got := squashSpace(s.Summary); !strings.Contains(got, "1 of 4 answered") || !strings.Contains(got, "1 late") || !strings.Contains(got, "1 due soon") || !strings.Contains(got, "1 not yet sent") {
		t.Errorf("summary = %q, want 1 of 4 answered, 1 late, 1 due soon, 1 not yet sent", got)
	}
	for auth, want := range map[string]string{
		"Office of the Police and Crime Commissioner for Northshire": "replied on time",
		"Office of the Police and Crime Commissioner for Southshire": "8 working days late",
		"Office of the Police and Crime Commissioner for Eastshire":  "due in 1 working day",
		"Office of the Police and Crime Commissioner for Westshire":  "not sent yet",
	} {
		if got, _, _ := s.Requests.row(auth); got["Deadline"].Text != want {
			t.Errorf("%s: deadline %q, want %q", auth, got["Deadline"].Text, want)
		}
	}
	north, _, _ := s.Answers.row("Office of the Police and Crime Commissioner for Northshire")
	for i, want := range map[int]string{2: "1,204", 9: "£125,000 per year", 10: "£1,234.50", 5: "5. Fewer than ten.", 11: "–", 8: "not held", 4: "exempt s.40(2)"} {
		if got := squashSpace(north[s.Answers.Headers[i].Text].Text); !strings.HasPrefix(got, want) && got != want {
			t.Errorf("Northshire column %d (%s) shows %q, want %q", i, squashSpace(s.Answers.Headers[i].Text), got, want)
		}
	}

	narrow, shotNarrow := loadPage(t, bctx, srv.URL+"/", 400)
	saveShot(t, dir, "layout-400.png", shotNarrow)
	checkNarrow(t, narrow)

	// The evaluation link is followed when clicked, at 400 px too.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`table.answers a[href$="/evaluation"]`))); err != nil {
		t.Fatalf("clicking the evaluation link: %v", err)
	}
	if err := chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS("title + p, p"))); err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil || loc != srv.URL+"/evaluation" {
		t.Errorf("after clicking the evaluation link the browser is at %q (%v), want %s/evaluation", loc, err, srv.URL)
	}
	t.Logf("screenshots in %s", dir)
}

// authorityOf is the authority request id went to.
func authorityOf(d *worker.Daemon, id string) string {
	for _, c := range d.Campaigns.List {
		for _, r := range c.Requests {
			if r.ID == id {
				return r.Authority
			}
		}
	}
	return ""
}

// TestBrowserPlainHTTPEndpoints checks the daemon's other endpoints with
// plain net/http (no browser needed; named to run with -run Browser).
func TestBrowserPlainHTTPEndpoints(t *testing.T) {
	_, srv := serveDemo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	get := func(path string) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return resp.StatusCode, resp.Header, string(b)
	}

	if code, _, body := get("/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz = %d %q, want 200 \"ok\\n\"", code, body)
	}

	code, h, body := get("/readyz")
	var rd worker.Readiness
	if err := json.Unmarshal([]byte(body), &rd); err != nil {
		t.Fatalf("/readyz = %d %q: not JSON: %v", code, body, err)
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Errorf("/readyz Content-Type = %q", h.Get("Content-Type"))
	}
	if !rd.NATS {
		t.Errorf("/readyz = %d %s: nats_connected is false", code, body)
	}
	if _, ok := rd.Mailboxes["foi"]; !ok {
		t.Errorf("/readyz = %s: no word on mailbox foi", body)
	}
	if (code == http.StatusOK) != rd.Ready {
		t.Errorf("/readyz = %d but ready=%v", code, rd.Ready)
	}
	t.Logf("/readyz = %d %s", code, strings.TrimSpace(body))

	code, _, body = get("/metrics")
	if code != http.StatusOK {
		t.Errorf("/metrics = %d", code)
	}
	stored := 0.0
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "foiwatch_replies_stored_total{") {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err != nil {
				t.Errorf("/metrics: %q", line)
			}
			stored += v
		}
	}
	if !strings.Contains(body, "# TYPE foiwatch_replies_stored_total counter") {
		t.Errorf("/metrics has no foiwatch_replies_stored_total counter:\n%s", body)
	}
	samples, _ := demo.Samples()
	if int(stored) != len(samples) {
		t.Errorf("/metrics: foiwatch_replies_stored_total adds up to %g, want %d (the demo samples)", stored, len(samples))
	}

	// The gauges operators alert on, read from the store: the demo's one
	// unmatched newsletter, no failed message, Wessex overdue; the build.
	for _, want := range []string{
		"\nfoiwatch_unmatched_waiting 1\n",
		"\nfoiwatch_failed_messages 0\n",
		"\nfoiwatch_requests_overdue{campaign=\"dapp-demo-2023-24\"} 1\n",
		fmt.Sprintf(`parser_version="%d"`, parser.Version),
		"# HELP foiwatch_replies_stored_total Replies parsed and stored, by kind, since this process started (counters reset on restart).",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^foiwatch_build_info\{commit="[^"]+",go_version="go[^"]+",parser_version="\d+",version="[^"]+"\} 1$`).MatchString(body) {
		t.Errorf("/metrics has no foiwatch_build_info")
	}
	problems, err := promlint.New(strings.NewReader(body)).Lint()
	if err != nil {
		t.Fatalf("promlint: %v", err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "foiwatch_") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}

	// The status page's own headers: HTML, and a CSP that allows no script.
	code, h, body = get("/")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(body, `class="answers"`) {
		t.Errorf("/ = %d %q", code, h.Get("Content-Type"))
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("/ Content-Security-Policy = %q", csp)
	}
	if code, _, _ := get("/nope"); code != http.StatusNotFound {
		t.Errorf("/nope = %d, want 404", code)
	}
}
