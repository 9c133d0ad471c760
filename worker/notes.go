package worker

import (
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/foiwatch/foiwatch/parser/extract"
)

// missingTools are the programs the parser needs that are not installed,
// each as a sentence: what is not read without it and what to install.
// The OCR programs count only while OCR is not turned off ([ocr] enabled);
// optional is true for those when OCR was not asked for either (its
// default is "on when tesseract is installed").
func (d *Daemon) missingTools() (notes []string, optional []bool) {
	enabled := d.Cfg.OCR.Enabled
	ocrOff := enabled != nil && !*enabled
	tesseract := true
	for _, m := range extract.MissingTools() {
		if m.Tool.OCR && ocrOff {
			continue
		}
		if m.Tool.Name == "tesseract" {
			tesseract = false
		}
		notes = append(notes, fmt.Sprintf("%v: %s are not read (their replies are stored with a warning; foiwatch reprocess reads them once it is installed)", m, m.Tool.For))
		optional = append(optional, m.Tool.OCR && enabled == nil)
	}
	if tesseract && !ocrOff {
		if ok, why := extract.OCRAvailable(); !ok {
			notes = append(notes, why+": scans and photographed letters are not read (foiwatch reprocess reads them once it is fixed)")
			optional = append(optional, enabled == nil)
		}
	}
	return notes, optional
}

// checkTools says at the start of run and sync which programs the parser
// needs are missing: a warning each, or an info line for the OCR programs
// when OCR was not asked for ([ocr] enabled unset). They do not make the
// daemon unready (see readyNotes): mail is still fetched, stored and
// parsed, a PDF it cannot read gets a warning on its reply, and reprocess
// reads it later.
func (d *Daemon) checkTools() {
	notes, optional := d.missingTools()
	for i, m := range notes {
		if optional[i] {
			d.Log.Info("a program OCR needs is missing, so OCR is off: " + m)
			continue
		}
		d.Log.Warn("a program the parser needs is missing: " + m)
	}
}

// readyNotes are what /readyz adds under "notes": problems that leave the
// daemon ready (it fetches and stores every message; nothing is lost) but
// that an operator should fix: a program the parser needs that is missing,
// an after-action that cannot be done or waits, a server that reused UIDs.
// They are not a 503: a load balancer or an orchestrator acts on readiness
// by restarting or routing around a process, and neither helps here, while
// a 503 would hide a daemon that does its main work. Monitoring can alert
// on the notes.
func (d *Daemon) readyNotes() []string {
	notes, _ := d.missingTools()
	for i, p := range d.pollers {
		name := d.Cfg.Mailboxes[i].Name
		if !d.isPolling(name) {
			continue
		}
		for _, n := range p.Status().Notes {
			notes = append(notes, "mailbox "+name+": "+n)
		}
	}
	return notes
}

// hostCheck refuses a request whose Host header is not a loopback name
// ("localhost", 127.0.0.1, [::1]) unless [http] public is set: a web page
// elsewhere could otherwise point a name of its own at 127.0.0.1 (DNS
// rebinding) and read the status page, which shows the requests and their
// replies, from the operator's browser. The port is not checked: the
// attack needs a name that resolves to this machine, not a port.
func (d *Daemon) hostCheck(next http.Handler) http.Handler {
	return hostCheck(d.Cfg.HTTP.Public, next)
}

// hostCheck is Daemon.hostCheck before a daemon exists (RunDaemon's
// starting handler): public is [http] public.
func hostCheck(public bool, next http.Handler) http.Handler {
	if public {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
		if host != "" && !isLoopback(strings.ToLower(host)) {
			http.Error(w, fmt.Sprintf("foiwatch answers only to a loopback name (127.0.0.1, localhost), not to Host %q: "+
				"this guards the status page against DNS rebinding; set public = true in [http] to serve it under other names", r.Host),
				http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}
