// Package httpx is the one HTTP client tide uses for Port and for every
// vendor API: retries with exponential backoff and jitter, Retry-After,
// each API's rate-limit headers through a small adapter (RateLimit), a
// per-attempt timeout and a bound on the time one request may spend on
// failures, single-flight token refresh (Token), a connection pool sized
// to the requests in flight, size-limited bodies decoded with jsonx, and
// errors that carry neither a secret nor a query string.
//
// The retry policy, its defaults and the flags that change them are
// described in docs/architecture.md.
package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tide-sync/tide/internal/budget"
	"github.com/tide-sync/tide/internal/jsonx"
	"github.com/tide-sync/tide/internal/secret"
)

// Defaults of Options.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxAttempts  = 6
	DefaultBaseDelay    = 500 * time.Millisecond
	DefaultMaxDelay     = 30 * time.Second
	DefaultMaxWait      = 5 * time.Minute
	DefaultMaxRateWaits = 10
	DefaultMaxBody      = 64 << 20
	DefaultInFlight     = 16
	// ElapsedPerTimeout makes the default bound on one request's failures
	// and backoffs ten per-attempt timeouts (5 minutes at the default 30s).
	ElapsedPerTimeout = 10
)

// Clock is time as the client sees it; tests substitute one that records
// the waits the client chose instead of sleeping.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends (then it returns ctx's cause).
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now implements Clock.
func (RealClock) Now() time.Time { return time.Now() }

// Sleep implements Clock.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Options configure a Client. Zero fields take the defaults above.
type Options struct {
	// API names the API in errors and logs ("port", "github").
	API string
	// HTTPClient sends the requests; nil builds one with NewTransport
	// sized to MaxInFlight. Its own Timeout, if any, also applies.
	HTTPClient *http.Client
	// MaxInFlight bounds the requests in flight at once (and sizes the
	// connection pool). Negative: no bound.
	MaxInFlight int
	// Timeout bounds one attempt, from sending to the last body byte.
	Timeout time.Duration
	// TimeoutFlag names the setting that changes Timeout, for errors.
	TimeoutFlag string
	// MaxElapsed bounds the time one request spends on failed attempts and
	// backoffs (waits a rate limit asks for do not count: MaxWait and
	// MaxRateWaits bound those). Default ElapsedPerTimeout × Timeout.
	MaxElapsed time.Duration
	// MaxAttempts bounds the attempts after transport errors, timeouts,
	// 408 and 5xx answers.
	MaxAttempts int
	// BaseDelay is the first backoff; each later one doubles, ±20% jitter.
	BaseDelay time.Duration
	// MaxDelay caps a backoff (and a Retry-After on a 408 or 5xx).
	MaxDelay time.Duration
	// MaxWait caps one wait a rate limit asks for.
	MaxWait time.Duration
	// MaxRateWaits bounds how often one request waits out a rate limit.
	MaxRateWaits int
	// MaxBody bounds a response body; a larger one is an error.
	MaxBody int64
	// MaxBodyFlag names the setting that changes MaxBody, for errors;
	// "" names none.
	MaxBodyFlag string
	// RateLimit reads the API's rate-limit answers; default Standard.
	RateLimit RateLimit
	// UserAgent is sent unless the request sets its own.
	UserAgent string
	// Clock defaults to RealClock.
	Clock Clock
	// Rand returns a number in [0,1) for the jitter; tests fix it.
	Rand func() float64
	// Secrets are redacted from every error message.
	Secrets *secret.Set
	Logger  *slog.Logger
}

// Client sends requests with retries. Safe for concurrent use.
type Client struct {
	o   Options
	hc  *http.Client
	sem chan struct{}

	requests    atomic.Int64
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
	// pauseUntil (Unix nanoseconds) holds every request back while an
	// API's Pacer has asked for a pause.
	pauseUntil atomic.Int64
}

// NewTransport returns a transport keeping one idle connection per
// request in flight: the default keeps two per host, and every other
// concurrent request would open a new connection (and TLS handshake).
func NewTransport(inFlight int) *http.Transport {
	if inFlight <= 0 {
		inFlight = DefaultInFlight
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = inFlight
	tr.MaxIdleConns = max(tr.MaxIdleConns, 2*inFlight)
	return tr
}

// New builds a Client.
func New(o Options) *Client {
	if o.API == "" {
		o.API = "http"
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = DefaultInFlight
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.TimeoutFlag == "" {
		o.TimeoutFlag = "--http-timeout"
	}
	if o.MaxElapsed <= 0 {
		o.MaxElapsed = ElapsedPerTimeout * o.Timeout
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = DefaultBaseDelay
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = DefaultMaxDelay
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.MaxRateWaits <= 0 {
		o.MaxRateWaits = DefaultMaxRateWaits
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.RateLimit == nil {
		o.RateLimit = Standard
	}
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{o: o, hc: o.HTTPClient}
	if c.hc == nil {
		c.hc = &http.Client{Transport: NewTransport(o.MaxInFlight)}
	}
	if o.MaxInFlight > 0 {
		c.sem = make(chan struct{}, o.MaxInFlight)
	}
	return c
}

// Options returns the options in effect, defaults filled in.
func (c *Client) Options() Options { return c.o }

// Stats are counters for logs and benchmarks.
type Stats struct {
	Requests    int64 // attempts sent
	MaxInFlight int64 // the most attempts ever in flight at once
}

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	return Stats{Requests: c.requests.Load(), MaxInFlight: c.maxInFlight.Load()}
}

// Auth puts credentials on a request. The client calls Apply before each
// attempt and, when the answer is a 401, Rejected with the generation
// Apply returned: true means fresher credentials may exist and the request
// is tried once more.
type Auth interface {
	Apply(ctx context.Context, req *http.Request) (gen uint64, err error)
	Rejected(gen uint64) bool
}

// Request is one logical request.
type Request struct {
	Method string
	// URL is absolute. Only its path appears in errors and logs.
	URL    string
	Header http.Header
	Body   []byte
	Auth   Auth
	// MaxAttempts, when > 0, lowers Options.MaxAttempts for this request
	// (a caller that shrinks a page after a few 5xx answers).
	MaxAttempts int
}

// Response is a successful (2xx) answer, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// URL is the URL asked for (after redirects), for resolving links.
	URL *url.URL
}

// JSON decodes the body with jsonx. An empty body is an error: an API
// that answers a listing with nothing has not listed anything.
func (r *Response) JSON() (any, error) {
	if len(bytes.TrimSpace(r.Body)) == 0 {
		return nil, ErrEmptyBody
	}
	return jsonx.Decode(r.Body)
}

// ErrEmptyBody is a 2xx answer without a body where JSON was expected.
var ErrEmptyBody = errors.New("the answer is empty")

// ErrBodyTooLarge is an answer larger than Options.MaxBody.
var ErrBodyTooLarge = errors.New("the answer is larger than the limit")

// StatusError is a non-2xx final answer.
type StatusError struct {
	API     string
	Method  string
	Path    string // path only: never a query string or user info
	Status  int
	Message string // the API's message or the body's start, redacted
	// RateLimited is set when the API's rate-limit adapter called the
	// answer a rate limit (the request gave up waiting it out).
	RateLimited bool
	Header      http.Header
	// Body is the raw body, for callers that read structured errors. It is
	// never part of Error(); a caller that prints from it redacts.
	Body []byte
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s: %s %s: %d %s", e.API, e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// TimeoutError is an attempt that outlasted the per-attempt timeout.
type TimeoutError struct {
	After time.Duration
	Flag  string
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no complete answer within %s (%s)", e.After, e.Flag)
}

// Timeout reports true (a net.Error-like timeout).
func (e *TimeoutError) Timeout() bool { return true }

// Do sends r, retrying as Options say, and returns a 2xx answer. A final
// non-2xx answer is a *StatusError; a cancelled ctx ends the retries with
// ctx's cause.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	path := displayPath(r.URL)
	where := fmt.Sprintf("%s: %s %s", c.o.API, r.Method, path)
	maxAttempts := c.o.MaxAttempts
	if r.MaxAttempts > 0 {
		maxAttempts = min(maxAttempts, r.MaxAttempts)
	}
	deadline := c.o.Clock.Now().Add(c.o.MaxElapsed)
	attempts, rateWaits, refreshed := 0, 0, false
	for {
		// A pause the API asked for is no failure: it does not spend the
		// bound on failures.
		if d, err := c.waitPause(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w (while pausing for the API's rate limit)", where, err)
		} else if d > 0 {
			deadline = deadline.Add(d)
		}
		attempts++
		resp, gen, err := c.once(ctx, r, deadline)
		if resp != nil {
			c.pace(r.Method, path, resp)
		}
		var lastErr error
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s: %w", where, context.Cause(ctx))
			}
			var te *transportError
			if !errors.As(err, &te) {
				return nil, c.wrap(where, err)
			}
			lastErr = c.wrap(where, te.err)
			wait = c.backoff(attempts)
		case resp.Status >= 200 && resp.Status < 300 && !c.limitedSuccess(resp):
			return resp, nil
		case resp.Status == http.StatusUnauthorized && r.Auth != nil && !refreshed && r.Auth.Rejected(gen):
			// The token may have been revoked or re-issued: fresh
			// credentials, once (Ocean does the same).
			refreshed = true
			attempts--
			continue
		default:
			se := c.statusError(r.Method, path, resp)
			if sp, ok := c.o.RateLimit.(Spender); ok && sp.Spent(resp.Status, resp.Header) {
				se.RateLimited = true
				return nil, se
			}
			if d, limited := c.o.RateLimit.Limited(resp.Status, resp.Header, resp.Body, c.o.Clock.Now()); limited {
				se.RateLimited = true
				rateWaits++
				if rateWaits > c.o.MaxRateWaits {
					return nil, fmt.Errorf("%w (still rate limited after %d waits)", se, rateWaits-1)
				}
				if d < 0 {
					d = c.backoff(rateWaits)
				}
				d = min(d, c.o.MaxWait)
				// Waiting out a rate limit is not a failure: it does not
				// spend the request's attempts or its bound on failures.
				deadline = deadline.Add(d)
				attempts--
				c.o.Logger.Warn("rate limited: waiting", "api", c.o.API, "method", r.Method, "path", path, "status", resp.Status, "wait", d)
				if err := c.o.Clock.Sleep(ctx, d); err != nil {
					return nil, fmt.Errorf("%s: %w (while waiting out a rate limit)", where, err)
				}
				continue
			}
			if !Retryable(resp.Status) {
				return nil, se
			}
			lastErr = se
			wait = c.backoff(attempts)
			// A server that says when to come back is believed, up to
			// the backoff cap; its rate-limit headers are not (Port sends
			// x-ratelimit-reset on every answer, 5xx included).
			if d, ok := RetryAfter(resp.Header, c.o.Clock.Now()); ok {
				wait = min(d, c.o.MaxDelay)
			}
		}
		if attempts >= maxAttempts {
			return nil, fmt.Errorf("%w (gave up after %d attempts)", lastErr, attempts)
		}
		if !c.o.Clock.Now().Add(wait).Before(deadline) {
			return nil, fmt.Errorf("%w (gave up after %d attempts: retrying would take longer than %s, the bound on one request's retries)", lastErr, attempts, c.o.MaxElapsed)
		}
		c.o.Logger.Warn("retrying", "api", c.o.API, "method", r.Method, "path", path, "attempt", attempts, "wait", wait, "err", lastErr)
		if err := c.o.Clock.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s: %w (after: %v)", where, err, lastErr)
		}
	}
}

// limitedSuccess reports a 2xx answer that the API's adapter calls a rate
// limit (a GraphQL API answering 200 with a RATELIMITED error); it is then
// waited out and retried like a 429.
func (c *Client) limitedSuccess(resp *Response) bool {
	if _, ok := c.o.RateLimit.(SuccessRateLimit); !ok {
		return false
	}
	_, limited := c.o.RateLimit.Limited(resp.Status, resp.Header, resp.Body, c.o.Clock.Now())
	return limited
}

// pace asks the API's Pacer, if it has one, whether this answer calls for
// a pause of every request (5xx answers excepted: their headers never
// decide a wait).
func (c *Client) pace(method, path string, resp *Response) {
	p, ok := c.o.RateLimit.(Pacer)
	if !ok || resp.Status >= 500 {
		return
	}
	now := c.o.Clock.Now()
	d := p.Pause(resp.Status, resp.Header, now)
	if d <= 0 {
		return
	}
	d = min(d, c.o.MaxWait)
	until := now.Add(d).UnixNano()
	for cur := c.pauseUntil.Load(); until > cur; cur = c.pauseUntil.Load() {
		if c.pauseUntil.CompareAndSwap(cur, until) {
			if resp.Status != http.StatusTooManyRequests {
				c.o.Logger.Info("rate limit nearly spent: pausing", "api", c.o.API, "method", method, "path", path, "pause", d)
			}
			return
		}
	}
}

// waitPause sleeps until a pause a Pacer asked for is over and returns
// how long it slept.
func (c *Client) waitPause(ctx context.Context) (time.Duration, error) {
	until := c.pauseUntil.Load()
	if until == 0 {
		return 0, nil
	}
	d := time.Unix(0, until).Sub(c.o.Clock.Now())
	if d <= 0 {
		return 0, nil
	}
	return d, c.o.Clock.Sleep(ctx, d)
}

// Retryable reports the statuses worth another attempt.
func Retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// transportError is a failed exchange worth retrying.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }

// once performs one attempt inside the in-flight bound and the attempt's
// timeout (never past deadline).
func (c *Client) once(ctx context.Context, r Request, deadline time.Time) (*Response, uint64, error) {
	if c.sem != nil {
		select {
		case c.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, 0, context.Cause(ctx)
		}
		defer func() { <-c.sem }()
	}
	timeout := c.o.Timeout
	if left := deadline.Sub(c.o.Clock.Now()); left > 0 && left < timeout {
		timeout = left
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, 0, errors.New(scrub(err))
	}
	for k, vs := range r.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if req.Header.Get("User-Agent") == "" && c.o.UserAgent != "" {
		req.Header.Set("User-Agent", c.o.UserAgent)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if r.Body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	var gen uint64
	if r.Auth != nil {
		// Outside the attempt's timeout: fetching a token is a request of
		// its own, with its own retries and bounds.
		if gen, err = r.Auth.Apply(ctx, req); err != nil {
			return nil, 0, err
		}
	}
	actx, cancel := context.WithTimeoutCause(ctx, timeout, &TimeoutError{After: timeout, Flag: c.o.TimeoutFlag})
	defer cancel()
	req = req.WithContext(actx)

	c.requests.Add(1)
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for m := c.maxInFlight.Load(); n > m && !c.maxInFlight.CompareAndSwap(m, n); m = c.maxInFlight.Load() {
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, gen, c.attemptErr(ctx, actx, err)
	}
	defer resp.Body.Close()
	size := resp.ContentLength
	if req.Method == http.MethodHead {
		size = -1 // the length of what a GET would answer; there is no body
	}
	raw, err := readBody(resp.Body, size, c.o.MaxBody)
	if errors.Is(err, ErrBodyTooLarge) {
		limit := budget.Size(uint64(c.o.MaxBody))
		if c.o.MaxBodyFlag != "" {
			limit += ", " + c.o.MaxBodyFlag
		}
		return nil, gen, fmt.Errorf("%w (%s)", ErrBodyTooLarge, limit)
	}
	if err != nil {
		return nil, gen, c.attemptErr(ctx, actx, fmt.Errorf("reading the answer: %w", err))
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: raw, URL: resp.Request.URL}, gen, nil
}

// maxSizeHint bounds the buffer a declared Content-Length allocates
// before any byte arrives; a larger answer is read as one of unknown
// length, so a server announcing a huge body and sending little costs
// little.
const maxSizeHint = 4 << 20

// readBody reads a whole answer of at most limit bytes; a larger one is
// ErrBodyTooLarge. A declared length (size ≥ 0) over the limit is refused
// before reading; one within maxSizeHint sizes the buffer once, where
// io.ReadAll grows it in steps and copies into a final slice (about twice
// the bytes allocated, all garbage but the last: the vendor pages and
// Port's search pages are most of what tide allocates). An answer shorter
// than it declared is an error (io.ErrUnexpectedEOF); one longer (a
// transport that does not enforce Content-Length) is read on as one of
// unknown length, within the limit. Every call returns a slice of its
// own: nothing is pooled, so one answer's bytes never reach another.
func readBody(r io.Reader, size, limit int64) ([]byte, error) {
	if size > limit {
		return nil, ErrBodyTooLarge
	}
	if size >= 0 && size <= maxSizeHint {
		// One byte more than declared: reading into it tells EOF (the
		// connection is reused only after EOF) from a body longer than
		// declared.
		raw := make([]byte, size, size+1)
		if _, err := io.ReadFull(r, raw); err != nil {
			return nil, err
		}
		_, err := io.ReadFull(r, raw[size:size+1])
		if err == io.EOF {
			return raw, nil
		}
		if err != nil {
			return nil, err
		}
		r = io.MultiReader(bytes.NewReader(raw[:size+1]), r)
	}
	raw, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > limit {
		return nil, ErrBodyTooLarge
	}
	return raw, nil
}

// attemptErr classifies a failed exchange: the run's context ending is
// final; the attempt's timeout and transport faults are retried.
func (c *Client) attemptErr(ctx, actx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if actx.Err() != nil {
		return &transportError{err: context.Cause(actx)}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &transportError{err: &TimeoutError{After: c.o.Timeout, Flag: c.o.TimeoutFlag}}
	}
	return &transportError{err: errors.New(scrub(err))}
}

func (c *Client) wrap(where string, err error) error {
	// Neither a timeout nor a size limit holds text from the API.
	var te *TimeoutError
	if errors.As(err, &te) || errors.Is(err, ErrBodyTooLarge) {
		return fmt.Errorf("%s: %w", where, err)
	}
	return fmt.Errorf("%s: %w", where, redactErr{err: err, s: c.o.Secrets})
}

// redactErr shows an error's text redacted and keeps it for errors.Is/As.
type redactErr struct {
	err error
	s   *secret.Set
}

func (e redactErr) Error() string { return e.s.Redact(e.err.Error()) }
func (e redactErr) Unwrap() error { return e.err }

func (c *Client) statusError(method, path string, resp *Response) *StatusError {
	return &StatusError{
		API: c.o.API, Method: method, Path: path, Status: resp.Status,
		Message: c.o.Secrets.Redact(Message(resp.Body)),
		Header:  resp.Header, Body: resp.Body,
	}
}

// Message extracts an API's error message from a body: a JSON object's
// "message", "error" (a string, or an object with a message),
// "error_description", "errorMessages" or GraphQL's "errors", else the
// body's start.
func Message(body []byte) string {
	var msg string
	if v, err := jsonx.Decode(body); err == nil {
		if m, ok := v.(map[string]any); ok {
			msg = firstString(m, "message", "error_description", "detail", "title")
			if msg == "" {
				switch e := m["error"].(type) {
				case string:
					msg = e
				case map[string]any:
					msg = firstString(e, "message", "detail")
				}
			}
			if msg == "" {
				if list, ok := m["errorMessages"].([]any); ok && len(list) > 0 {
					msg, _ = list[0].(string)
				}
			}
			if msg == "" {
				// GraphQL: {"errors": [{"message": ...}]}
				if list, ok := m["errors"].([]any); ok && len(list) > 0 {
					if e, ok := list[0].(map[string]any); ok {
						msg = firstString(e, "message")
					}
				}
			}
		}
	} else {
		msg = strings.Join(strings.Fields(string(body)), " ")
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// backoff is the wait before attempt n+1: BaseDelay × 2^(n-1), ±20%
// jitter, at most MaxDelay.
func (c *Client) backoff(n int) time.Duration {
	d := float64(c.o.BaseDelay) * float64(uint64(1)<<min(n-1, 30))
	d *= 0.8 + 0.4*c.o.Rand()
	return min(time.Duration(d), c.o.MaxDelay)
}

// displayPath is what errors and logs show of a URL: its path.
func displayPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" {
		return "/"
	}
	return u.EscapedPath()
}

// DisplayPath is the part of a URL errors may show: the path, never the
// query string or user info.
func DisplayPath(raw string) string { return displayPath(raw) }

// scrub drops the URL a *url.Error repeats (it may carry a token in its
// query string).
func scrub(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
