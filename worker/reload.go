package worker

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/foiwatch/foiwatch/queue"
)

// Reloading campaigns (SIGHUP) and following `foiwatch send`.
//
// Implementation notes:
//
//   - A *Campaigns is never changed once built. The daemon swaps in a new
//     one (setCampaigns) under reloadState.mu held for writing; the parse
//     workers (per message), the scheduler (per run) and the HTTP handlers
//     (per request) hold it for reading, so each sees one whole set from
//     start to end. A swap therefore waits for the messages in work.
//   - The set in use is the files' set with the send records laid over it
//     (overlaySends). The daemon watches the sends bucket: a request that
//     `foiwatch send` claims has its Message-ID in use for matching within
//     moments, before the message has even reached the server, so that an
//     authority's automatic acknowledgement is matched by thread.
//   - A reload that fails (a bad campaign file, a bad config) changes
//     nothing: the error is logged and shown by /readyz, and the set loaded
//     before stays in use.

type reloadState struct {
	mu     sync.RWMutex
	files  *Campaigns            // as read from the campaign files
	sends  map[string]sendRecord // by "campaign.request"
	status CampaignsStatus
}

// CampaignsStatus is what /readyz says of the campaigns loaded.
type CampaignsStatus struct {
	LoadedAt  time.Time `json:"loaded_at"`
	Campaigns []string  `json:"campaigns"`
	Files     []string  `json:"files"`
	Requests  int       `json:"requests"`
	NotSent   int       `json:"not_sent"`
	// Error is why the last reload was refused (the campaigns loaded
	// before are still in use), "" when it was not.
	Error   string    `json:"error,omitempty"`
	ErrorAt time.Time `json:"error_at,omitzero"`
}

// initCampaigns reads the send records and puts the overlaid set in use.
func (d *Daemon) initCampaigns(ctx context.Context, files *Campaigns) error {
	recs, err := readSends(ctx, d.Q)
	if err != nil {
		return err
	}
	d.reload.files, d.reload.sends = files, recs
	d.setCampaigns(overlaySends(files, recs))
	d.reload.status = d.campaignsStatus()
	return nil
}

// setCampaigns puts cs in use everywhere. The caller holds reload.mu for
// writing, or nothing else runs yet.
func (d *Daemon) setCampaigns(cs *Campaigns) {
	d.Campaigns = cs
	d.Store.campaigns = cs
	d.Proc.Campaigns = cs
}

func (d *Daemon) campaignsStatus() CampaignsStatus {
	st := CampaignsStatus{LoadedAt: d.Now().UTC(), Campaigns: []string{}, Files: []string{}}
	for _, c := range d.Campaigns.List {
		st.Campaigns = append(st.Campaigns, c.ID)
		st.Files = append(st.Files, c.File)
		for _, r := range c.Requests {
			st.Requests++
			if !r.Sent() {
				st.NotSent++
			}
		}
	}
	return st
}

// Reload reads the config's campaign globs and files again (the config
// file too, for its campaigns list) and puts the new set in use; on any
// error it keeps the set in use and returns the error, which is the same
// message a start with those files would give.
func (d *Daemon) Reload(ctx context.Context) error {
	globs := d.Cfg.Campaigns
	if d.Cfg.path != "" {
		cfg, err := LoadConfig(d.Cfg.path)
		if err != nil {
			return d.reloadFailed(err)
		}
		globs = cfg.Campaigns
	}
	cs, err := LoadCampaigns(globs)
	if err != nil {
		return d.reloadFailed(err)
	}
	for _, g := range cs.EmptyGlobs {
		d.Log.Warn("campaigns: " + g + " matches no file")
	}
	d.reload.mu.Lock()
	d.reload.files = cs
	d.setCampaigns(overlaySends(cs, d.reload.sends))
	d.reload.status = d.campaignsStatus()
	st := d.reload.status
	d.reload.mu.Unlock()
	d.Log.Info("campaigns loaded", "campaigns", st.Campaigns, "files", len(st.Files), "requests", st.Requests, "not_sent", st.NotSent)
	return nil
}

func (d *Daemon) reloadFailed(err error) error {
	d.reload.mu.Lock()
	d.reload.status.Error = err.Error()
	d.reload.status.ErrorAt = d.Now().UTC()
	ids := d.reload.status.Campaigns
	d.reload.mu.Unlock()
	d.Log.Error("campaigns not reloaded; the campaigns loaded before stay in use", "err", err, "campaigns", ids)
	return err
}

// CampaignsLoaded says what campaigns are in use and whether the last
// reload was refused.
func (d *Daemon) CampaignsLoaded() CampaignsStatus {
	d.reload.mu.RLock()
	defer d.reload.mu.RUnlock()
	return d.reload.status
}

// watchSends follows the sends bucket until ctx ends, laying each change
// over the campaigns in use. A watch that breaks is started again after 5 s.
func (d *Daemon) watchSends(ctx context.Context) {
	for ctx.Err() == nil {
		err := d.Q.Sends.Watch(ctx, func(key string, val []byte, deleted bool) {
			var rec sendRecord
			if !deleted {
				if err := json.Unmarshal(val, &rec); err != nil {
					d.Log.Error("send record is not valid JSON; ignored", "key", key, "err", err)
					return
				}
			}
			d.reload.mu.Lock()
			defer d.reload.mu.Unlock()
			old, had := d.reload.sends[key]
			if deleted {
				delete(d.reload.sends, key)
			} else {
				d.reload.sends[key] = rec
			}
			if had && !deleted && old.mayBeOut() == rec.mayBeOut() && old.MessageID == rec.MessageID && old.sendState() == rec.sendState() {
				return // nothing the campaigns show changed
			}
			d.setCampaigns(overlaySends(d.reload.files, d.reload.sends))
			loadErr, errAt := d.reload.status.Error, d.reload.status.ErrorAt
			d.reload.status = d.campaignsStatus()
			d.reload.status.Error, d.reload.status.ErrorAt = loadErr, errAt
		})
		if ctx.Err() != nil {
			return
		}
		d.Log.Warn("watching the send records failed; trying again in 5s", "bucket", queue.BucketSends, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
		}
	}
}

// handleLocked is Proc.Handle with the campaigns held for reading.
func (d *Daemon) handleLocked(ctx context.Context, dl *queue.Delivery) error {
	d.reload.mu.RLock()
	defer d.reload.mu.RUnlock()
	return d.Proc.Handle(ctx, dl)
}

// lockedHandler serves h with the campaigns held for reading.
func (d *Daemon) lockedHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.reload.mu.RLock()
		defer d.reload.mu.RUnlock()
		h.ServeHTTP(w, r)
	})
}

// signInStatus is, per OAuth2 sign-in, "ok" or what is wrong.
func (d *Daemon) signInStatus() map[string]string {
	if len(d.signIns) == 0 {
		return nil
	}
	out := map[string]string{}
	names := make([]string, 0, len(d.signIns))
	for n := range d.signIns {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if s := d.signIns[n].Status(); s != "" {
			out[n] = s
		} else {
			out[n] = "ok"
		}
	}
	return out
}
