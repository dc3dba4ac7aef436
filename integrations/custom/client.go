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
	"net/http"
	"net/url"
	"strings"
	gosync "sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/httpx"
	"github.com/tide-sync/tide/internal/secret"
)

// maxRetryAfter caps one wait a Retry-After asks for: a CI job would rather
// retry early (and fail after a bounded number of waits) than sleep an hour.
const maxRetryAfter = 5 * time.Minute

// client is the one HTTP client of a configured integration: every request
// to the API, the token request included, goes through do, which bounds the
// requests in flight, applies the rate limit and retries.
type client struct {
	s       *settings
	hx      *httpx.Client
	hxOpts  httpx.Options // what hx was built from; tests rebuild it with a fake clock
	log     *slog.Logger
	limiter *rate.Limiter // nil: no limit
	tok     *tokenState
	now     func() time.Time
	run     *secret.Set // the run's secret set: auth-request tokens join it

	secMu   gosync.RWMutex
	secrets []string
}

func newClient(s *settings, hc *http.Client, log *slog.Logger, run *secret.Set) *client {
	if hc == nil {
		tr := httpx.NewTransport(s.maxInFlight)
		if !s.verifyTLS {
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked, and is warned
		}
		hc = &http.Client{Transport: tr}
	}
	if run == nil {
		run = secret.New()
	}
	c := &client{
		s:   s,
		log: log,
		tok: &tokenState{},
		now: time.Now,
		run: run,
	}
	c.hxOpts = httpx.Options{
		API:         "custom",
		HTTPClient:  hc,
		MaxInFlight: s.maxInFlight,
		Timeout:     s.timeout,
		TimeoutFlag: "--custom-timeout",
		MaxAttempts: s.maxRetries + 1,
		BaseDelay:   time.Second,
		MaxDelay:    maxRetryAfter,
		MaxWait:     maxRetryAfter,
		UserAgent:   "tide-custom",
		MaxBody:     s.maxBody,
		MaxBodyFlag: "--max-response-size",
		Secrets:     run,
		Logger:      log,
	}
	c.hx = httpx.New(c.hxOpts)
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
	c.run.Add(vs...)
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

// do sends one request through the shared client: 408, 429, 5xx, network
// errors and timeouts are retried up to --custom-max-retries times, waiting
// Retry-After when the API gives one (at most maxRetryAfter) and an
// exponential back-off with jitter otherwise. With custom auth, a 401 runs
// the token request again (once for all requests that met it) and retries
// once, as Ocean Custom does.
func (c *client) do(ctx context.Context, cl call) (*response, error) {
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
	}
	req := httpx.Request{Method: cl.method, URL: cl.url.String(), Header: http.Header{}, Auth: &requestAuth{c: c, cl: cl}}
	resp, err := c.hx.Do(ctx, req)
	var se *httpx.StatusError
	switch {
	case errors.As(err, &se) && se.Status == http.StatusUnauthorized && !cl.noAuth:
		return nil, integrations.CredentialsError(c.s.auth.check(), c.statusErr(cl, se))
	case errors.As(err, &se):
		return nil, c.statusErr(cl, se)
	case err != nil:
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, err
	}
	return &response{status: resp.Status, header: resp.Header, body: resp.Body, url: resp.URL}, nil
}

func (c *client) statusErr(cl call, se *httpx.StatusError) *StatusError {
	snippet := strings.Join(strings.Fields(string(se.Body)), " ")
	if len(snippet) > 200 {
		snippet = snippet[:200] + "…"
	}
	return &StatusError{Method: cl.method, URL: c.display(cl.url), Status: se.Status, Body: c.redact(snippet)}
}

// requestAuth puts a call's headers, credentials and body on each attempt:
// the auth values are the ones current at that attempt.
type requestAuth struct {
	c  *client
	cl call
}

// Apply implements httpx.Auth.
func (a *requestAuth) Apply(ctx context.Context, req *http.Request) (uint64, error) {
	var gen int
	built, err := a.c.build(ctx, a.cl, &gen)
	if err != nil {
		return 0, err
	}
	req.Header = built.Header
	req.URL = built.URL
	req.Host = built.Host
	req.Body, req.GetBody, req.ContentLength = built.Body, built.GetBody, built.ContentLength
	return uint64(gen), nil
}

// Rejected implements httpx.Auth: with custom auth a 401 drops the token of
// that generation and the request is tried once more.
func (a *requestAuth) Rejected(gen uint64) bool {
	if a.c.s.auth.custom == nil || a.cl.noAuth {
		return false
	}
	a.c.log.Info("API answered 401: requesting a new token", "url", a.c.display(a.cl.url))
	a.c.invalidate(int(gen))
	return true
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
