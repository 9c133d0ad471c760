package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/foiwatch/foiwatch/worker"
)

func cmdReview(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "review")
	var c common
	c.register(fs, "text", "warn")
	campaign := fs.String("campaign", "", "only this campaign")
	format := fs.String("format", "text", "text (for a person) or jsonl (one answer per line)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "jsonl" {
		return usagef("--format %q: want text or jsonl", *format)
	}
	d, err := c.open(ctx, e, false)
	if err != nil {
		return err
	}
	defer d.Close()
	items, err := d.Review(ctx, *campaign)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	if *format == "jsonl" {
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		for _, it := range items {
			if err := enc.Encode(it); err != nil {
				return err
			}
		}
		return nil
	}
	return worker.WriteReview(out, items)
}

func cmdAnswer(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "answer")
	var c common
	c.register(fs, "text", "warn")
	note := fs.String("note", "", "a note kept with the decision (where the value comes from, why)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 3 {
		return usagef("want a request, a question key and set VALUE, accept or clear")
	}
	request, key, action := pos[0], pos[1], pos[2]
	switch action {
	case "set":
		if len(pos) < 4 {
			return usagef("set needs the value, e.g. set 12, set \"£125,000 per year\", set not_held, set \"exempt s.40(2)\", set \"A; B; C\"")
		}
	case "accept", "clear":
		if len(pos) > 3 {
			return usagef("%s takes no value", action)
		}
	default:
		return usagef("unknown action %q: want set VALUE, accept or clear", action)
	}
	d, err := c.open(ctx, e, false)
	if err != nil {
		return err
	}
	defer d.Close()
	switch action {
	case "set":
		// The value may come as several arguments: set £125,000 per year.
		a, err := d.SetAnswer(ctx, request, key, strings.Join(pos[3:], " "), *note)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s %s: set to %s", request, key, worker.DisplayValue(a))
		if a.Corrected != nil && a.Corrected.Parsed != nil {
			fmt.Fprintf(e.stdout, " (read from the reply as: %s)", worker.DisplayValue(*a.Corrected.Parsed))
		}
		fmt.Fprintln(e.stdout)
	case "accept":
		a, err := d.AcceptAnswer(ctx, request, key, *note)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s %s: accepted as read: %s\n", request, key, worker.DisplayValue(a))
	case "clear":
		dec, a, err := d.ClearAnswer(ctx, request, key)
		if err != nil {
			return err
		}
		if dec == nil {
			fmt.Fprintf(e.stdout, "%s %s: nothing to clear (no answer was set or accepted by hand); it is %s\n", request, key, worker.DisplayValue(a))
			return nil
		}
		what := "the acceptance"
		if dec.Action == worker.AnswerSet && dec.Answer != nil {
			what = "the value " + worker.DisplayValue(*dec.Answer)
		}
		fmt.Fprintf(e.stdout, "%s %s: %s (by %s on %s) is dropped; the answer is %s as read\n", request, key, what, dec.By, dec.At.Format("2006-01-02"), worker.DisplayValue(a))
	}
	return nil
}
