package httpx

import (
	"context"
	"net/http"
	gosync "sync"
	"time"

	"github.com/tide-sync/tide/internal/secret"
)

// Grant is a token an authorization endpoint issued.
type Grant struct {
	Value string
	// Type is the Authorization scheme; default "Bearer".
	Type string
	// Expires is when the token stops working; zero: never known to.
	Expires time.Time
}

// TokenOptions configure a Token.
type TokenOptions struct {
	// Fetch obtains a new token. It runs with no lock held, may retry
	// (through a Client), and runs once for all the callers waiting.
	Fetch func(ctx context.Context) (Grant, error)
	// Margin is how long before Expires a token is replaced.
	Margin time.Duration
	// Secrets receives every token the moment it is fetched.
	Secrets *secret.Set
	// Now defaults to time.Now.
	Now func() time.Time
}

// Token caches a token and refreshes it single-flight: however many
// requests find it missing, expired or rejected at once, one Fetch runs
// and the others wait for its result. It implements Auth (Authorization:
// "<type> <token>").
type Token struct {
	o TokenOptions

	mu     gosync.Mutex
	cur    Grant
	gen    uint64 // bumped with every fetched token
	stale  bool   // the current token was rejected
	flight *flight
}

type flight struct {
	done chan struct{}
	err  error
}

// NewToken builds a Token.
func NewToken(o TokenOptions) *Token {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Token{o: o}
}

// Get returns a valid token and its generation, fetching one when needed.
func (t *Token) Get(ctx context.Context) (Grant, uint64, error) {
	for {
		t.mu.Lock()
		if t.cur.Value != "" && !t.stale && (t.cur.Expires.IsZero() || t.o.Now().Before(t.cur.Expires.Add(-t.o.Margin))) {
			g, gen := t.cur, t.gen
			t.mu.Unlock()
			return g, gen, nil
		}
		if f := t.flight; f != nil {
			t.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return Grant{}, 0, context.Cause(ctx)
			}
			if f.err != nil {
				return Grant{}, 0, f.err
			}
			continue
		}
		f := &flight{done: make(chan struct{})}
		t.flight = f
		t.mu.Unlock()

		g, err := t.o.Fetch(ctx)
		if err == nil {
			t.o.Secrets.Add(g.Value)
		}
		t.mu.Lock()
		if err == nil {
			t.cur, t.stale = g, false
			t.gen++
		}
		f.err = err
		t.flight = nil
		gen := t.gen
		t.mu.Unlock()
		close(f.done)
		if err != nil {
			return Grant{}, 0, err
		}
		return g, gen, nil
	}
}

// Invalidate marks the token of generation gen as rejected; a newer
// token (another caller already refreshed) is kept.
func (t *Token) Invalidate(gen uint64) {
	t.mu.Lock()
	if gen == t.gen {
		t.stale = true
	}
	t.mu.Unlock()
}

// Apply implements Auth.
func (t *Token) Apply(ctx context.Context, req *http.Request) (uint64, error) {
	g, gen, err := t.Get(ctx)
	if err != nil {
		return 0, err
	}
	typ := g.Type
	if typ == "" {
		typ = "Bearer"
	}
	req.Header.Set("Authorization", typ+" "+g.Value)
	return gen, nil
}

// Rejected implements Auth: the token of gen is dropped and the request
// tried once more with a fresh one.
func (t *Token) Rejected(gen uint64) bool {
	t.Invalidate(gen)
	return true
}
