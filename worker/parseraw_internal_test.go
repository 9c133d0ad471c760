package worker

import (
	"context"
	"testing"
)

// The parse gate lets large messages in by their bytes: two that fit
// together, one over the budget alone, in the order they came; a wait given
// up leaves nothing held.
func TestBytesGateAdmitsByBytesInOrder(t *testing.T) {
	ctx := context.Background()
	g := newBytesGate(100)
	if err := g.acquire(ctx, 40); err != nil {
		t.Fatal(err)
	}
	if err := g.acquire(ctx, 60); err != nil {
		t.Fatal(err) // 40 + 60 fit
	}
	big := make(chan struct{})
	go func() {
		g.acquire(ctx, 500) // more than the budget: all of it, alone
		close(big)
	}()
	for {
		g.mu.Lock()
		n := len(g.waiters)
		g.mu.Unlock()
		if n == 1 {
			break
		}
	}
	// A small one behind the big one waits its turn.
	cctx, cancel := context.WithCancel(ctx)
	small := make(chan error)
	go func() { small <- g.acquire(cctx, 1) }()
	for {
		g.mu.Lock()
		n := len(g.waiters)
		g.mu.Unlock()
		if n == 2 {
			break
		}
	}
	g.release(40)
	select {
	case <-big:
		t.Fatal("the large message was let in while 60 bytes were held")
	default:
	}
	g.release(60)
	<-big
	cancel()
	if err := <-small; err == nil {
		t.Fatal("the small one was let in beside the one over the budget")
	}
	g.release(500)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.used != 0 || len(g.waiters) != 0 {
		t.Errorf("after all released: used %d, %d waiting", g.used, len(g.waiters))
	}
}
