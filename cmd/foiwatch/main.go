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
// `--name value` form is what spec/operations.md writes.
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
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

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
		{"status", "--config F [--campaign ID]", "a table of every request: due date, state, days late, reference", cmdStatus},
		{"export", "--config F --format csv|jsonl|xlsx [--campaign ID] [--replies] [-o FILE]", "export results, one row per request (or every stored reply)", cmdExport},
		{"unmatched", "--config F list|show ID|assign ID [CAMPAIGN/]REQUEST|dismiss ID", "replies that matched no request", cmdUnmatched},
		{"failed", "--config F list|show ID|replay ID...|replay --all|drop ID", "messages whose processing failed", cmdFailed},
		{"reprocess", "--config F [--campaign ID]", "parse every stored message again and update the results", cmdReprocess},
		{"event", "--config F [CAMPAIGN/]REQUEST clarification_sent|review_requested|withdrawn|resent [--at DATE] [--note TEXT]", "record what happened outside the mailbox", cmdEvent},
		{"remind", "--config F [--dry-run] [--now TIME]", "send the reminders that are due now; --dry-run prints them instead", cmdRemind},
		{"check", "--config F [--repair] [--quick]", "verify every stream and bucket against the raw messages; --repair rebuilds what is derived from them", cmdCheck},
		{"deadline", "--received DATE [--working-days N] [--calendar foia|foisa]", "print the due date of a request received on DATE", cmdDeadline},
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(ctx, e, args[1:])
			var ue usageError
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.As(err, &ue):
				fmt.Fprintf(stderr, "foiwatch %s: %s\nusage: foiwatch %s %s\n", c.name, ue.msg, c.name, c.args)
				return 2
			default:
				fmt.Fprintf(stderr, "foiwatch %s: %v\n", c.name, err)
				return 1
			}
		}
	}
	fmt.Fprintf(stderr, "foiwatch: unknown command %q\n\n", args[0])
	printUsage(stderr)
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "foiwatch tracks the replies to Freedom of Information requests.")
	fmt.Fprintln(w, "\nusage: foiwatch COMMAND [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n             %s\n", c.name, c.args, c.help)
	}
	fmt.Fprintln(w, "\nCommands that read the config accept FOIWATCH_CONFIG in place of --config.")
}

// flags makes a FlagSet whose errors come back as usage errors.
func flags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags parses args, turning flag's errors into usage errors. Flags may
// come before or after positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
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
