package worker

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
)

// ParseStateless parses raw and matches it against the campaigns with no
// stored state (foiwatch parse): thread, address, the references written in
// the campaign files, sender, subject and domain.
func ParseStateless(ctx context.Context, cs *Campaigns, raw []byte, lim *parser.Limits) (*parser.Reply, error) {
	msg, err := parser.Read(ctx, raw, lim)
	if err != nil {
		return nil, err
	}
	t := (&Matcher{Campaigns: cs}).Match(msg, msg.Reference())
	r := replyFor(msg, t)
	r.SHA256 = queue.SHA256(raw)
	return r, nil
}

// Reprocess queues every stored message to be parsed again by the current
// parser (only those of one campaign, and the unmatched, when campaign is
// set). It returns how many were queued.
func (d *Daemon) Reprocess(ctx context.Context, campaign string) (int, error) {
	if campaign != "" && d.Campaigns.Get(campaign) == nil {
		return 0, fmt.Errorf("no campaign %q (known: %s)", campaign, d.campaignIDs())
	}
	n := 0
	err := d.Q.RawList(ctx, func(sha string) error {
		if campaign != "" {
			b, _, err := d.Q.Replies.Get(ctx, sha)
			if err == nil {
				var r struct {
					Campaign string `json:"campaign"`
				}
				if err := json.Unmarshal(b, &r); err != nil {
					// Parsing it again is what mends it, whatever its campaign.
					d.Log.Warn("stored reply cannot be read; parsing it again", "sha", sha, "err", err)
				} else if r.Campaign != "" && r.Campaign != campaign {
					return nil
				}
			}
		}
		n++
		return d.Q.Republish(ctx, queue.Envelope{SHA256: sha, Source: "reprocess", Reprocess: true}, "reprocess")
	})
	return n, err
}
