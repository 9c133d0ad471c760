package queue

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go/jetstream"
)

// pool is the workers Work and Drain hand envelopes to: Concurrency of
// them, each taking the next envelope as soon as it is done with one, and
// a count of the envelopes in hand so that the fetcher keeps at most
// twice Concurrency fetched and not yet handled.
type pool struct {
	inHand   atomic.Int64 // fetched, not yet handled
	handled  atomic.Int64
	finished chan struct{} // a worker finished one: room to fetch
	work     chan jetstream.Msg
	wg       sync.WaitGroup
	hold     int64
}

// startPool starts o.Concurrency workers handling envelopes with h; wait
// is handle's: a full store waits in place (Work) or puts the message back
// (Drain).
func (q *Queue) startPool(ctx context.Context, o *WorkOptions, h Handler, wait bool) *pool {
	p := &pool{finished: make(chan struct{}, 1), work: make(chan jetstream.Msg), hold: int64(2 * o.Concurrency)}
	for range o.Concurrency {
		p.wg.Go(func() {
			for m := range p.work {
				q.handle(ctx, o, m, h, wait)
				p.handled.Add(1)
				p.inHand.Add(-1)
				select {
				case p.finished <- struct{}{}:
				default:
				}
			}
		})
	}
	return p
}

// room is how many envelopes may be fetched now; when none, it waits
// until a worker finishes one (or ctx is done) and returns 0.
func (p *pool) room(ctx context.Context) int {
	n := p.hold - p.inHand.Load()
	if n > 0 {
		return int(n)
	}
	select {
	case <-p.finished:
	case <-ctx.Done():
	}
	return 0
}

// give hands m to the next free worker.
func (p *pool) give(m jetstream.Msg) {
	p.inHand.Add(1)
	p.work <- m
}

// stop lets the workers finish what they hold and returns how many
// envelopes they handled.
func (p *pool) stop() int {
	close(p.work)
	p.wg.Wait()
	return int(p.handled.Load())
}
