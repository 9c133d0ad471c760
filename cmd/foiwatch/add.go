package main

import (
	"context"
	"fmt"
	"os"

	"github.com/foiwatch/foiwatch/worker"
)

func cmdAdd(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "add")
	var c common
	c.register(fs, "text", "warn")
	request := fs.String("request", "", "the request the reply answers ([CAMPAIGN/]REQUEST)")
	received := fs.String("received", "", "when the letter arrived: "+whenHelp+" (default: now); lateness counts to it")
	note := fs.String("note", "", "a note kept with the decision")
	force := fs.Bool("force", false, "add a file that was added before")
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *request == "" {
		return usagef("--request is required: the request the letter answers")
	}
	if len(files) == 0 {
		return usagef("no files to add: give the scanned letter (PDF or images) or a saved .eml")
	}
	// Unset, when is zero: AddFiles takes the daemon's clock.
	when, _, err := operatorTime("received", *received)
	if err != nil {
		return err
	}
	var in []worker.AddedFile
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		in = append(in, worker.AddedFile{Name: f, Data: b})
	}
	d, err := c.open(ctx, e, false)
	if err != nil {
		return err
	}
	defer d.Close()
	added, err := d.AddFiles(ctx, *request, in, worker.AddOptions{Received: when, Note: *note, Force: *force})
	if err != nil {
		return err
	}
	for _, a := range added {
		r := a.Reply
		flagged := 0
		for _, ans := range r.Answers {
			if ans.Check {
				flagged++
			}
		}
		fmt.Fprintf(e.stdout, "%s: added %v to %s/%s: %s, %d answers read, %d to check (foiwatch review), %d warning(s)\n",
			a.SHA256[:12], a.Files, r.Campaign, r.Request, r.Kind, len(r.Answers), flagged, len(r.Warnings))
		for _, w := range r.Warnings {
			fmt.Fprintf(e.stdout, "  warning: %s\n", w)
		}
	}
	return nil
}
