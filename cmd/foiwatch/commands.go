package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
	"github.com/foiwatch/foiwatch/worker"
	"github.com/foiwatch/foiwatch/worker/deadline"
	"github.com/foiwatch/foiwatch/worker/demo"
)

// common are the flags of every command that reads the config.
type common struct {
	config    string
	logFormat string
	logLevel  string
}

func (c *common) register(fs *flag.FlagSet, defFormat, defLevel string) {
	fs.StringVar(&c.config, "config", "", "the config file (default $FOIWATCH_CONFIG)")
	fs.StringVar(&c.logFormat, "log-format", defFormat, "log format: json or text")
	fs.StringVar(&c.logLevel, "log-level", defLevel, "log level: debug, info, warn or error")
}

// open reads the config and opens the daemon's state.
func (c *common) open(ctx context.Context, e *env, daemon bool) (*worker.Daemon, error) {
	return c.openWith(ctx, e, &worker.Options{Daemon: daemon})
}

func (c *common) openWith(ctx context.Context, e *env, o *worker.Options) (*worker.Daemon, error) {
	path, err := worker.ConfigPath(c.config)
	if err != nil {
		return nil, usageError{msg: err.Error()}
	}
	log, err := logger(e, c.logFormat, c.logLevel)
	if err != nil {
		return nil, err
	}
	cfg, err := worker.LoadConfig(path)
	if err != nil {
		return nil, err
	}
	now, err := processClock()
	if err != nil {
		return nil, err
	}
	o.Logger, o.Now = log, now
	return worker.Open(ctx, cfg, o)
}

func cmdRun(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "run")
	var c common
	c.register(fs, "json", "info")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	// SIGHUP reloads the campaigns. Caught from the start, so that one
	// sent while the daemon opens its store (or waits for JetStream) does
	// not kill it.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	path, err := worker.ConfigPath(c.config)
	if err != nil {
		return usageError{msg: err.Error()}
	}
	log, err := logger(e, c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	cfg, err := worker.LoadConfig(path)
	if err != nil {
		return err
	}
	now, err := processClock()
	if err != nil {
		return err
	}
	return worker.RunDaemon(ctx, cfg, &worker.Options{Logger: log, Now: now, Reload: hup})
}

func cmdSync(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "sync")
	var c common
	c.register(fs, "text", "warn")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	prog := newSyncProgress(e.stderr)
	d, err := c.openWith(ctx, e, &worker.Options{UsesMailboxes: true, SyncProgress: prog.update})
	if err != nil {
		return err
	}
	defer d.Close()
	res, err := d.Sync(ctx)
	prog.done()
	fmt.Fprintf(e.stdout, "fetched %d, processed %d, unmatched %d, failed %d, waiting for a retry %d; replies stored %d\n", res.Fetched, res.Processed, res.Unmatched, res.Failed, res.Waiting, res.Stored)
	return err
}

func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "demo")
	keep := fs.String("keep", "", "keep the demo's data in this directory instead of a temporary one")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	return demo.Run(ctx, e.stdout, &demo.Options{Dir: *keep})
}

func cmdParse(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "parse")
	var camps multiFlag
	fs.Var(&camps, "campaign", "a campaign file whose requests and questions the replies are matched against (repeatable)")
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("no files to parse")
	}
	cs, err := worker.LoadCampaigns(camps)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	failed := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(e.stderr, "foiwatch parse: %v\n", err)
			failed++
			continue
		}
		r, err := worker.ParseStateless(ctx, cs, raw, nil)
		if err != nil {
			fmt.Fprintf(e.stderr, "foiwatch parse: %s: %v\n", f, err)
			failed++
			continue
		}
		r.File = f
		r.SHA256 = ""
		r.ParserVersion = 0
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be parsed", failed, len(files))
	}
	return nil
}

func cmdStatus(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "status")
	var c common
	c.register(fs, "text", "warn")
	campaign := fs.String("campaign", "", "only this campaign")
	asOf := fs.String("now", "", "the day to count lateness on: "+whenHelp+" (default: now)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	at, given, err := operatorTime("now", *asOf)
	if err != nil {
		return err
	}
	d, err := c.open(ctx, e, false)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.DamageError(); err != nil {
		return err
	}
	rows, err := d.Rows(ctx, *campaign, deadline.DateOf(nowOr(at, given, d.Now)))
	if err != nil {
		return err
	}
	return worker.WriteStatus(e.stdout, rows)
}

func cmdExport(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "export")
	var c common
	c.register(fs, "text", "warn")
	format := fs.String("format", "", "csv, jsonl or xlsx")
	campaign := fs.String("campaign", "", "only this campaign")
	replies := fs.Bool("replies", false, "write every stored Reply instead of one row per request")
	outPath := fs.String("o", "", "write to this file (made readable by its owner only) instead of standard output")
	asOf := fs.String("now", "", "the day to count lateness on: "+whenHelp+" (default: now)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	at, given, err := operatorTime("now", *asOf)
	if err != nil {
		return err
	}
	switch *format {
	case "csv", "jsonl", "xlsx":
	case "":
		return usagef("--format is required: csv, jsonl or xlsx")
	default:
		return usagef("--format %q: want csv, jsonl or xlsx", *format)
	}
	if *replies && *format != "jsonl" {
		return usagef("--replies writes JSON lines: use --format jsonl")
	}
	d, err := c.open(ctx, e, false)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.DamageError(); err != nil {
		return err
	}
	var w io.Writer = e.stdout
	var f *exportFile
	if *outPath != "" {
		f, err = createExport(*outPath)
		if err != nil {
			return err
		}
		defer f.abort()
		w = f
	}
	bw := bufio.NewWriter(w)
	if *replies {
		err = d.WriteReplies(ctx, bw, *campaign)
	} else {
		var rows []worker.Row
		rows, err = d.Rows(ctx, *campaign, deadline.DateOf(nowOr(at, given, d.Now)))
		if err == nil {
			switch *format {
			case "csv":
				err = d.WriteCSV(bw, rows)
			case "xlsx":
				err = d.WriteXLSX(bw, rows)
			default:
				err = worker.WriteJSONL(bw, rows)
			}
		}
	}
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f != nil {
		return f.commit()
	}
	return nil
}

func cmdUnmatched(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "unmatched")
	var c common
	c.register(fs, "text", "warn")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("which: list, show ID, assign ID REQUEST, or dismiss ID")
	}
	need := map[string]int{"list": 0, "show": 1, "assign": 2, "dismiss": 1}
	n, ok := need[pos[0]]
	if !ok {
		return usagef("unknown action %q: want list, show, assign or dismiss", pos[0])
	}
	if len(pos)-1 != n {
		return usagef("%s takes %d argument(s)", pos[0], n)
	}
	d, err := c.open(ctx, e, false)
	if err != nil {
		return err
	}
	defer d.Close()
	switch pos[0] {
	case "list":
		list, err := d.Store.Unmatched(ctx)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintln(e.stdout, "no unmatched replies")
			return nil
		}
		for _, u := range list {
			fmt.Fprintf(e.stdout, "%s  %-25.25s  %-14s  %-35s  %s\n", u.SHA256[:12], u.Date, u.Kind, u.From, u.Subject)
			if len(u.Candidates) > 0 {
				fmt.Fprintf(e.stdout, "              could be: %s\n", strings.Join(u.Candidates, ", "))
			} else if u.Why != "" {
				fmt.Fprintf(e.stdout, "              %s\n", u.Why)
			}
		}
		return nil
	case "show":
		sha, err := d.ResolveUnmatched(ctx, pos[1])
		if err != nil {
			return err
		}
		// As foiwatch show prints it: headers, why nothing matched, the
		// candidates, the text (export --replies gives the JSON).
		return showReply(ctx, e.stdout, d, sha, true)
	case "assign":
		sha, err := d.ResolveUnmatched(ctx, pos[1])
		if err != nil {
			return err
		}
		r, err := d.Assign(ctx, sha, pos[2])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "assigned %s to %s/%s (%s)\n", sha[:12], r.Campaign, r.Request, r.Kind)
		return nil
	case "dismiss":
		sha, err := d.ResolveUnmatched(ctx, pos[1])
		if err != nil {
			return err
		}
		if err := d.Dismiss(ctx, sha); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "dismissed %s (the message stays stored)\n", sha[:12])
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func cmdFailed(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "failed")
	var c common
	c.register(fs, "text", "warn")
	all := fs.Bool("all", false, "with replay: replay every failed message")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("which: list, show ID, replay ID... | replay --all, or drop ID")
	}
	action, ids := pos[0], pos[1:]
	switch action {
	case "list":
		if len(ids) > 0 {
			return usagef("list takes no argument")
		}
	case "show", "drop":
		if len(ids) != 1 {
			return usagef("%s takes one ID (the sha256 prefix foiwatch failed list shows)", action)
		}
	case "replay":
		if (len(ids) == 0) == !*all {
			return usagef("replay takes IDs or --all")
		}
	default:
		return usagef("unknown action %q: want list, show, replay or drop", action)
	}
	d, err := c.open(ctx, e, false)
	if err != nil {
		return err
	}
	defer d.Close()
	if action == "list" {
		return failedList(ctx, e, d)
	}
	groups, err := failedGroups(ctx, d, *all, ids)
	if err != nil {
		return err
	}
	switch action {
	case "show":
		for _, f := range groups[0] {
			if err := printJSON(e.stdout, f); err != nil {
				return err
			}
		}
	case "drop":
		for _, f := range groups[0] {
			if err := d.DropFailed(ctx, f.ID); err != nil {
				return err
			}
		}
		if groups[0][0].Envelope.SHA256 == "" {
			fmt.Fprintf(e.stdout, "dropped %s\n", short(worker.FailedSHA(groups[0][0])))
		} else {
			fmt.Fprintf(e.stdout, "dropped %s (the raw message stays stored)\n", short(worker.FailedSHA(groups[0][0])))
		}
	case "replay":
		return failedReplay(ctx, e, d, groups, *all)
	}
	return nil
}

// failedGroups are the entries of FAILED by message: those of every
// message (all), or of each ID given. Each ID names one message, which may
// have several entries.
func failedGroups(ctx context.Context, d *worker.Daemon, all bool, ids []string) ([][]queue.FailedEntry, error) {
	var groups [][]queue.FailedEntry
	if all {
		list, err := d.FailedEntries(ctx)
		if err != nil {
			return nil, err
		}
		at := map[string]int{}
		for _, fe := range list {
			sha := worker.FailedSHA(fe)
			if i, ok := at[sha]; ok {
				groups[i] = append(groups[i], fe)
				continue
			}
			at[sha] = len(groups)
			groups = append(groups, []queue.FailedEntry{fe})
		}
	}
	for _, id := range ids {
		g, err := d.ResolveFailed(ctx, id)
		if err != nil {
			return nil, err
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// failedList prints FAILED, one line an entry.
func failedList(ctx context.Context, e *env, d *worker.Daemon) error {
	list, err := d.FailedEntries(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(e.stdout, "no failed messages")
		return nil
	}
	for _, f := range list {
		class := ""
		if f.Class != "" {
			class = " (" + f.Class + ")"
		}
		fmt.Fprintf(e.stdout, "%s  %s  attempts %d%s  %s\n", short(worker.FailedSHA(f)), f.FailedAt.Format(time.RFC3339), f.Attempts, class, firstLine(f.Error))
	}
	return nil
}

// failedReplay replays the latest entry of each group and drops the older
// ones, which would only replay it again; with no daemon running, it then
// processes what it replayed.
func failedReplay(ctx context.Context, e *env, d *worker.Daemon, groups [][]queue.FailedEntry, all bool) error {
	skipped := 0
	for _, g := range groups {
		latest := g[len(g)-1]
		if latest.Envelope.SHA256 == "" {
			// Nothing stored to replay (a message too large to fetch, an
			// envelope that could not be read).
			if all {
				skipped++
				continue
			}
			return fmt.Errorf("%s cannot be replayed: no message was stored for it (see foiwatch failed show %[1]s); drop it with foiwatch failed drop %[1]s", short(worker.FailedSHA(latest)))
		}
		if err := d.ReplayFailed(ctx, latest.ID); err != nil {
			return fmt.Errorf("replay %s: %w", short(worker.FailedSHA(latest)), err)
		}
		for _, f := range g[:len(g)-1] {
			if err := d.DropFailed(ctx, f.ID); err != nil {
				return err
			}
		}
		fmt.Fprintf(e.stdout, "replayed %s\n", short(worker.FailedSHA(latest)))
	}
	if skipped > 0 {
		fmt.Fprintf(e.stdout, "skipped %d that cannot be replayed: no message was stored for them (see foiwatch failed show ID)\n", skipped)
	}
	if !d.RunsStore() {
		fmt.Fprintln(e.stdout, "the running daemon's workers process them")
		return nil
	}
	// No daemon is running (this process runs the store): process what
	// was replayed now, without fetching mail.
	res, err := d.ProcessQueued(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "processed %d, failed %d\n", res.Processed, res.Failed)
	return nil
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func cmdReprocess(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "reprocess")
	var c common
	c.register(fs, "text", "warn")
	campaign := fs.String("campaign", "", "only the replies of this campaign (and the unmatched ones)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	d, err := c.open(ctx, e, false)
	if err != nil {
		return err
	}
	defer d.Close()
	n, err := d.Reprocess(ctx, *campaign)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "queued %d messages to be parsed again (parser version %d)\n", n, parser.Version)
	if d.RunsStore() {
		res, err := d.ProcessQueued(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "processed %d, unmatched %d, failed %d\n", res.Processed, res.Unmatched, res.Failed)
	} else {
		fmt.Fprintln(e.stdout, "the running daemon's workers process them")
	}
	return nil
}

func cmdEvent(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "event")
	var c common
	c.register(fs, "text", "warn")
	atFlag := fs.String("at", "", "when it happened: "+whenHelp+" (default: now)")
	note := fs.String("note", "", "a note kept with the event")
	undo := fs.Bool("undo", false, "remove the event named (by its ID, or the latest of a kind) instead of recording one")
	force := fs.Bool("force", false, "record it even if it repeats an event of the same kind, moves the due date back or lies in the future")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("want a request and an event (or, with --undo, an event's ID)")
	}
	at, given, err := operatorTime("at", *atFlag)
	if err != nil {
		return err
	}
	if _, ok := worker.EventKinds[pos[1]]; !ok && !*undo {
		return usagef("unknown event %q", pos[1])
	}
	d, err := c.open(ctx, e, false)
	if err != nil {
		return err
	}
	defer d.Close()
	if *undo {
		s, gone, err := d.RemoveEvent(ctx, pos[0], pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s/%s: removed %s of %s (event %s); state %s, due %s\n", s.Campaign, s.Request, gone.Kind, deadline.DateOf(gone.At), gone.ID(), s.State, s.Due)
		return nil
	}
	when := nowOr(at, given, d.Now)
	s, err := d.RecordEvent(ctx, pos[0], pos[1], when, *note, *force)
	if err != nil {
		return err
	}
	id := worker.Event{Kind: pos[1], At: when.UTC()}.ID()
	fmt.Fprintf(e.stdout, "%s/%s: %s (event %s); state %s, due %s\n", s.Campaign, s.Request, worker.EventKinds[pos[1]], id, s.State, s.Due)
	return nil
}

func cmdRemind(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "remind")
	var c common
	c.register(fs, "text", "warn")
	dry := fs.Bool("dry-run", false, "print the reminders instead of sending them")
	show := fs.Bool("show", false, "with --dry-run: print every letter in full, as it would be sent")
	nowFlag := fs.String("now", "", "the time to act as if it were: "+whenHelp+" (default: now)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *show && !*dry {
		return usagef("--show goes with --dry-run")
	}
	at, given, err := operatorTime("now", *nowFlag)
	if err != nil {
		return err
	}
	d, err := c.openWith(ctx, e, &worker.Options{UsesSMTP: !*dry})
	if err != nil {
		return err
	}
	defer d.Close()
	now := nowOr(at, given, d.Now)
	res, err := d.Remind(ctx, now, *dry)
	if errors.Is(err, worker.ErrNoSMTP) {
		return err
	}
	if *dry {
		fmt.Fprintf(e.stdout, "as of %s, %d request(s) at a reminder stage; the operator digest would list %d:\n", deadline.DateOf(now), len(res.Notices), len(res.Digest))
		worker.WriteNotices(e.stdout, res.Digest)
		if d.Cfg.Reminders.ChaseAuthorities {
			fmt.Fprintf(e.stdout, "chase-ups that would go to authorities: %d\n", len(res.Chased))
			for _, n := range res.Chased {
				fmt.Fprintf(e.stdout, "  %s <%s>: %s, due %s\n", n.Authority, n.Email, n.Stage, n.Due)
			}
		}
		if *show {
			for _, l := range res.Letters {
				fmt.Fprintln(e.stdout)
				worker.WriteLetter(e.stdout, l)
			}
		}
		return err
	}
	fmt.Fprintf(e.stdout, "digest listed %d request(s); %d chase-up(s) sent\n", len(res.Digest), len(res.Chased))
	return err
}

func cmdDeadline(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "deadline")
	received := fs.String("received", "", "the date of receipt, YYYY-MM-DD (day 0)")
	days := fs.Int("working-days", 20, "the statutory deadline in working days")
	calName := fs.String("calendar", "foia", "foia (any UK bank holiday) or foisa (Scotland's)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *received == "" {
		return usagef("--received is required")
	}
	day, err := deadline.ParseDate(*received)
	if err != nil {
		return usagef("--received %q: want YYYY-MM-DD", *received)
	}
	if *days < 1 {
		return usagef("--working-days must be at least 1")
	}
	cal, err := deadline.New(*calName)
	if err != nil {
		return usagef("--calendar %q: want foia (FOIA and EIR, the default) or foisa (Scotland)", *calName)
	}
	due := cal.Due(day, *days)
	fmt.Fprintf(e.stdout, "%s\n", due)
	var notes []string
	for y := day.Year; y <= due.Year; y++ {
		if !cal.Known(y) {
			notes = append(notes, strconv.Itoa(y))
		}
	}
	if len(notes) > 0 {
		sort.Strings(notes)
		fmt.Fprintf(e.stderr, "note: one-off bank holidays of %s are not known yet; the date follows the regular rules\n", strings.Join(notes, ", "))
	}
	return nil
}
