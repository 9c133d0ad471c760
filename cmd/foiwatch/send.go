package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/foiwatch/foiwatch/worker"
)

// cmdSend is `foiwatch send`: the campaign's request to each authority not
// yet sent.
func cmdSend(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "send")
	var c common
	c.register(fs, "text", "warn")
	campaign := fs.String("campaign", "", "the campaign whose requests to send (required)")
	var only multiFlag
	fs.Var(&only, "only", "only this request (repeatable)")
	dry := fs.Bool("dry-run", false, "say what would be sent, record and send nothing")
	show := fs.Bool("show", false, "with --dry-run: print every letter in full")
	rate := fs.String("rate", "", "at most N requests, then a pause: N/DURATION, e.g. 10/1h")
	resend := fs.Bool("resend", false, "with --only: send again a request that may have reached the server already (check the Sent folder first)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *campaign == "" {
		return usagef("--campaign is required")
	}
	if *show && !*dry {
		return usagef("--show goes with --dry-run")
	}
	if *resend && len(only) == 0 {
		return usagef("--resend needs --only REQUEST: name each request to send again")
	}
	batch, pause, err := parseRate(*rate)
	if err != nil {
		return err
	}
	// Sending needs the SMTP server's secrets: checked now, before the
	// first request, not at the first connection.
	d, err := c.openWith(ctx, e, &worker.Options{UsesSMTP: !*dry})
	if err != nil {
		return err
	}
	defer d.Close()
	progress := func(o worker.SendOutcome) {
		switch o.Result {
		case "sent":
			fmt.Fprintf(e.stdout, "sent       %-20s %s <%s> %s\n", o.Request, o.Authority, o.Email, o.MessageID)
		case "failed":
			fmt.Fprintf(e.stdout, "NOT SENT   %-20s %s <%s>: %s\n", o.Request, o.Authority, o.Email, o.Err)
		case "uncertain":
			fmt.Fprintf(e.stdout, "UNCERTAIN  %-20s %s <%s>: may have reached the server at %s (%s); not sent again\n", o.Request, o.Authority, o.Email, o.SentAt.Format(time.RFC3339), o.Err)
		case "pause":
			fmt.Fprintf(e.stdout, "pausing %s (%d to go)...\n", o.Pause, o.Left)
		}
	}
	if *dry {
		progress = nil
	}
	res, err := d.Send(ctx, worker.SendOptions{Campaign: *campaign, Only: only, DryRun: *dry, Batch: batch, Pause: pause, Resend: *resend, Progress: progress})
	if *dry {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REQUEST\tAUTHORITY\tEMAIL\tWOULD")
		for _, o := range res.Outcomes {
			would := map[string]string{"would_send": "send", "in_file": "skip: sent_at in the campaign file", "already_sent": "skip: sent " + o.SentAt.Format("2006-01-02 15:04"),
				"uncertain": "skip: may have been sent " + o.SentAt.Format("2006-01-02 15:04"), "failed": "fail: " + o.Err}[o.Result]
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Request, o.Authority, o.Email, would)
		}
		tw.Flush()
		fmt.Fprintf(e.stdout, "%d request(s) would be sent\n", res.Sent)
		if *show {
			for _, o := range res.Outcomes {
				if o.Letter != nil {
					fmt.Fprintln(e.stdout)
					worker.WriteLetter(e.stdout, *o.Letter)
				}
			}
		}
		return err
	}
	fmt.Fprintf(e.stdout, "%d sent, %d not sent, %d uncertain, %d skipped (sent before)\n", res.Sent, res.Failed, res.Uncertain, res.Skipped)
	return err
}

// parseRate reads N/DURATION.
func parseRate(s string) (int, time.Duration, error) {
	if s == "" {
		return 0, 0, nil
	}
	n, d, ok := strings.Cut(s, "/")
	count, err := strconv.Atoi(n)
	if !ok || err != nil || count < 1 {
		return 0, 0, usagef("--rate %q: want N/DURATION, e.g. 10/1h", s)
	}
	dur, err := time.ParseDuration(d)
	if err != nil || dur <= 0 {
		return 0, 0, usagef("--rate %q: want N/DURATION, e.g. 10/1h", s)
	}
	return count, dur, nil
}
