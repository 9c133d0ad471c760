package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/foiwatch/foiwatch/parser"
	"github.com/foiwatch/foiwatch/queue"
)

// Memory bounded by design: a large message is read from the object store
// as a stream (parser.ReadFrom), never whole, and is let into the parser
// only while the sizes of the large messages being parsed add up to at
// most parseBudget. A message decodes to at most about its own size (an
// attachment is kept up to extract's MaxInput, text up to the text
// budget), so that is what the parse of messages this large holds at once,
// however many workers there are: one 68 MiB message at a time, or a 25 MB
// PDF beside a 5 MB one. Small messages (those in the rawsmall bucket,
// under 1 MiB) do not wait: with the workers they are bounded already, and
// the many of them must not queue behind one large one.
const parseBudget = 32 << 20

// largeParses is the process's: the memory it protects is.
var largeParses = newBytesGate(parseBudget)

// readStored parses raw, waiting for room in largeParses first when it is large.
// An error reading the object store, or a wait given up, is a
// *parser.SourceError: not the message's fault, to try again (notRead).
func (p *Processor) readStored(ctx context.Context, raw *queue.StoredRaw) (*parser.Message, error) {
	if b := raw.Bytes(); b != nil {
		return parser.Read(ctx, b, p.Limits)
	}
	if err := largeParses.acquire(ctx, raw.Size); err != nil {
		return nil, &parser.SourceError{Err: fmt.Errorf("waiting to parse message %s (%d bytes): %w", short(raw.SHA256), raw.Size, err)}
	}
	defer largeParses.release(raw.Size)
	return parser.ReadFrom(ctx, raw.Size, p.Limits, func() (io.ReadCloser, error) { return raw.Open() })
}

// bytesGate is a semaphore counted in bytes: acquire(n) waits until n more
// bytes fit under its size. One asking for more than the size gets all of
// it (and so runs alone). Waiters are let in first come, first served, so
// that a large message is not passed over for ever by smaller ones.
type bytesGate struct {
	mu      sync.Mutex
	size    int64
	used    int64
	waiters []*gateWaiter
}

type gateWaiter struct {
	n     int64
	ready chan struct{}
}

func newBytesGate(size int64) *bytesGate { return &bytesGate{size: size} }

func (g *bytesGate) acquire(ctx context.Context, n int64) error {
	n = min(max(n, 1), g.size)
	g.mu.Lock()
	if len(g.waiters) == 0 && g.used+n <= g.size {
		g.used += n
		g.mu.Unlock()
		return nil
	}
	w := &gateWaiter{n: n, ready: make(chan struct{})}
	g.waiters = append(g.waiters, w)
	g.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		defer g.mu.Unlock()
		select {
		case <-w.ready:
			// Let in just as the wait was given up: give the room back.
			g.used -= n
		default:
			for i, o := range g.waiters {
				if o == w {
					g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
					break
				}
			}
		}
		g.wake()
		return ctx.Err()
	}
}

func (g *bytesGate) release(n int64) {
	n = min(max(n, 1), g.size)
	g.mu.Lock()
	g.used -= n
	g.wake()
	g.mu.Unlock()
}

// wake lets in the waiters at the head of the queue that fit; g.mu is held.
func (g *bytesGate) wake() {
	for len(g.waiters) > 0 {
		w := g.waiters[0]
		if g.used+w.n > g.size {
			return
		}
		g.used += w.n
		close(w.ready)
		g.waiters = g.waiters[1:]
	}
}

// notRead reports whether err, from readStored, says the message could not be
// read rather than that it is not an email: the delivery is tried again.
func notRead(err error) bool {
	var se *parser.SourceError
	return errors.As(err, &se)
}
