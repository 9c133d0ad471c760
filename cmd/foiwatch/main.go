// Command foiwatch reads the replies public authorities send to Freedom of
// Information requests and keeps track of them: see README.md and
// `foiwatch help`.
//
// This file only parses arguments and calls packages worker, parser and
// queue; every subcommand is a function of its arguments and writers, so
// tests run it in-process (main_test.go).
//
// The subcommands use the standard library's flag package: a dozen commands
// with a few flags each do not need a CLI framework, and flag's
// `--name value` form is what the README's command table writes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // Europe/London on machines without zoneinfo

	"github.com/foiwatch/foiwatch/queue"
)

func main() {
	setMemoryLimit() // memlimit.go: a soft limit unless GOMEMLIMIT says otherwise
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a mistake in the command line: exit status 2. fs, when
// set, is the command's flags, for the hint that follows the message.
type usageError struct {
	msg string
	fs  *flag.FlagSet
}

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{msg: fmt.Sprintf(format, a...)} }

// helpAsked is -h or --help on a command: its usage and flags go to
// standard output and it exits 0.
type helpAsked struct{ fs *flag.FlagSet }

func (helpAsked) Error() string { return "help requested" }

type command struct {
	name, args, help string
	run              func(ctx context.Context, e *env, args []string) error
}

// env is what a subcommand writes to.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

var commands []command

func init() {
	commands = []command{
		{"run", "--config F", "run the daemon: mailbox pollers, parse workers, HTTP; stops on SIGINT/SIGTERM", cmdRun},
		{"sync", "--config F", "fetch every new message of every mailbox, process all that is queued, exit", cmdSync},
		{"demo", "", "the whole pipeline on embedded parts with sample replies; prints the results", cmdDemo},
		{"parse", "[--campaign F]... FILE.eml...", "parse files and print one Reply per line (JSON); no state, no network", cmdParse},
		{"status", "--config F [--campaign ID] [--now DATE]", "a table of every request: due date, state, days late, reference", cmdStatus},
		{"export", "--config F --format csv|jsonl|xlsx [--campaign ID] [--replies] [-o FILE] [--now DATE]", "export results, one row per request (or every stored reply)", cmdExport},
		{"unmatched", "--config F list|show ID|assign ID [CAMPAIGN/]REQUEST|dismiss ID", "replies that matched no request", cmdUnmatched},
		{"failed", "--config F list|show ID|replay ID...|replay --all|drop ID", "messages whose processing failed (ID: the sha256 prefix the list shows)", cmdFailed},
		{"reprocess", "--config F [--campaign ID]", "parse every stored message again and update the results", cmdReprocess},
		{"event", "--config F [CAMPAIGN/]REQUEST clarification_sent|review_requested|withdrawn|resent [--at DATE] [--note TEXT] [--force] | REQUEST ID|KIND --undo", "record what happened outside the mailbox, or remove an event recorded by mistake", cmdEvent},
		{"review", "--config F [--campaign ID] [--format text|jsonl]", "the answers a person should check, by request, with the words each was read from", cmdReview},
		{"answer", "--config F [CAMPAIGN/]REQUEST KEY set VALUE|accept|clear [--note TEXT]", "correct an answer by hand, accept it as read, or drop the correction", cmdAnswer},
		{"show", "--config F ID|[CAMPAIGN/]REQUEST [--brief]", "a reply (by the start of its ID): headers, how it was matched and why, its text as read, its attachments; or a request's timeline", cmdShow},
		{"raw", "--config F ID [--attachment N] [-o FILE]", "a stored message exactly as received (an .eml), or one of its attachments", cmdRaw},
		{"move", "--config F ID [CAMPAIGN/]REQUEST|none [--note TEXT]", "put a stored reply on another request, or back among the unmatched; reprocessing keeps it there", cmdMove},
		{"add", "--config F --request [CAMPAIGN/]REQUEST [--received DATE] [--note TEXT] [--force] FILE...", "a reply that came another way (a posted letter scanned or photographed, a saved .eml): stored like mail, parsed, filed under the request", cmdAdd},
		{"remind", "--config F [--dry-run [--show]] [--now TIME]", "send the reminders that are due now; --dry-run prints them instead (--show: every letter in full)", cmdRemind},
		{"check", "--config F [--repair] [--quick]", "verify every stream and bucket against the raw messages; --repair rebuilds what is derived from them", cmdCheck},
		{"deadline", "--received DATE [--working-days N] [--calendar foia|foisa]", "print the due date of a request received on DATE", cmdDeadline},
		{"campaign", "import --authorities FILE.csv --questions FILE.toml -o CAMPAIGN.toml [--reply-to PATTERN] [--force]", "make a campaign's [[requests]] from a CSV of authorities", cmdCampaign},
		{"send", "--config F --campaign ID [--dry-run [--show]] [--only REQUEST]... [--rate N/DURATION] [--resend]", "send the campaign's request to each authority not yet sent", cmdSend},
		{"login", "--config F MAILBOX", "OAuth2 sign-in of a mailbox with auth = \"oauth2\" (device code: prints a URL and a code)", cmdLogin},
		{"version", "", "print the version, the commit it was built from and the parser version", cmdVersion},
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "-help":
		printUsage(stdout)
		return 0
	case "help":
		switch len(args) {
		case 1:
			printUsage(stdout)
			return 0
		case 2:
			if c := findCommand(args[1]); c != nil {
				return runCommand(ctx, e, c, []string{"-h"})
			}
			fmt.Fprintf(stderr, "foiwatch help: unknown command %q\n\n", args[1])
			printUsage(stderr)
			return 2
		}
		fmt.Fprintln(stderr, "foiwatch help: want one command: foiwatch help COMMAND")
		return 2
	}
	if c := findCommand(args[0]); c != nil {
		return runCommand(ctx, e, c, args[1:])
	}
	fmt.Fprintf(stderr, "foiwatch: unknown command %q\n\n", args[0])
	printUsage(stderr)
	return 2
}

func findCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// runCommand runs c and turns its error into a message and an exit status:
// 0 success (and -h), 1 a failure the message explains, 2 a usage error
// (the message, the command's usage and where its flags are explained, on
// standard error, once).
func runCommand(ctx context.Context, e *env, c *command, args []string) int {
	err := c.run(ctx, e, args)
	var ue usageError
	var help helpAsked
	switch {
	case err == nil:
		return 0
	case errors.As(err, &help):
		printCommandHelp(e.stdout, c, help.fs)
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "foiwatch %s: %s\nusage: foiwatch %s %s\n", c.name, strings.TrimPrefix(ue.msg, c.name+": "), c.name, c.args)
		if ue.fs != nil {
			fmt.Fprintf(e.stderr, "Run 'foiwatch help %s' for its flags.\n", c.name)
		}
		return 2
	default:
		// Errors of a package named like the command ("deadline: ...")
		// would otherwise say its name twice.
		fmt.Fprintf(e.stderr, "foiwatch %s: %s\n", c.name, strings.TrimPrefix(err.Error(), c.name+": "))
		var owner *queue.StoreOwnerError
		if errors.As(err, &owner) {
			fmt.Fprintln(e.stderr, storeOwnerHint(owner, c.name, args))
		}
		return 1
	}
}

// printCommandHelp prints a command's usage, what it does and its flags.
func printCommandHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: foiwatch %s %s\n\n%s\n", c.name, c.args, c.help)
	if fs == nil {
		return
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintln(w, "\nflags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "foiwatch tracks the replies to Freedom of Information requests.")
	fmt.Fprintln(w, "\nusage: foiwatch COMMAND [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n             %s\n", c.name, c.args, c.help)
	}
	fmt.Fprintln(w, "\n'foiwatch help COMMAND' (or 'foiwatch COMMAND -h') prints a command's flags.")
	fmt.Fprintln(w, "Commands that read the config accept FOIWATCH_CONFIG in place of --config.")
}

// flags makes a FlagSet whose errors come back as usage errors, printed
// once by runCommand (flag's own printing is off).
func flags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args, turning flag's errors into usage errors and -h
// into helpAsked. Flags may come before or after positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, helpAsked{fs}
			}
			return nil, usageError{msg: err.Error(), fs: fs}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseNoArgs parses the flags of a command that takes no positional
// argument.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	return nil
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// logger makes the logger of a command: JSON for the daemon, text for
// operator commands, on stderr.
func logger(e *env, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", level)
	}
	o := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, o)), nil
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, o)), nil
	}
	return nil, usagef("--log-format %q: want json or text", format)
}
