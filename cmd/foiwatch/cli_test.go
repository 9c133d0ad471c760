package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/foiwatch/foiwatch/parser"
)

// Usage goes to standard error on a mistake and to standard output when
// asked for; each command has its own help with its flags; a mistake is
// said once.
func TestUsageAndHelpGoWhereAPersonLooks(t *testing.T) {
	t.Setenv("FOIWATCH_CONFIG", "")
	code, out, errOut := foiwatch(t)
	if code != 2 || out != "" || !strings.Contains(errOut, "usage: foiwatch COMMAND") {
		t.Errorf("foiwatch with no command: exit %d, stdout %q, stderr %q; want 2 and the usage on stderr", code, out, errOut)
	}
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		code, out, errOut := foiwatch(t, args...)
		if code != 0 || !strings.Contains(out, "commands:") || errOut != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want the usage on stdout", args, code, out, errOut)
		}
	}
	for _, c := range commands {
		code, help, errOut := foiwatch(t, "help", c.name)
		if code != 0 || errOut != "" || !strings.HasPrefix(help, "usage: foiwatch "+c.name) || strings.Contains(help, "commands:") {
			t.Errorf("help %s: exit %d, stdout %q, stderr %q; want the command's own usage", c.name, code, help, errOut)
		}
		code, dashH, _ := foiwatch(t, c.name, "-h")
		if code != 0 || dashH != help {
			t.Errorf("%s -h: exit %d\n%s\nwant what help %s prints:\n%s", c.name, code, dashH, c.name, help)
		}
		if !strings.Contains(help, c.help) {
			t.Errorf("help %s does not say what it does", c.name)
		}
	}
	if _, help, _ := foiwatch(t, "help", "export"); !strings.Contains(help, "-format string") || !strings.Contains(help, "csv, jsonl or xlsx") {
		t.Errorf("help export lacks its flags:\n%s", help)
	}

	code, out, errOut = foiwatch(t, "run", "--frobnicate")
	if code != 2 || out != "" || strings.Count(errOut, "frobnicate") != 1 || !strings.Contains(errOut, "usage: foiwatch run") || !strings.Contains(errOut, "foiwatch help run") {
		t.Errorf("unknown flag: exit %d, stdout %q, stderr %q; want 2, said once, with the usage and where the flags are", code, out, errOut)
	}
	code, _, errOut = foiwatch(t, "deadline", "--received", "2024-01-01", "--calendar", "gregorian")
	if code != 2 || strings.Contains(errOut, "deadline: deadline") || !strings.Contains(errOut, "foisa") {
		t.Errorf("bad calendar: exit %d %q", code, errOut)
	}
	code, _, errOut = foiwatch(t, "help", "nonsense")
	if code != 2 || !strings.Contains(errOut, `unknown command "nonsense"`) {
		t.Errorf("help nonsense: exit %d %q", code, errOut)
	}
}

// No message says a word twice ("deadline: deadline: ..."): a package's
// own prefix is dropped when it is the command's name.
func TestErrorsDoNotRepeatTheCommandsName(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "missing.toml")
	for _, c := range commands {
		_, _, errOut := foiwatch(t, c.name, "--config", cfg)
		if strings.Contains(errOut, c.name+": "+c.name+": ") {
			t.Errorf("%s: %q", c.name, errOut)
		}
	}
}

func TestVersionSaysVersionCommitAndParserVersion(t *testing.T) {
	code, out, errOut := foiwatch(t, "version")
	if code != 0 || errOut != "" {
		t.Fatalf("version: exit %d %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "foiwatch ") || !strings.HasPrefix(lines[1], "commit ") ||
		lines[2] != fmt.Sprintf("parser version %d", parser.Version) || !strings.HasPrefix(lines[3], "built with go") {
		t.Errorf("version printed %q", out)
	}
	// Built from a git checkout with VCS stamping, the commit is the
	// checkout's (debug.ReadBuildInfo's vcs.revision).
	if testing.Short() {
		return
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout (%v): the commit is not checked", err)
	}
	bin := filepath.Join(t.TempDir(), "foiwatch")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOFLAGS=")
	if b, err := build.CombinedOutput(); err != nil {
		t.Skipf("go build -buildvcs=true: %v\n%s", err, b)
	}
	got, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat("../../.git"); strings.Contains(string(got), "commit unknown") && (err != nil || !fi.IsDir()) {
		t.Skip("a git worktree (.git is a file): go build stamps no VCS information in one, so the commit is not checked here")
	}
	if want := "commit " + string(head[:12]); !strings.Contains(string(got), want) {
		t.Errorf("version of a binary built at %s printed %q, want %q", head[:12], got, want)
	}
}

// The README's command table lists every command, and every flag of each.
func TestREADMEListsEveryCommandAndFlag(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if m := regexp.MustCompile("^\\| `([a-z]+)[ `]").FindStringSubmatch(line); m != nil {
			rows[m[1]] += line
		}
	}
	common := map[string]bool{"config": true, "log-format": true, "log-level": true}
	flagRE := regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)
	for _, c := range commands {
		row, ok := rows[c.name]
		if !ok {
			t.Errorf("README's command table has no row for %s", c.name)
			continue
		}
		_, help, _ := foiwatch(t, "help", c.name)
		for _, m := range flagRE.FindAllStringSubmatch(help, -1) {
			name := m[1]
			if common[name] {
				continue
			}
			spelled := "--" + name
			if len(name) == 1 {
				spelled = "-" + name
			}
			if !strings.Contains(row, spelled) {
				t.Errorf("README's row for %s lacks its flag %s: %s", c.name, spelled, row)
			}
		}
	}
	if !strings.Contains(rows["export"], "xlsx") {
		t.Errorf("README's export row does not say xlsx: %s", rows["export"])
	}
}

// remind without [smtp] cannot send anything: an error, not "0 sent";
// --dry-run still lists what is due.
func TestRemindWithoutSMTPIsAnError(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "127.0.0.1:1143", "u", "p", "")
	code, out, errOut := foiwatch(t, "remind", "--config", cfg, "--now", "2024-06-21")
	if code != 1 || !strings.Contains(errOut, "no [smtp] section") || !strings.Contains(errOut, "--dry-run") || strings.Contains(out, "sent") {
		t.Errorf("remind without [smtp]: exit %d, stdout %q, stderr %q; want 1 saying there is no [smtp]", code, out, errOut)
	}
	code, out, errOut = foiwatch(t, "remind", "--config", cfg, "--now", "2024-06-21", "--dry-run")
	if code != 0 || !strings.Contains(out, "wessex") {
		t.Errorf("remind --dry-run without [smtp]: exit %d %q %q", code, out, errOut)
	}
}
