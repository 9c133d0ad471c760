package mailbox_test

import (
	"bytes"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// tcpProxy forwards loopback TCP connections to a server. It counts the
// connections, records what clients sent, and can freeze: while frozen it
// accepts connections and keeps them open but passes no byte either way, as
// a server that hangs or a network that silently drops packets would. It
// can also throttle (see throttleAfter) and be pointed at another server
// (retarget).
type tcpProxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	cond     *sync.Cond
	frozen   bool
	conns    map[net.Conn]bool
	accepted int
	sent     bytes.Buffer // client → server, every connection

	trigger   string // see throttleAfter
	rate      int
	once      bool
	throttled int // connections throttled so far
}

// throttleAfter makes the proxy pass the server's bytes at only rate bytes
// a second on a connection once its client has sent trigger (the rest of
// the connection goes at full speed until then); with once, only the first
// connection that sends it is throttled.
func (p *tcpProxy) throttleAfter(trigger string, rate int, once bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.trigger, p.rate, p.once = trigger, rate, once
}

// throttledConns is how many connections were throttled.
func (p *tcpProxy) throttledConns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.throttled
}

// retarget sends the connections opened from now on to another server.
func (p *tcpProxy) retarget(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = addr
}

// link is one proxied connection's throttle: 0 until the trigger is seen.
type link struct {
	mu   sync.Mutex
	rate int
	seen string // the end of what the client sent, for a trigger split across reads
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.cond = sync.NewCond(&p.mu)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *tcpProxy) Addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		target := p.target
		p.mu.Unlock()
		s, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.accepted++
		p.conns[c], p.conns[s] = true, true
		p.mu.Unlock()
		l := &link{}
		go p.pipe(s, c, true, l)
		go p.pipe(c, s, false, l)
	}
}

// pipe copies src to dst, holding the data while the proxy is frozen, and
// pacing what the server sends once the link is throttled.
func (p *tcpProxy) pipe(dst, src net.Conn, fromClient bool, l *link) {
	defer func() {
		dst.Close()
		src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			for p.frozen {
				p.cond.Wait()
			}
			if fromClient {
				p.sent.Write(buf[:n])
				p.checkTrigger(l, buf[:n])
			}
			p.mu.Unlock()
			l.mu.Lock()
			rate := l.rate
			l.mu.Unlock()
			if !fromClient && rate > 0 {
				if !paced(dst, buf[:n], rate) {
					return
				}
				continue
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			return
		}
	}
}

// checkTrigger throttles l when the client's bytes complete the trigger.
// p.mu is held.
func (p *tcpProxy) checkTrigger(l *link, b []byte) {
	if p.trigger == "" || (p.once && p.throttled > 0) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rate > 0 {
		return
	}
	l.seen += string(b)
	if strings.Contains(l.seen, p.trigger) {
		l.rate = p.rate
		p.throttled++
	}
	if len(l.seen) > len(p.trigger) {
		l.seen = l.seen[len(l.seen)-len(p.trigger):]
	}
}

// paced writes b at rate bytes a second, in slices of a tenth of a second,
// each sent on an absolute schedule so that pauses do not add up. It
// reports whether every write succeeded.
func paced(dst net.Conn, b []byte, rate int) bool {
	step := max(1, rate/10)
	start := time.Now()
	for sent := 0; sent < len(b); {
		k := min(step, len(b)-sent)
		if _, err := dst.Write(b[sent : sent+k]); err != nil {
			return false
		}
		sent += k
		time.Sleep(time.Until(start.Add(time.Duration(sent) * time.Second / time.Duration(rate))))
	}
	return true
}

// freeze stops forwarding; thaw resumes it.
func (p *tcpProxy) freeze() {
	p.mu.Lock()
	p.frozen = true
	p.mu.Unlock()
}

func (p *tcpProxy) thaw() {
	p.mu.Lock()
	p.frozen = false
	p.cond.Broadcast()
	p.mu.Unlock()
}

// open is the number of client connections currently open.
func (p *tcpProxy) open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns) / 2
}

func (p *tcpProxy) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// clientSent is everything clients sent so far.
func (p *tcpProxy) clientSent() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent.String()
}

func (p *tcpProxy) close() {
	p.ln.Close()
	p.thaw()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
}
