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
	// ViewportWidth means a person scrolls sideways.
	ScrollWidth   float64           `json:"scrollWidth"`
	ViewportWidth float64           `json:"viewportWidth"`
	Sections      []renderedSection `json:"sections"`
}

type renderedSection struct {
	ID      string          `json:"id"`
	Heading string          `json:"heading"`
	Headers []string        `json:"headers"`
	Rows    [][]renderedTD  `json:"rows"`
	Charts  []renderedChart `json:"charts"`
	Details []renderedDet   `json:"details"`
}

type renderedTD struct {
	Text   string `json:"text"`
	Title  string `json:"title"`
	Color  string `json:"color"`
	Weight string `json:"weight"`
}

type renderedChart struct {
	Caption string        `json:"caption"`
	Width   float64       `json:"width"`
	Height  float64       `json:"height"`
	Bars    []renderedBar `json:"bars"`
}

type renderedBar struct {
	Title  string  `json:"title"` // "label: value"
	Label  string  `json:"label"` // the text drawn left of the bar
	Value  string  `json:"value"` // the text drawn right of the bar
	Width  float64 `json:"width"` // on screen, in CSS pixels
	Height float64 `json:"height"`
	Fill   string  `json:"fill"`
}

type renderedDet struct {
	Summary string `json:"summary"`
	Open    bool   `json:"open"`
	// Visible is true when the replies (more than the summary) are laid out
	// on screen.
	Visible bool `json:"visible"`
	// Answers are the rows of the replies' answer tables: Question,
	// Status, Value, Read from, Note.
	Answers [][]string `json:"answers"`
}

// extractJS reads the rendered page: innerText (what is laid out, not the
// source), computed colours and on-screen boxes.
const extractJS = `JSON.stringify((() => {
  const txt = el => el ? el.innerText.trim() : "";
  const box = el => el.getBoundingClientRect();
  return {
    title: document.title,
    intro: txt(document.querySelector("body > p")),
    text: document.body.innerText,
    scrollWidth: document.documentElement.scrollWidth,
    viewportWidth: window.innerWidth,
    sections: [...document.querySelectorAll("section")].map(s => {
      const table = s.querySelector(":scope > .scroll > table, :scope > table");
      return {
        id: s.id,
        heading: txt(s.querySelector("h2")),
        headers: table ? [...table.querySelectorAll("thead th")].map(txt) : [],
        rows: table ? [...table.tBodies[0].rows].map(tr => [...tr.cells].map(td => {
          const cs = getComputedStyle(td);
          return {text: txt(td), title: td.title, color: cs.color, weight: cs.fontWeight};
        })) : [],
        charts: [...s.querySelectorAll("figure")].map(f => {
          const svg = f.querySelector("svg");
          return {
            caption: txt(f.querySelector("figcaption")),
            width: svg ? box(svg).width : 0,
            height: svg ? box(svg).height : 0,
            bars: svg ? [...svg.querySelectorAll("rect")].map(r => {
              const texts = r.parentNode.querySelectorAll("text");
              return {
                title: (r.querySelector("title") || {}).textContent || "",
                label: texts.length > 0 ? texts[0].textContent : "",
                value: texts.length > 1 ? texts[1].textContent : "",
                width: box(r).width, height: box(r).height,
                fill: getComputedStyle(r).fill,
              };
            }) : [],
          };
        }),
        details: [...s.querySelectorAll("details")].map(d => {
          const tables = [...d.querySelectorAll("table")];
          return {
            summary: txt(d.querySelector("summary")),
            open: d.open,
            visible: [...d.children].filter(c => c.tagName !== "SUMMARY").some(c => c.checkVisibility() && box(c).height > 0),
            answers: tables.flatMap(t => [...t.tBodies[0].rows].map(tr => [...tr.cells].map(txt))),
          };
        }),
      };
    }),
  };
})())`

// renderedCells maps a section's column headers to one row's cells.
func renderedCells(s renderedSection, row []renderedTD) map[string]renderedTD {
	m := map[string]renderedTD{}
	for i, h := range s.Headers {
		if i < len(row) {
			m[h] = row[i]
		}
	}
	return m
}

// renderedRow is the rendered row whose Authority cell is authority.
func renderedRow(s renderedSection, authority string) (map[string]renderedTD, bool) {
	for _, r := range s.Rows {
		if c := renderedCells(s, r); c["Authority"].Text == authority {
			return c, true
		}
	}
	return nil, false
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
	if r.Dx() < 800 || r.Dy() < 600 {
		t.Errorf("%s: %dx%d, want at least 800x600", name, r.Dx(), r.Dy())
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

	// Load the page as a person would and read what was rendered.
	if err := chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("section svg rect")),
	); err != nil {
		t.Fatalf("loading the status page in Chromium: %v", err)
	}
	raw, err := chromedp.Run(bctx, chromedp.Evaluate[string](extractJS))
	if err != nil {
		t.Fatalf("reading the rendered page: %v", err)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	var page renderedPage
	if err := json.Unmarshal([]byte(raw), &page); err != nil {
		t.Fatalf("reading the rendered page: %v\n%s", err, raw)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "status.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	checkScreenshot(t, "status.png", shot)

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
	rawOpen, err := chromedp.Run(bctx, chromedp.Evaluate[string](extractJS))
	if err != nil {
		t.Fatalf("reading the rendered page: %v", err)
	}
	shotOpen, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	var open renderedPage
	if err := json.Unmarshal([]byte(rawOpen), &open); err != nil {
		t.Fatalf("reading the rendered page: %v\n%s", err, rawOpen)
	}
	if err := os.WriteFile(filepath.Join(dir, "status-open.png"), shotOpen, 0o644); err != nil {
		t.Fatal(err)
	}
	checkScreenshot(t, "status-open.png", shotOpen)
	if keep := os.Getenv("FOIWATCH_SCREENSHOT_DIR"); keep != "" { // to look at them
		os.WriteFile(filepath.Join(keep, "status.png"), shot, 0o644)
		os.WriteFile(filepath.Join(keep, "status-open.png"), shotOpen, 0o644)
	}

	// The page as a whole.
	if page.Title != "foiwatch status" {
		t.Errorf("title = %q", page.Title)
	}
	if !strings.Contains(page.Intro, "As of 2024-06-21") || !strings.Contains(page.Intro, "Unmatched replies waiting for an operator: 1") {
		t.Errorf("intro = %q, want the demo day and the one unmatched newsletter", page.Intro)
	}
	for _, bad := range []string{"<no value>", "{{", "%!", "[]", "map["} {
		if strings.Contains(open.Text, bad) {
			t.Errorf("the rendered page shows %q:\n%s", bad, open.Text)
		}
	}

	// One section, with one table, per campaign.
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
		wantHeaders := []string{"Authority", "State", "Due", "Days late", "Reference"}
		for _, q := range c.Questions {
			wantHeaders = append(wantHeaders, q.Key)
		}
		if strings.Join(s.Headers, "|") != strings.Join(wantHeaders, "|") {
			t.Errorf("%s: headers %q, want %q", c.ID, s.Headers, wantHeaders)
		}
		rows, err := d.Rows(ctxRows, c.ID, today)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Rows) != len(rows) {
			t.Errorf("%s: %d rows rendered, want %d", c.ID, len(s.Rows), len(rows))
		}
		// Every request has its row, showing what the report says.
		for _, r := range rows {
			got, ok := renderedRow(s, r.Authority)
			if !ok {
				t.Errorf("%s: no row for %q", c.ID, r.Authority)
				continue
			}
			if got["State"].Text != strings.ReplaceAll(r.Status, "_", " ") || got["Reference"].Text != r.Reference || got["Due"].Text != r.Due ||
				got["Days late"].Text != strconv.Itoa(r.DaysLate) {
				t.Errorf("%s: row %q shows state %q reference %q due %q days late %q; want %q %q %q %d", c.ID, r.Authority,
					got["State"].Text, got["Reference"].Text, got["Due"].Text, got["Days late"].Text, r.Status, r.Reference, r.Due, r.DaysLate)
			}
			for _, q := range c.Questions {
				want := worker.CellValue(r.Answers[q.Key])
				if want == "" {
					want = "–"
				}
				if g := cellValueText(got[q.Key].Text); g != want {
					t.Errorf("%s: %q %s shows %q, want %q", c.ID, r.Authority, q.Key, g, want)
				}
			}
		}
		// Every count question with an answer has a bar chart, a bar per
		// authority that gave a number.
		var wantCharts []string
		for _, q := range c.Questions {
			if q.Type != parser.TypeCount {
				continue
			}
			var bars []string
			for _, r := range rows {
				a := r.Answers[q.Key]
				if v, ok := a.Value.(int64); ok && a.Status == parser.StatusAnswered {
					bars = append(bars, strconv.FormatInt(v, 10))
				}
			}
			if len(bars) > 0 {
				wantCharts = append(wantCharts, q.Key+"="+strings.Join(bars, ","))
			}
		}
		var gotCharts []string
		for _, ch := range s.Charts {
			var vals []string
			for _, b := range ch.Bars {
				vals = append(vals, b.Value)
			}
			gotCharts = append(gotCharts, ch.Caption+"="+strings.Join(vals, ","))
		}
		if strings.Join(gotCharts, " ") != strings.Join(wantCharts, " ") {
			t.Errorf("%s: charts drawn %q, want %q", c.ID, gotCharts, wantCharts)
		}
		for _, ch := range s.Charts {
			if ch.Width < 200 || ch.Height < 10 {
				t.Errorf("%s: chart %s is %gx%g on screen", c.ID, ch.Caption, ch.Width, ch.Height)
			}
			var max float64
			var widest float64
			for _, b := range ch.Bars {
				v, _ := strconv.ParseFloat(b.Value, 64)
				if v > max {
					max, widest = v, b.Width
				}
				if v > 0 && (b.Width < 1 || b.Height < 10) {
					t.Errorf("%s: chart %s: the bar for %s (%s) is %gx%g on screen", c.ID, ch.Caption, b.Label, b.Value, b.Width, b.Height)
				}
				if b.Fill == "" || b.Fill == "none" {
					t.Errorf("%s: chart %s: the bar for %s is not filled", c.ID, ch.Caption, b.Label)
				}
				if !strings.HasSuffix(b.Title, ": "+b.Value) {
					t.Errorf("%s: chart %s: bar tooltip %q does not end in its value %s", c.ID, ch.Caption, b.Title, b.Value)
				}
			}
			for _, b := range ch.Bars {
				v, _ := strconv.ParseFloat(b.Value, 64)
				if max > 0 && v > 0 {
					if want := widest * v / max; b.Width < want-2 || b.Width > want+2 {
						t.Errorf("%s: chart %s: the bar for %s is %g px wide, want %.0f (proportional to %s of %g)", c.ID, ch.Caption, b.Label, b.Width, want, b.Value, max)
					}
				}
			}
		}
	}

	// The demo, concretely: what a person reading the page must see.
	s := page.Sections[0]
	bors, ok := renderedRow(s, "Office of the Police and Crime Commissioner for Borsetshire")
	if !ok {
		t.Fatalf("no Borsetshire row in %+v", s.Rows)
	}
	// Borsetshire answered (partially: it skipped the unnumbered evaluation
	// link question), reference FOI/OPCCB/0412, 8 self-referrals.
	if st := bors["State"].Text; st != "partially answered" || bors["Reference"].Text != "FOI/OPCCB/0412" || bors["self_referred"].Text != "8" {
		t.Errorf("Borsetshire row = %+v", bors)
	}
	if !strings.Contains(bors["self_referred"].Title, "Eight") {
		t.Errorf("Borsetshire self_referred tooltip = %q, want the text it was read from (\"2. Eight.\")", bors["self_referred"].Title)
	}
	// Wessex has not answered, 8 working days late: red and bold.
	wessex, ok := renderedRow(s, "Office of the Police, Fire and Crime Commissioner for Wessex")
	if !ok {
		t.Fatalf("no Wessex row")
	}
	if wessex["State"].Text != "sent" || wessex["Days late"].Text != "8" {
		t.Errorf("Wessex row = %+v, want sent, 8 days late", wessex)
	}
	if late := wessex["Days late"]; late.Color != "rgb(187, 0, 0)" || late.Weight != "700" {
		t.Errorf("Wessex's days late is drawn in %s weight %s, want red (rgb(187, 0, 0)) bold", late.Color, late.Weight)
	}
	if onTime := bors["Days late"]; onTime.Color == "rgb(187, 0, 0)" {
		t.Errorf("Borsetshire, on time, is drawn in red")
	}
	// The self-referral chart: Borsetshire 8, Midsomer 7, Barsetshire 11;
	// Wessex gave no number and has no bar.
	var selfRef *renderedChart
	for i := range s.Charts {
		if s.Charts[i].Caption == "self_referred" {
			selfRef = &s.Charts[i]
		}
	}
	if selfRef == nil {
		t.Fatalf("no self_referred chart among %+v", s.Charts)
	}
	if len(selfRef.Bars) != 3 {
		t.Errorf("self_referred chart has %d bars, want 3 (Wessex gave no number)", len(selfRef.Bars))
	}
	for _, b := range selfRef.Bars {
		if strings.Contains(b.Title, "Wessex") {
			t.Errorf("Wessex has a bar: %+v", b)
		}
	}

	// Replies: closed at first, then each shows the text each value was
	// read from.
	for _, det := range page.Sections[0].Details {
		if det.Open || det.Visible {
			t.Errorf("replies %q are open before anyone clicks", det.Summary)
		}
	}
	if len(open.Sections) == 0 {
		t.Fatal("no sections after opening the replies")
	}
	var borsDet *renderedDet
	for i, det := range open.Sections[0].Details {
		if !det.Open || !det.Visible {
			t.Errorf("replies %q did not open on click", det.Summary)
		}
		if strings.HasPrefix(det.Summary, "Office of the Police and Crime Commissioner for Borsetshire:") {
			borsDet = &open.Sections[0].Details[i]
		}
	}
	if borsDet == nil {
		t.Fatalf("no replies for Borsetshire among %+v", open.Sections[0].Details)
	}
	if borsDet.Summary != "Office of the Police and Crime Commissioner for Borsetshire: 2 replies" {
		t.Errorf("Borsetshire replies summary = %q, want its acknowledgement and response", borsDet.Summary)
	}
	readFrom := map[string][]string{} // question → value, read from
	for _, a := range borsDet.Answers {
		if len(a) == 5 {
			readFrom[a[0]] = []string{a[2], a[3]}
		}
	}
	if got := readFrom["self_referred"]; len(got) != 2 || got[0] != "8" || !strings.Contains(got[1], "Eight") {
		t.Errorf("Borsetshire self_referred reply row = %q, want value 8 read from \"Eight.\"", got)
	}
	// Every stored answer of every reply is shown with the text it was read from.
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
			if len(rep.Answers) > 0 {
				t.Errorf("%s: no replies section for request %s", smp.Name, rep.Request)
			}
			continue
		}
		for k, a := range rep.Answers {
			if a.Text == "" {
				continue
			}
			found := false
			for _, row := range det.Answers {
				if len(row) == 5 && row[0] == k && squashSpace(row[3]) == squashSpace(a.Text) && row[2] == worker.CellValue(a) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: answer %s = %q read from %q is not shown in the replies", smp.Name, k, worker.CellValue(a), a.Text)
			}
		}
	}
	for _, ch := range s.Charts {
		labels := map[string]bool{}
		for _, b := range ch.Bars {
			labels[b.Label] = true
		}
		if len(labels) < len(ch.Bars) {
			t.Errorf("chart %s: %d bars but only %d distinct labels (%q...): a reader cannot tell whose bar is whose", ch.Caption, len(ch.Bars), len(labels), ch.Bars[0].Label)
		}
	}
	if page.ScrollWidth > page.ViewportWidth {
		t.Logf("note: the page is %g px wide in a %g px window (the campaign table scrolls sideways)", page.ScrollWidth, page.ViewportWidth)
	}
	t.Logf("status page rendered and checked in %s; screenshots in %s", time.Since(start).Round(time.Millisecond), dir)
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

	// The status page's own headers: HTML, and a CSP that allows no script.
	code, h, body = get("/")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(body, "<svg") {
		t.Errorf("/ = %d %q", code, h.Get("Content-Type"))
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("/ Content-Security-Policy = %q", csp)
	}
	if code, _, _ := get("/nope"); code != http.StatusNotFound {
		t.Errorf("/nope = %d, want 404", code)
	}
}
