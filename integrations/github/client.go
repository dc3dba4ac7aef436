package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/budget"
)

const (
	minPerPage = 25 // Ocean's floor when it halves per_page on 5xx
	// tries5xxBeforeHalving is how often a 5xx page is asked for at its size
	// before the size is halved.
	tries5xxBeforeHalving = 2
)

// APIError is a GitHub answer that was not a success, after retries.
type APIError struct {
	Method  string
	Path    string // path only: never a query or a token
	Status  int
	Message string // GitHub's "message", shortened
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("github: %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// retryPolicy says how failed requests are retried. Tests shorten it.
type retryPolicy struct {
	attempts  int           // per request, for 5xx and transport errors
	baseDelay time.Duration // exponential backoff base
	maxDelay  time.Duration // cap on any backoff
	// secondaryWait is the wait after a secondary rate limit that names no
	// time (GitHub: "wait at least one minute").
	secondaryWait time.Duration
	// maxRateWait caps a wait for a primary limit's reset.
	maxRateWait time.Duration
	// rateLimitRetries caps how often one request waits out a rate limit.
	rateLimitRetries int
}

func defaultRetry() retryPolicy {
	return retryPolicy{
		attempts:         5,
		baseDelay:        500 * time.Millisecond,
		maxDelay:         30 * time.Second,
		secondaryWait:    60 * time.Second,
		maxRateWait:      65 * time.Minute,
		rateLimitRetries: 10,
	}
}

// client sends GitHub REST and GraphQL requests. One client serves a whole
// run: its semaphore bounds the requests in flight across every resource
// block, and its rate book tracks each credential's quota.
type client struct {
	maxBody       int64 // bytes; zero means integrations.DefaultMaxResponse
	rest, graphql string
	http          *http.Client
	log           *slog.Logger
	retry         retryPolicy
	sem           chan struct{}
	rates         *rateBook
	now           func() time.Time
	sleep         func(ctx context.Context, d time.Duration) error

	requests    atomic.Int64 // requests sent, for the summary log and benchmarks
	inFlight    atomic.Int64
	maxInFlight atomic.Int64 // the most requests ever in flight at once
}

func newClient(rest string, hc *http.Client, concurrency int, log *slog.Logger) *client {
	rest = strings.TrimRight(rest, "/")
	c := &client{
		rest:    rest,
		graphql: graphqlURL(rest),
		http:    hc,
		log:     log,
		retry:   defaultRetry(),
		sem:     make(chan struct{}, concurrency),
		now:     time.Now,
		sleep:   sleepCtx,
	}
	c.rates = &rateBook{now: func() time.Time { return c.now() }, m: map[string]*quota{}}
	return c
}

// graphqlURL derives the GraphQL endpoint from the REST base, as Ocean does:
// GHES's https://host/api/v3 → https://host/api/graphql; api.github.com →
// https://api.github.com/graphql.
func graphqlURL(rest string) string {
	u, err := url.Parse(rest)
	if err != nil {
		return rest + "/graphql"
	}
	if strings.HasPrefix(u.Path, "/api/") {
		u.Path = "/api/graphql"
	} else {
		u.Path = strings.TrimRight(u.Path, "/") + "/graphql"
	}
	return u.String()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
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

// response is a successful answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// call is one logical request.
type call struct {
	method string
	url    string // absolute
	body   []byte
	accept string
	cred   credential
	// max5xx, when > 0, caps the tries on 5xx answers so the caller can
	// shrink the page instead.
	max5xx int
}

// do sends c with rate limiting and retries. A final non-2xx answer is an
// *APIError.
func (c *client) do(ctx context.Context, cl call) (*response, error) {
	path := pathOf(cl.url)
	tries5xx, rateWaits, refreshed := 0, 0, false
	for attempt := 1; ; attempt++ {
		// GitHub keeps separate quotas per resource (core, graphql, search).
		key := cl.cred.key() + "/" + c.resource(cl.url)
		if err := c.rates.wait(ctx, key, c.sleep, c.log); err != nil {
			return nil, err
		}
		auth, err := cl.cred.header(ctx)
		if err != nil {
			return nil, err
		}
		resp, raw, err := c.send(ctx, cl, auth)
		var wait time.Duration
		var lastErr error
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, fmt.Errorf("github: %s %s: %w", cl.method, path, context.Cause(ctx))
			}
			if errors.Is(err, errTooLarge) {
				// The same answer would come back: no retry.
				return nil, fmt.Errorf("github: %s %s: %w", cl.method, path, err)
			}
			lastErr = fmt.Errorf("github: %s %s: %w", cl.method, path, err)
			tries5xx++
			wait = c.backoff(tries5xx)
		default:
			c.rates.update(key, resp.Header)
			ae := apiError(cl.method, path, resp.StatusCode, raw)
			switch {
			case resp.StatusCode >= 200 && resp.StatusCode < 300:
				return &response{status: resp.StatusCode, header: resp.Header, body: raw}, nil
			case resp.StatusCode == http.StatusUnauthorized && !refreshed && cl.cred.refreshable():
				// An installation token may have been revoked or expired
				// early: fetch a new one, once.
				refreshed = true
				cl.cred.invalidate()
				continue
			case isRateLimited(resp, raw):
				rateWaits++
				if rateWaits > c.retry.rateLimitRetries {
					return nil, fmt.Errorf("%w (still rate limited after %d waits)", ae, rateWaits-1)
				}
				wait = c.rateWait(resp.Header)
				c.log.Warn("GitHub rate limit: waiting", "path", path, "status", resp.StatusCode, "wait", wait.Round(time.Millisecond))
				if err := c.sleep(ctx, wait); err != nil {
					return nil, fmt.Errorf("github: %s %s: %w (while waiting out a rate limit)", cl.method, path, err)
				}
				attempt--
				continue
			case resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout:
				tries5xx++
				lastErr = ae
				if cl.max5xx > 0 && tries5xx >= cl.max5xx {
					return nil, ae
				}
				wait = c.backoff(tries5xx)
			default:
				// 401, a 403 that is no rate limit, 404, 422...: the caller
				// decides; never an empty result by accident.
				return nil, ae
			}
		}
		if tries5xx >= c.retry.attempts {
			return nil, lastErr
		}
		c.log.Warn("retrying GitHub request", "path", path, "attempt", tries5xx, "wait", wait.Round(time.Millisecond), "err", lastErr)
		if err := c.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("github: %s %s: %w (after: %v)", cl.method, path, err, lastErr)
		}
	}
}

// resource names the rate-limit quota a URL spends, as GitHub's
// x-ratelimit-resource header does.
func (c *client) resource(u string) string {
	switch {
	case u == c.graphql:
		return "graphql"
	case strings.HasPrefix(pathOf(u), "/search/"):
		return "search"
	}
	return "core"
}

// send performs one HTTP exchange while holding a slot of the shared
// semaphore.
func (c *client) send(ctx context.Context, cl call, auth string) (*http.Response, []byte, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, context.Cause(ctx)
	}
	defer func() { <-c.sem }()
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, cl.url, body)
	if err != nil {
		return nil, nil, err
	}
	accept := cl.accept
	if accept == "" {
		accept = "application/vnd.github+json"
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", "tide-github")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.requests.Add(1)
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for m := c.maxInFlight.Load(); n > m && !c.maxInFlight.CompareAndSwap(m, n); m = c.maxInFlight.Load() {
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, scrubURL(err)
	}
	defer resp.Body.Close()
	limit := c.maxBody
	if limit <= 0 {
		limit = integrations.DefaultMaxResponse
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the answer: %w", err)
	}
	if int64(len(raw)) > limit {
		return nil, nil, fmt.Errorf("%w: the answer is larger than %s (--max-response-size)", errTooLarge, budget.Size(uint64(limit)))
	}
	return resp, raw, nil
}

// errTooLarge is an answer larger than --max-response-size.
var errTooLarge = errors.New("response too large")

// scrubURL drops the URL from transport errors; the text of an error should
// not depend on what a URL holds.
func scrubURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "?"
	}
	return u.Path
}

func apiError(method, path string, status int, raw []byte) *APIError {
	ae := &APIError{Method: method, Path: path, Status: status}
	var body struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &body) == nil {
		ae.Message = body.Message
	}
	if len(ae.Message) > 300 {
		ae.Message = ae.Message[:300] + "…"
	}
	return ae
}

// isRateLimited tells a rate limit from a refusal: 429 always; 403 when the
// primary quota is spent or GitHub says why (secondary limit, retry-after).
func isRateLimited(resp *http.Response, raw []byte) bool {
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return true
	case http.StatusForbidden:
		if resp.Header.Get("Retry-After") != "" {
			return true
		}
		if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
			return true
		}
		var body struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &body)
		return strings.Contains(strings.ToLower(body.Message), "rate limit")
	}
	return false
}

// rateWait is how long to wait after a rate-limited answer: Retry-After
// when given, else until x-ratelimit-reset when the quota is spent, else
// GitHub's advice for secondary limits (at least a minute).
func (c *client) rateWait(h http.Header) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			return min(time.Duration(n*float64(time.Second)), c.retry.maxRateWait)
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(0, min(t.Sub(c.now()), c.retry.maxRateWait))
		}
	}
	if h.Get("X-Ratelimit-Remaining") == "0" {
		if reset, ok := parseReset(h.Get("X-Ratelimit-Reset")); ok {
			return max(0, min(reset.Sub(c.now())+time.Second, c.retry.maxRateWait))
		}
	}
	return c.retry.secondaryWait
}

func (c *client) backoff(n int) time.Duration {
	d := float64(c.retry.baseDelay) * float64(uint64(1)<<min(n-1, 20))
	d *= 0.9 + 0.2*rand.Float64()
	return min(time.Duration(d), c.retry.maxDelay)
}

func parseReset(v string) (time.Time, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// rateBook tracks the primary quota of each credential (installation
// tokens have their own), fed by x-ratelimit-* headers.
type rateBook struct {
	now func() time.Time
	mu  gosync.Mutex
	m   map[string]*quota
}

type quota struct {
	limit, remaining int
	reset            time.Time
	known            bool
}

// reserveShare is the share of the quota below which requests are spread
// over the time left until the reset instead of spending it at once (Ocean
// sleeps at 95% utilisation during a resync).
const reserveShare = 0.05

// wait blocks before a request while the quota of key is spent (until its
// reset) or nearly spent (pacing the rest across the window).
func (b *rateBook) wait(ctx context.Context, key string, sleep func(context.Context, time.Duration) error, log *slog.Logger) error {
	for {
		b.mu.Lock()
		q := b.m[key]
		if q == nil || !q.known {
			b.mu.Unlock()
			return nil
		}
		now := b.now()
		if !now.Before(q.reset) {
			// The window rolled over: unknown until the next answer.
			q.known = false
			b.mu.Unlock()
			return nil
		}
		left := q.reset.Sub(now)
		var d time.Duration
		spent := q.remaining <= 0
		switch {
		case spent:
			d = left + 100*time.Millisecond
		case float64(q.remaining) < reserveShare*float64(q.limit):
			d = left / time.Duration(q.remaining+1)
			q.remaining--
		default:
			q.remaining--
		}
		b.mu.Unlock()
		if d <= 0 {
			return nil
		}
		if spent {
			log.Warn("GitHub rate limit spent: waiting for the reset", "wait", d.Round(time.Millisecond))
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
		if !spent {
			return nil
		}
		b.mu.Lock()
		if !b.now().Before(q.reset) {
			q.known = false
		}
		b.mu.Unlock()
	}
}

// update records the quota GitHub reported.
func (b *rateBook) update(key string, h http.Header) {
	rem, err := strconv.Atoi(h.Get("X-Ratelimit-Remaining"))
	if err != nil {
		return
	}
	reset, ok := parseReset(h.Get("X-Ratelimit-Reset"))
	if !ok {
		return
	}
	limit, _ := strconv.Atoi(h.Get("X-Ratelimit-Limit"))
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.m[key]
	if q == nil {
		q = &quota{}
		b.m[key] = q
	}
	// Answers arrive out of order: keep the lowest count seen in a window.
	if q.known && reset.Equal(q.reset) && rem > q.remaining {
		return
	}
	q.limit, q.remaining, q.reset, q.known = limit, rem, reset, true
}

// ---- pagination ----

// page is one decoded page of a REST listing.
type page struct {
	items []map[string]any
	next  string // absolute URL of the next page, "" on the last
}

// listOpts shape one listing.
type listOpts struct {
	key string // the array's key when the body is an object ({"workflows": [...]})
}

// list walks a REST listing with per_page=100 and Link rel="next", calling
// fn for each page until the listing ends or fn returns false. A 5xx page
// is asked for again, then with half the page size (down to 25), as Ocean's
// transport does.
func (c *client) list(ctx context.Context, cred credential, path string, q url.Values, o listOpts, fn func(items []map[string]any) (bool, error)) error {
	if q == nil {
		q = url.Values{}
	}
	if q.Get("per_page") == "" {
		q.Set("per_page", "100")
	}
	next := c.rest + path + "?" + q.Encode()
	for n := 1; next != ""; n++ {
		p, err := c.fetchPage(ctx, cred, next, o)
		if err != nil {
			return fmt.Errorf("page %d: %w", n, err)
		}
		if len(p.items) == 0 {
			return nil
		}
		more, err := fn(p.items)
		if err != nil || !more {
			return err
		}
		next = p.next
	}
	return nil
}

// fetchPage gets one page, shrinking it on persistent 5xx answers.
func (c *client) fetchPage(ctx context.Context, cred credential, u string, o listOpts) (*page, error) {
	for {
		per := perPageOf(u)
		cl := call{method: http.MethodGet, url: u, cred: cred}
		if per > minPerPage {
			cl.max5xx = tries5xxBeforeHalving
		}
		resp, err := c.do(ctx, cl)
		var ae *APIError
		if errors.As(err, &ae) && ae.Status >= 500 && per > minPerPage {
			u = halvePage(u)
			c.log.Warn("GitHub keeps failing on a large page: asking for smaller pages", "path", ae.Path, "per_page", perPageOf(u))
			continue
		}
		if err != nil {
			return nil, err
		}
		items, err := decodeItems(resp.body, o.key)
		if err != nil {
			return nil, fmt.Errorf("github: GET %s: %w", pathOf(u), err)
		}
		return &page{items: items, next: nextLink(resp.header.Get("Link"))}, nil
	}
}

func decodeItems(body []byte, key string) ([]map[string]any, error) {
	if key == "" {
		var items []map[string]any
		if err := json.Unmarshal(body, &items); err != nil {
			return nil, fmt.Errorf("want a JSON array of objects: %w", err)
		}
		return items, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, fmt.Errorf("want a JSON object with %q: %w", key, err)
	}
	raw, ok := obj[key]
	if !ok {
		return nil, fmt.Errorf("the answer has no %q", key)
	}
	var items []map[string]any
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%q: want an array of objects: %w", key, err)
	}
	return items, nil
}

func perPageOf(u string) int {
	pu, err := url.Parse(u)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(pu.Query().Get("per_page"))
	return n
}

// halvePage halves per_page and, for page-numbered listings, moves to the
// page that starts at the same offset (page p of size n starts where page
// 2p-1 of size n/2 does).
func halvePage(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := pu.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	q.Set("per_page", strconv.Itoa(max(per/2, minPerPage)))
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 {
		q.Set("page", strconv.Itoa(2*p-1))
	}
	pu.RawQuery = q.Encode()
	return pu.String()
}

// nextLink returns the rel="next" URL of a Link header (RFC 8288), or "".
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		segs := strings.Split(part, ";")
		if len(segs) < 2 {
			continue
		}
		target := strings.TrimSpace(segs[0])
		if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			continue
		}
		for _, p := range segs[1:] {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
				continue
			}
			for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)) {
				if rel == "next" {
					return target[1 : len(target)-1]
				}
			}
		}
	}
	return ""
}

// getJSON GETs one REST object.
func (c *client) getJSON(ctx context.Context, cred credential, path string, q url.Values, out any) error {
	u := c.rest + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	resp, err := c.do(ctx, call{method: http.MethodGet, url: u, cred: cred})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return fmt.Errorf("github: GET %s: decoding the answer: %w", path, err)
	}
	return nil
}

// ---- GraphQL ----

// gqlError is an error GitHub's GraphQL API reported in "errors".
type gqlError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// graphQL runs one query and decodes its data into out. GraphQL answers
// 200 with "errors" on failures; a RATE_LIMITED error is waited out like a
// REST limit, any other error fails the call.
func (c *client) graphQL(ctx context.Context, cred credential, query string, vars map[string]any, max5xx int, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	for waits := 0; ; waits++ {
		resp, err := c.do(ctx, call{method: http.MethodPost, url: c.graphql, body: body, cred: cred, max5xx: max5xx})
		if err != nil {
			return err
		}
		var env struct {
			Data   json.RawMessage `json:"data"`
			Errors []gqlError      `json:"errors"`
		}
		if err := json.Unmarshal(resp.body, &env); err != nil {
			return fmt.Errorf("github: GraphQL: decoding the answer: %w", err)
		}
		if len(env.Errors) > 0 {
			if env.Errors[0].Type == "RATE_LIMITED" && waits < c.retry.rateLimitRetries {
				wait := c.rateWait(resp.header)
				if resp.header.Get("X-Ratelimit-Remaining") != "0" && resp.header.Get("Retry-After") == "" {
					wait = c.retry.secondaryWait
				}
				c.log.Warn("GitHub GraphQL rate limit: waiting", "wait", wait.Round(time.Millisecond))
				if err := c.sleep(ctx, wait); err != nil {
					return err
				}
				continue
			}
			e := env.Errors[0]
			return fmt.Errorf("github: GraphQL: %s %s", e.Type, e.Message)
		}
		if err := json.Unmarshal(env.Data, out); err != nil {
			return fmt.Errorf("github: GraphQL: decoding data: %w", err)
		}
		return nil
	}
}
