package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/foiwatch/foiwatch/worker"
)

// cmdCampaign is `foiwatch campaign import`: a campaign file from a CSV of
// authorities and a file of questions.
func cmdCampaign(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "campaign import")
	authorities := fs.String("authorities", "", "CSV of authorities with a header: name, email (required), domains, id, reply_to")
	questions := fs.String("questions", "", "a campaign file without [[requests]]: id, title, law, subject and the [[questions]]")
	out := fs.String("o", "", "the campaign file to write (- for standard output)")
	replyTo := fs.String("reply-to", "", "make each request's reply_to from this pattern where the CSV has none, {id} standing for the request id (e.g. foi+{id}@example.org)")
	force := fs.Bool("force", false, "overwrite the -o file if it exists")
	if len(args) == 0 || args[0] != "import" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			return helpAsked{fs} // foiwatch help campaign: import's flags
		}
		return usagef("want: campaign import --authorities FILE.csv --questions FILE.toml -o CAMPAIGN.toml")
	}
	if err := parseNoArgs(fs, args[1:]); err != nil {
		return err
	}
	if *authorities == "" || *questions == "" || *out == "" {
		return usagef("--authorities, --questions and -o are required")
	}
	qtext, err := os.ReadFile(*questions)
	if err != nil {
		return err
	}
	f, err := os.Open(*authorities)
	if err != nil {
		return err
	}
	defer f.Close()
	reqs, err := worker.ImportAuthorities(f, worker.ImportOptions{ReplyTo: *replyTo})
	if err != nil {
		return fmt.Errorf("%s: %w", *authorities, err)
	}
	note := fmt.Sprintf("[[requests]] made by foiwatch campaign import from %s on %s.\nNone has sent_at: foiwatch send sends them and keeps sent_at and message_id in its state.",
		filepath.Base(*authorities), time.Now().Format("2006-01-02"))
	text, err := worker.CampaignWithRequests(*questions, qtext, reqs, note)
	if err != nil {
		return err
	}
	if *out == "-" {
		_, err := e.stdout.Write(text)
		return err
	}
	if !*force {
		if _, err := os.Stat(*out); err == nil {
			return fmt.Errorf("%s exists: pass --force to replace it", *out)
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	tmp := *out + ".tmp"
	if err := os.WriteFile(tmp, text, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, *out); err != nil {
		os.Remove(tmp)
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d requests\n", *out, len(reqs))
	return nil
}
