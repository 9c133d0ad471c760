package worker

import (
	"context"
	"errors"
	"html/template"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/foiwatch/foiwatch/queue"
)

// The status page's read-only view of one stored reply: its headers, how
// it was matched and why, its answers as parsed, its text as read and its
// attachments, and the message itself to download. Like the status page
// it is served on the [http] listen address (loopback unless public =
// true) and never changes anything. Everything a reply holds is shown as
// text (html/template escapes it); attachments and the raw message are
// only ever downloaded, never rendered.

var fullSHA = regexp.MustCompile(`^[0-9a-f]{64}$`)

// replyViewTimeout bounds reading a reply's text for the view (OCR of a
// long scan takes a while; the CLI's foiwatch show has no such bound).
const replyViewTimeout = 2 * time.Minute

func (d *Daemon) handleReplyView(mux *http.ServeMux) {
	mux.HandleFunc("GET /reply/{sha}", d.replyPage)
	mux.HandleFunc("GET /reply/{sha}/raw", d.replyRaw)
	mux.HandleFunc("GET /reply/{sha}/attachment/{n}", d.replyAttachment)
}

var replyTmpl = template.Must(template.New("reply").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reply {{.Short}}: foiwatch</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:70em}
table{border-collapse:collapse;margin-bottom:1.2em}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.muted{color:#777}.warn{color:#b00}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f8f8f8;border:1px solid #ddd;padding:.8em;max-height:40em;overflow-y:auto}
tr.check td{background:#fff1dc}.mark{font-size:.8em;border-radius:3px;padding:0 .3em;background:#e8a33d;color:#fff}
</style></head><body>
<p><a href="../">← status</a></p>
<h1>Reply <code>{{.Short}}</code></h1>
<table id="headers"><tbody>{{range .Headers}}<tr><th>{{.Key}}</th><td>{{.Value}}</td></tr>{{end}}</tbody></table>
{{with .Warning}}<p class="warn">{{.}}</p>{{end}}
<p id="filed"><b>Filed:</b> {{.Filed}}</p>
{{with .Decision}}<p id="decision"><b>Operator:</b> {{.}}</p>{{end}}
{{with .Reply}}<p><b>Kind:</b> {{.Kind}}. <b>Reference:</b> {{if .Reference}}{{.Reference}}{{else}}none found{{end}}.{{if .StatedDue}} <b>Says due:</b> {{.StatedDue}}.{{end}} <span class="muted">Parser version {{.ParserVersion}}.</span></p>
{{range .Warnings}}<p class="warn">{{.}}</p>{{end}}{{end}}
{{if .Answers}}<h2>Answers as read from this reply</h2>
<table id="answers"><thead><tr><th>Question</th><th>Value</th><th>Check</th><th>Read from</th></tr></thead><tbody>
{{range .Answers}}<tr{{if .Check}} class="check"{{end}}><td>{{.Key}}</td><td>{{.Value}}</td><td>{{if .Check}}<span class="mark">check</span> {{.Why}}{{end}}</td><td>{{.Text}}</td></tr>
{{end}}</tbody></table>{{end}}
<h2>Attachments</h2>
{{if .Parts}}<ol id="attachments">{{range .Parts}}<li><a href="{{$.Base}}/attachment/{{.Part.N}}" download>{{.Part.Name}}</a> <span class="muted">{{.Part.ContentType}}, {{len .Part.Data}} bytes{{if .OCR}}, read by OCR{{end}}</span></li>{{end}}</ol>{{else}}<p>None.</p>{{end}}
<p><a id="raw" href="{{.Base}}/raw" download="{{.Short}}.eml">The message as received (.eml)</a></p>
<h2>The text as read</h2>
<h3>The message</h3>
<pre id="body">{{.Body}}</pre>
{{range .Parts}}<h3>Attachment {{.Part.N}}: {{.Part.Name}}{{if .OCR}} (read by OCR){{end}}</h3>
{{with .Err}}<p class="warn">{{.}}</p>{{end}}<pre class="attachment-text">{{.Text}}</pre>
{{end}}
</body></html>`))

type replyViewAnswer struct {
	Key, Value, Text, Why string
	Check                 bool
}

// replySHA reads the {sha} of a request: a full sha256 of a stored message.
func (d *Daemon) replySHA(w http.ResponseWriter, r *http.Request) (string, bool) {
	sha := r.PathValue("sha")
	if !fullSHA.MatchString(sha) {
		http.Error(w, "not a reply's ID (the 64 hex digits of its sha256)", http.StatusNotFound)
		return "", false
	}
	return sha, true
}

func (d *Daemon) replyError(w http.ResponseWriter, sha string, err error) {
	if errors.Is(err, queue.ErrNotFound) {
		http.Error(w, "no message "+short(sha)+" is stored", http.StatusNotFound)
		return
	}
	d.Log.Error("reply view", "sha", short(sha), "err", err)
	http.Error(w, "reading the reply failed: "+err.Error(), http.StatusInternalServerError)
}

func (d *Daemon) replyPage(w http.ResponseWriter, r *http.Request) {
	sha, ok := d.replySHA(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), replyViewTimeout)
	defer cancel()
	rd, err := d.ReplyDetail(ctx, sha, true)
	if err != nil {
		d.replyError(w, sha, err)
		return
	}
	data := struct {
		Short, Base, Filed, Decision, Warning, Body string
		Headers                                     []HeaderField
		Reply                                       any
		Answers                                     []replyViewAnswer
		Parts                                       []PartRead
	}{Short: short(sha), Base: "../reply/" + sha, Filed: rd.Filed(), Warning: rd.Original.Warning, Body: rd.Body,
		Headers: rd.Original.Header, Parts: rd.Parts}
	if rd.Decision != nil {
		data.Decision = rd.Decision.Describe()
	}
	if rd.Reply != nil {
		data.Reply = rd.Reply
		if c := d.Campaigns.Get(rd.Reply.Campaign); c != nil {
			for _, q := range c.Questions {
				if a, ok := rd.Reply.Answers[q.Key]; ok {
					data.Answers = append(data.Answers, replyViewAnswer{Key: q.Key, Value: DisplayValue(a), Text: a.Text, Why: a.Why, Check: a.Check})
				}
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if err := replyTmpl.Execute(w, data); err != nil {
		d.Log.Error("reply view", "sha", short(sha), "err", err)
	}
}

// download sends data as a file to save, never to render: whatever an
// authority (or anyone) attached cannot run in the page's origin.
func download(w http.ResponseWriter, name string, data []byte) {
	name = strings.Map(func(r rune) rune {
		if r < ' ' || r == '"' || r == '\\' || r == '/' || r == 0x7f {
			return '_'
		}
		return r
	}, name)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

func (d *Daemon) replyRaw(w http.ResponseWriter, r *http.Request) {
	sha, ok := d.replySHA(w, r)
	if !ok {
		return
	}
	raw, err := d.Q.GetRaw(r.Context(), sha)
	if err != nil {
		d.replyError(w, sha, err)
		return
	}
	download(w, short(sha)+".eml", raw)
}

func (d *Daemon) replyAttachment(w http.ResponseWriter, r *http.Request) {
	sha, ok := d.replySHA(w, r)
	if !ok {
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		http.Error(w, "attachments are numbered from 1", http.StatusNotFound)
		return
	}
	o, err := d.Original(r.Context(), sha)
	if err != nil {
		d.replyError(w, sha, err)
		return
	}
	if n > len(o.Parts) {
		http.Error(w, "the message has no attachment "+strconv.Itoa(n), http.StatusNotFound)
		return
	}
	download(w, o.Parts[n-1].Name(), o.Parts[n-1].Data)
}
