package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/foiwatch/foiwatch/worker"
	"github.com/foiwatch/foiwatch/worker/deadline"
)

func cmdShow(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "show")
	var c common
	c.register(fs, "text", "warn")
	brief := fs.Bool("brief", false, "a reply without its text (no OCR of scans)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one ID: a reply's (the first characters of its sha256) or a request's ([CAMPAIGN/]REQUEST)")
	}
	d, err := c.open(ctx, e, false)
	if err != nil {
		return err
	}
	defer d.Close()
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()

	id := pos[0]
	_, _, reqErr := d.FindRequest(id)
	sha, shaErr := "", error(nil)
	if !strings.Contains(id, "/") {
		sha, shaErr = d.ResolveRaw(ctx, id)
	}
	switch {
	case reqErr == nil && sha != "":
		return fmt.Errorf("%q is both a request and the start of a stored message's ID: write CAMPAIGN/%s for the request, or more of the ID", id, id)
	case reqErr == nil:
		return showRequest(ctx, out, d, id)
	case sha != "":
		return showReply(ctx, out, d, sha, !*brief)
	case strings.Contains(id, "/"):
		return reqErr
	}
	return fmt.Errorf("%v; and no request is called %q", shaErr, id)
}

func showReply(ctx context.Context, w io.Writer, d *worker.Daemon, sha string, texts bool) error {
	rd, err := d.ReplyDetail(ctx, sha, texts)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "message %s\n\n", sha)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, h := range rd.Original.Header {
		fmt.Fprintf(tw, "%s:\t%s\n", h.Key, h.Value)
	}
	tw.Flush()
	if rd.Original.Warning != "" {
		fmt.Fprintf(w, "note: %s\n", rd.Original.Warning)
	}
	fmt.Fprintf(w, "\nfiled:     %s\n", rd.Filed())
	if rd.Decision != nil {
		fmt.Fprintf(w, "decision:  %s\n", rd.Decision.Describe())
	}
	if r := rd.Reply; r != nil {
		fmt.Fprintf(w, "kind:      %s\n", r.Kind)
		fmt.Fprintf(w, "reference: %s\n", dash(r.Reference))
		if r.StatedDue != "" {
			fmt.Fprintf(w, "says due:  %s\n", r.StatedDue)
		}
		fmt.Fprintf(w, "parser:    version %d\n", r.ParserVersion)
		for _, warn := range r.Warnings {
			fmt.Fprintf(w, "warning:   %s\n", warn)
		}
		if len(r.Answers) > 0 {
			fmt.Fprintln(w, "\nanswers (as parsed; foiwatch show REQUEST for corrections):")
			var keys []string
			if c := d.Campaigns.Get(r.Campaign); c != nil {
				for _, q := range c.Questions {
					keys = append(keys, q.Key)
				}
			}
			for _, k := range keys {
				a, ok := r.Answers[k]
				if !ok {
					continue
				}
				fmt.Fprintf(w, "  %-26s %s\n", k, worker.DisplayValue(a))
				if a.Check {
					fmt.Fprintf(w, "  %-26s check: %s\n", "", a.Why)
				}
				if t := strings.Join(strings.Fields(a.Text), " "); t != "" {
					fmt.Fprintf(w, "  %-26s read from: “%s”\n", "", t)
				}
			}
		}
	}
	if len(rd.Original.Parts) > 0 {
		fmt.Fprintln(w, "\nattachments:")
		for _, p := range rd.Original.Parts {
			line := fmt.Sprintf("  %d  %s  %s  %d bytes", p.N, p.Name(), p.ContentType, len(p.Data))
			if rd.Reply != nil && p.N <= len(rd.Reply.Attachments) {
				a := rd.Reply.Attachments[p.N-1]
				line += fmt.Sprintf(", %d characters of text", a.TextChars)
				if a.OCR {
					line += fmt.Sprintf(" read by OCR (confidence %.0f)", a.OCRConfidence)
				}
			}
			fmt.Fprintln(w, line)
			fmt.Fprintf(w, "     foiwatch raw %s --attachment %d -o %q\n", sha[:12], p.N, p.Name())
		}
	}
	fmt.Fprintf(w, "\nthe message as received: foiwatch raw %s -o %s.eml\n", sha[:12], sha[:12])
	if !texts {
		return nil
	}
	fmt.Fprintf(w, "\n--- the text as read: the message ---\n%s\n", strings.TrimRight(rd.Body, "\n"))
	for _, p := range rd.Parts {
		how := ""
		if p.OCR {
			how = ", read by OCR"
		}
		fmt.Fprintf(w, "\n--- the text as read: attachment %d, %s%s ---\n", p.Part.N, p.Part.Name(), how)
		if p.Err != nil {
			fmt.Fprintf(w, "(%v)\n", p.Err)
		}
		if t := strings.TrimRight(p.Text, "\n\f "); t != "" {
			fmt.Fprintln(w, t)
		} else if p.Err == nil {
			fmt.Fprintln(w, "(no text)")
		}
	}
	return nil
}

func showRequest(ctx context.Context, w io.Writer, d *worker.Daemon, id string) error {
	c, r, s, tl, err := d.Timeline(ctx, id)
	if err != nil {
		return err
	}
	rows, err := d.Rows(ctx, c.ID, deadline.DateOf(d.Now()))
	if err != nil {
		return err
	}
	var row worker.Row
	for _, rw := range rows {
		if rw.Request == r.ID {
			row = rw
		}
	}
	fmt.Fprintf(w, "%s/%s  %s <%s>\n", c.ID, r.ID, r.Authority, r.Email)
	fmt.Fprintf(w, "state %s, due %s (clock from %s), %d working day(s) late, reference %s\n\n", row.Status, s.Due, s.ClockFrom, row.DaysLate, dash(s.Reference))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, t := range tl {
		id := t.ID
		if len(id) > 12 {
			id = id[:12]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.At.In(deadline.London()).Format("2006-01-02 15:04"), t.What, dash(id), t.Text)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if row.AnswersFrom != "" {
		fmt.Fprintf(w, "\nanswers (from reply %s):\n", row.AnswersFrom[:12])
		for _, q := range c.Questions {
			a := row.Answers[q.Key]
			mark := ""
			if a.Corrected != nil {
				mark = fmt.Sprintf("  [set by hand by %s on %s]", a.Corrected.By, a.Corrected.At[:10])
			}
			if a.Check {
				mark += "  [check: " + a.Why + "]"
			}
			fmt.Fprintf(w, "  %-26s %s%s\n", q.Key, worker.DisplayValue(a), mark)
		}
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func cmdRaw(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "raw")
	var c common
	c.register(fs, "text", "warn")
	att := fs.Int("attachment", 0, "write attachment N (as foiwatch show numbers them) instead of the whole message")
	outPath := fs.String("o", "", "write to this file (created with mode 0600) instead of standard output")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one ID: the first characters of a stored message's sha256")
	}
	if *att < 0 {
		return usagef("--attachment %d: attachments are numbered from 1", *att)
	}
	d, err := c.open(ctx, e, false)
	if err != nil {
		return err
	}
	defer d.Close()
	sha, err := d.ResolveRaw(ctx, pos[0])
	if err != nil {
		return err
	}
	var data []byte
	if *att > 0 {
		p, err := d.Attachment(ctx, sha, *att)
		if err != nil {
			return err
		}
		data = p.Data
	} else if data, err = d.Raw(ctx, sha); err != nil {
		return err
	}
	if *outPath == "" {
		_, err = e.stdout.Write(data)
		return err
	}
	if err := writeNew(*outPath, data); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %d bytes to %s\n", len(data), *outPath)
	return nil
}

// writeNew writes data to path, mode 0600 (letters hold personal data).
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
