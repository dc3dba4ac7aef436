package custom

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tide-sync/tide/internal/budget"
)

// maxRetryAfter is the longest Retry-After tide waits out; longer is an
// error, since a CI job would rather fail than sleep for an hour.
const maxRetryAfter = 5 * time.Minute

// client is the one HTTP client of a configured integration: every request
// to the API, the token request included, goes through do, which bounds the
// requests in flight, applies the rate limit and retries.
type client struct {
	s       *settings
	hc      *http.Client
	log     *slog.Logger
	sem     chan struct{}
	limiter *rate.Limiter // nil: no limit
	tok     *tokenState
	now     func() time.Time
	// baseWait is the first retry's back-off; tests shorten it.
	baseWait time.Duration
	// sleep waits d or until ctx ends; tests record the waits instead.
	sleep func(ctx context.Context, d time.Duration) error

	secMu   gosync.RWMutex
	secrets []string

	// maxBody caps one response body (--max-response-size): a runaway
	// endpoint must not exhaust memory.
	maxBody int64
}

func newClient(s *settings, hc *http.Client, log *slog.Logger) *client {
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = s.maxInFlight
		if !s.verifyTLS {
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked, and is warned
		}
		hc = &http.Client{Transport: tr}
	}
	c := &client{
		s:        s,
		hc:       hc,
		log:      log,
		sem:      make(chan struct{}, s.maxInFlight),
		tok:      &tokenState{},
		now:      time.Now,
		baseWait: time.Second,
		sleep:    sleepCtx,
	}
	if s.rateLimit > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(s.rateLimit), 1)
	}
	var static []string
	if _, v, ok := s.auth.staticHeader(); ok {
		static = append(static, v, s.auth.token, s.auth.pass, s.auth.key)
	}
	for _, h := range s.headers {
		static = append(static, h[1])
	}
	if s.auth.custom != nil {
		static = append(static, s.auth.custom.secrets...)
	}
	c.addSecrets(static)
	return c
}

// addSecrets records values that must never be printed.
func (c *client) addSecrets(vs []string) {
	c.secMu.Lock()
	defer c.secMu.Unlock()
	for _, v := range vs {
		if len(v) >= 4 {
			c.secrets = append(c.secrets, v)
		}
	}
}

// redact replaces every known secret in s.
func (c *client) redact(s string) string {
	c.secMu.RLock()
	defer c.secMu.RUnlock()
	for _, v := range c.secrets {
		s = strings.ReplaceAll(s, v, "[redacted]")
		if q := url.QueryEscape(v); q != v {
			s = strings.ReplaceAll(s, q, "[redacted]")
		}
	}
	return s
}

// display is a URL as logs and errors show it: no user info, no secrets.
func (c *client) display(u *url.URL) string {
	return c.redact(u.Redacted())
}

// resolve turns an endpoint (a path relative to the base URL, or a full URL)
// into a URL. A full URL must stay on the base URL's host unless external
// is set (the custom token request may name an identity provider): the
// API's credentials go only where the user pointed them.
func (c *client) resolve(endpoint string, external bool) (*url.URL, error) {
	endpoint = strings.TrimSpace(endpoint)
	if strings.HasPrefix(endpoint, "http://") || strings.HasPrefix(endpoint, "https://") {
		u, err := url.Parse(endpoint)
		if err != nil {
			return nil, fmt.Errorf("endpoint %q: %v", endpoint, err)
		}
		if !external && !strings.EqualFold(u.Host, c.s.base.Host) {
			return nil, fmt.Errorf("endpoint %s is not on the base URL's host %s: tide sends the API's credentials only there", c.display(u), c.s.base.Host)
		}
		return u, nil
	}
	u := *c.s.base
	rel, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %v", endpoint, err)
	}
	p := rel.EscapedPath()
	if p != "" && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	u.RawPath = strings.TrimRight(c.s.base.EscapedPath(), "/") + p
	u.Path, err = url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %v", endpoint, err)
	}
	q := u.Query()
	for k, vs := range rel.Query() {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return &u, nil
}

// call is one HTTP request.
type call struct {
	method  string
	url     *url.URL
	headers [][2]string
	body    map[string]any // JSON body; auth template values are merged in
	raw     []byte         // a body sent as is (the token request)
	noAuth  bool
}

// response is a read, successful response.
type response struct {
	status int
	header http.Header
	body   []byte
	url    *url.URL
}

// StatusError is an API's refusal: a non-retryable status, or a retryable
// one that outlasted the retries.
type StatusError struct {
	Method string
	URL    string // redacted
	Status int
	Body   string // the start of the body, redacted
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s %s: HTTP %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	switch e.Status {
	case http.StatusUnauthorized:
		msg += " (check the credentials and --custom-auth-type)"
	case http.StatusForbidden:
		msg += " (the credentials lack permission for this endpoint)"
	case http.StatusNotFound:
		msg += " (check --custom-base-url and the kind/endpoint)"
	}
	return msg
}

func retryable(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// do sends one request with retries: 408, 429, 5xx and network errors are
// retried up to --custom-max-retries times, waiting Retry-After when the
// API gives one and an exponential back-off with jitter otherwise. With
// custom auth, a 401 runs the token request again and retries once.
func (c *client) do(ctx context.Context, cl call) (*response, error) {
	reauthed := false
	for attempt := 0; ; attempt++ {
		var gen int
		req, err := c.build(ctx, cl, &gen)
		if err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, req)
		var wait time.Duration
		switch {
		case errors.Is(err, errTooLarge):
			// The same answer would come back: no retry.
			return nil, fmt.Errorf("%s %s: %w", cl.method, c.display(cl.url), err)
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if attempt >= c.s.maxRetries {
				return nil, fmt.Errorf("%s %s: %s (after %d attempts)", cl.method, c.display(cl.url), c.redact(netErr(err)), attempt+1)
			}
			wait = c.backoff(attempt)
			c.log.Warn("request failed, retrying", "method", cl.method, "url", c.display(cl.url), "err", c.redact(netErr(err)), "wait", wait.String())
		case resp.status >= 200 && resp.status < 300:
			return resp, nil
		case resp.status == http.StatusUnauthorized && c.s.auth.custom != nil && !cl.noAuth && !reauthed:
			// Ocean Custom re-authenticates on a 401 and retries the request once.
			reauthed = true
			c.log.Info("API answered 401: requesting a new token", "url", c.display(cl.url))
			c.invalidate(gen)
			attempt--
			continue
		case retryable(resp.status) && attempt < c.s.maxRetries:
			var ok bool
			wait, ok = retryAfter(resp.header, c.now())
			if !ok {
				wait = c.backoff(attempt)
			}
			if wait > maxRetryAfter {
				return nil, fmt.Errorf("%w (Retry-After %s exceeds the %s tide waits)", c.statusErr(cl, resp), wait.Round(time.Second), maxRetryAfter)
			}
			c.log.Warn("API asked to retry", "method", cl.method, "url", c.display(cl.url), "status", resp.status, "wait", wait.String(), "attempt", attempt+1)
		default:
			return nil, c.statusErr(cl, resp)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *client) statusErr(cl call, resp *response) *StatusError {
	snippet := strings.Join(strings.Fields(string(resp.body)), " ")
	if len(snippet) > 200 {
		snippet = snippet[:200] + "…"
	}
	return &StatusError{Method: cl.method, URL: c.display(cl.url), Status: resp.status, Body: c.redact(snippet)}
}

// errTooLarge is an answer larger than --max-response-size.
var errTooLarge = errors.New("response too large")

// netErr shortens a transport error; *url.Error repeats the full URL.
func netErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out (see --custom-timeout)"
	}
	return err.Error()
}

func (c *client) backoff(attempt int) time.Duration {
	d := c.baseWait << min(attempt, 6)
	return d/2 + rand.N(d/2+1)
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// build makes the http.Request, with the auth values current now; gen
// receives their generation for a later invalidate.
func (c *client) build(ctx context.Context, cl call, gen *int) (*http.Request, error) {
	u := *cl.url
	hdr := http.Header{}
	hdr.Set("Accept", "application/json")
	hdr.Set("User-Agent", "tide-custom")
	for _, h := range c.s.headers {
		hdr.Set(h[0], h[1])
	}
	body := cl.body
	if !cl.noAuth {
		if k, v, ok := c.s.auth.staticHeader(); ok {
			hdr.Set(k, v)
		}
		if c.s.auth.custom != nil {
			av, err := c.current(ctx)
			if err != nil {
				return nil, err
			}
			*gen = av.gen
			for _, h := range av.headers {
				hdr.Set(h[0], h[1])
			}
			if len(av.query) > 0 {
				q := u.Query()
				for _, p := range av.query {
					q.Set(p[0], p[1])
				}
				u.RawQuery = q.Encode()
			}
			if len(av.body) > 0 && cl.raw == nil {
				merged := make(map[string]any, len(body)+len(av.body))
				for k, v := range body {
					merged[k] = v
				}
				for k, v := range av.body {
					merged[k] = v
				}
				body = merged
			}
		}
	}
	for _, h := range cl.headers {
		hdr.Set(h[0], h[1])
	}
	var rd io.Reader
	switch {
	case cl.raw != nil:
		rd = bytes.NewReader(cl.raw)
	case body != nil:
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("request body: %v", err)
		}
		rd = bytes.NewReader(b)
		if hdr.Get("Content-Type") == "" {
			hdr.Set("Content-Type", "application/json")
		}
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v", cl.method, c.display(&u), err)
	}
	req.Header = hdr
	return req, nil
}

// send runs one attempt inside the concurrency bound and the rate limit.
func (c *client) send(ctx context.Context, req *http.Request) (*response, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.s.timeout)
	defer cancel()
	resp, err := c.hc.Do(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > c.maxBody {
		return nil, fmt.Errorf("%w: response body larger than %s (--max-response-size)", errTooLarge, budget.Size(uint64(c.maxBody)))
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b, url: req.URL}, nil
}
