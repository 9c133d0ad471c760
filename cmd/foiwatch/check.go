package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/foiwatch/foiwatch/worker"
)

// cmdCheck verifies every stream and bucket against the raw messages and,
// with --repair, rebuilds what is derived from them (worker.Check).
func cmdCheck(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "check")
	var c common
	c.register(fs, "text", "warn")
	repair := fs.Bool("repair", false, "rebuild what is damaged or lost from the raw messages")
	quick := fs.Bool("quick", false, "do not read every raw message to verify its sha256")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	d, err := c.open(ctx, e, false)
	if err != nil {
		return err
	}
	defer d.Close()
	rep, err := d.Check(ctx, worker.CheckOptions{Repair: *repair, Quick: *quick,
		Progress: func(what string) { fmt.Fprintf(e.stderr, "check: %s\n", what) }})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "checked %d raw messages, %d replies, %d requests, %d unmatched, %d in FAILED, %d queued\n",
		rep.Raw, rep.Replies, rep.Requests, rep.Unmatched, rep.Failed, rep.Queued)
	for _, dm := range rep.Damage {
		state := ""
		if rep.DamageRepaired {
			state = " (what it held is rebuilt)"
		}
		fmt.Fprintf(e.stdout, "damaged: %s%s\n", dm, state)
	}
	for _, b := range rep.Rebuilt {
		fmt.Fprintf(e.stdout, "rebuilt bucket %s\n", b)
	}
	left := 0
	for _, p := range rep.Problems {
		state := ""
		switch {
		case p.Repaired:
			state = "repaired: " + p.Fix
		case p.Err != "":
			state = "NOT repaired (" + p.Fix + "): " + p.Err
			left++
		case p.Fix == "":
			state = "cannot be repaired"
			left++
		case *repair:
			state = "NOT repaired: " + p.Fix
			left++
		default:
			state = "--repair would " + p.Fix
			left++
		}
		fmt.Fprintf(e.stdout, "%s: %s\n    %s\n", p.Where, p.What, state)
	}
	if rep.CursorsReset > 0 {
		fmt.Fprintf(e.stdout, "reset %d mailbox cursor(s): the next sync (or the running daemon) fetches every message again to store the lost ones\n", rep.CursorsReset)
	}
	switch {
	case rep.Sound() && len(rep.Problems) == 0 && len(rep.Damage) == 0:
		fmt.Fprintln(e.stdout, "the store is sound")
		return nil
	case rep.Sound():
		fmt.Fprintf(e.stdout, "repaired %d problem(s); the store is sound\n", len(rep.Problems))
		return nil
	case !*repair:
		return fmt.Errorf("the store is damaged (%d problem(s), %d sign(s) of damage): run foiwatch check --config %s --repair to rebuild what can be rebuilt from the raw messages", left, len(rep.Damage), c.configPath())
	}
	return errors.New("some damage could not be repaired (see above); what remains needs a person: the raw messages are the source of truth, and mail still on the IMAP server can be fetched again")
}

func (c *common) configPath() string {
	if p, err := worker.ConfigPath(c.config); err == nil {
		return p
	}
	return "F"
}
