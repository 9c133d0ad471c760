package main

import (
	"context"
	"fmt"
)

func cmdMove(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "move")
	var c common
	c.register(fs, "text", "warn")
	note := fs.String("note", "", "a note kept with the decision (why it belongs there)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("want a reply's ID and [CAMPAIGN/]REQUEST, or none to put it back among the unmatched")
	}
	d, err := c.open(ctx, e, false)
	if err != nil {
		return err
	}
	defer d.Close()
	sha, err := d.ResolveReply(ctx, pos[0])
	if err != nil {
		return err
	}
	was, err := d.Store.Reply(ctx, sha)
	if err != nil {
		return err
	}
	r, err := d.Move(ctx, sha, pos[1], *note)
	if err != nil {
		return err
	}
	from := "unmatched"
	if was.Request != "" {
		from = was.Campaign + "/" + was.Request
	}
	if r.Request == "" {
		fmt.Fprintf(e.stdout, "%s: moved from %s back among the unmatched (foiwatch unmatched list); reprocessing keeps it there\n", sha[:12], from)
		return nil
	}
	fmt.Fprintf(e.stdout, "%s: moved from %s to %s/%s (%s, %d answers read with that campaign's questions); reprocessing keeps it there\n",
		sha[:12], from, r.Campaign, r.Request, r.Kind, len(r.Answers))
	return nil
}
