package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/httpx"
	"github.com/tide-sync/tide/internal/jsonx"
)

const (
	minPerPage = 25 // Ocean's floor when it halves per_page on 5xx
	// tries5xxBeforeHalving is how often a 5xx page is asked for at its size
	// before the size is halved.
	tries5xxBeforeHalving = 2
	// maxRateWait caps one wait for a primary limit's reset: GitHub's
	// windows are an hour long.
	maxRateWait = 65 * time.Minute
)

// APIError is a GitHub answer that was not a success, after retries.
type APIError = httpx.StatusError

// client sends GitHub REST and GraphQL requests through the shared HTTP
// client (retries, backoff, GitHub's primary and secondary rate limits).
// One client serves a whole run: the shared client's in-flight bound holds
// across every resource block, and the rate book paces each credential's
// quota before it is spent.
type client struct {
	rest, graphql string
	hx            *httpx.Client
	hxOpts        httpx.Options // what hx was built from; tests rebuild it
	log           *slog.Logger
	rates         *rateBook
}

func newClient(rest string, o httpx.Options) *client {
	rest = strings.TrimRight(rest, "/")
	c := &client{rest: rest, graphql: graphqlURL(rest), log: o.Logger}
	c.setOptions(o)
	return c
}

// setOptions (re)builds the shared client; tests substitute a fake clock.
func (c *client) setOptions(o httpx.Options) {
	c.hxOpts = o
	c.hx = httpx.New(o)
	clock := c.hx.Options().Clock
	c.rates = &rateBook{clock: clock, m: map[string]*quota{}}
}

func (c *client) now() time.Time { return c.hx.Options().Clock.Now() }

func (c *client) sleep(ctx context.Context, d time.Duration) error {
	return c.hx.Options().Clock.Sleep(ctx, d)
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
	// max5xx, when > 0, caps the attempts on 5xx answers so the caller can
	// shrink the page instead.
	max5xx int
}

// credAuth puts a credential on each attempt (httpx.Auth).
type credAuth struct{ cred credential }

func (a credAuth) Apply(ctx context.Context, req *http.Request) (uint64, error) {
	h, gen, err := a.cred.header(ctx)
	if err != nil {
		return 0, err
	}
	if h != "" {
		req.Header.Set("Authorization", h)
	}
	return gen, nil
}

// Rejected: an installation token may have been revoked or expired early,
// so a 401 fetches a new one and tries once more; a personal token cannot
// be refreshed.
func (a credAuth) Rejected(gen uint64) bool {
	if !a.cred.refreshable() {
		return false
	}
	a.cred.invalidate(gen)
	return true
}

// do sends cl through the shared client after the rate book's pacing. A
// final non-2xx answer is an *APIError.
func (c *client) do(ctx context.Context, cl call) (*response, error) {
	// GitHub keeps separate quotas per resource (core, graphql, search).
	key := cl.cred.key() + "/" + c.resource(cl.url)
	if err := c.rates.wait(ctx, key, c.log); err != nil {
		return nil, err
	}
	accept := cl.accept
	if accept == "" {
		accept = "application/vnd.github+json"
	}
	h := http.Header{}
	h.Set("Accept", accept)
	h.Set("X-GitHub-Api-Version", "2022-11-28")
	resp, err := c.hx.Do(ctx, httpx.Request{Method: cl.method, URL: cl.url, Header: h, Body: cl.body, Auth: credAuth{cl.cred}, MaxAttempts: cl.max5xx})
	var ae *APIError
	switch {
	case errors.As(err, &ae):
		c.rates.update(key, ae.Header)
		return nil, err
	case err != nil:
		return nil, err
	}
	c.rates.update(key, resp.Header)
	return &response{status: resp.Status, header: resp.Header, body: resp.Body}, nil
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

func pathOf(raw string) string { return httpx.DisplayPath(raw) }

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
	clock httpx.Clock
	mu    gosync.Mutex
	m     map[string]*quota
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
func (b *rateBook) wait(ctx context.Context, key string, log *slog.Logger) error {
	for {
		b.mu.Lock()
		q := b.m[key]
		if q == nil || !q.known {
			b.mu.Unlock()
			return nil
		}
		now := b.clock.Now()
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
			d = min(left+100*time.Millisecond, maxRateWait)
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
		if err := b.clock.Sleep(ctx, d); err != nil {
			return err
		}
		if !spent {
			return nil
		}
		b.mu.Lock()
		if !b.clock.Now().Before(q.reset) {
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
	emptyRun := 0 // consecutive empty pages that gave a next link
	for n := 1; next != ""; n++ {
		p, err := c.fetchPage(ctx, cred, next, o)
		if err != nil {
			if n > 1 && isStatus(err, http.StatusNotFound) {
				// The listing existed a page ago: a 404 now cuts it short,
				// and taking it for the end would delete what was not
				// listed. Not an *APIError any more, so no caller can take
				// it for "nothing there".
				return fmt.Errorf("page %d: %w: GET %s answered 404 in the middle of the listing (%v)", n, integrations.ErrIncomplete, pathOf(next), err)
			}
			return fmt.Errorf("page %d: %w", n, err)
		}
		if len(p.items) == 0 {
			if p.next == "" {
				return nil
			}
			// An empty page with a next link is not the end: the listing
			// goes on past it, but a second empty page in a row, or a link
			// back to the same page, is a listing that cannot be read.
			emptyRun++
			if emptyRun > 1 || p.next == next {
				return fmt.Errorf("page %d: %w: GET %s: empty pages in a row still give a Link rel=\"next\"", n, integrations.ErrIncomplete, pathOf(next))
			}
			next = p.next
			continue
		}
		emptyRun = 0
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

// decodeItems decodes a listing page with jsonx: the array itself, or the
// array under key. An empty body is an error (httpx.ErrEmptyBody).
func decodeItems(body []byte, key string) ([]map[string]any, error) {
	r := httpx.Response{Body: body}
	v, err := r.JSON()
	if err != nil {
		return nil, err
	}
	what := "the answer"
	if key != "" {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("want a JSON object with %q, got %s", key, jsonx.TypeName(v))
		}
		if v, ok = obj[key]; !ok {
			return nil, fmt.Errorf("the answer has no %q", key)
		}
		what = fmt.Sprintf("%q", key)
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: want an array of objects, got %s", what, jsonx.TypeName(v))
	}
	items := make([]map[string]any, len(list))
	for i, x := range list {
		if items[i], ok = x.(map[string]any); !ok {
			return nil, fmt.Errorf("%s[%d]: want an object, got %s", what, i, jsonx.TypeName(x))
		}
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
	if len(bytes.TrimSpace(resp.body)) == 0 {
		return fmt.Errorf("github: GET %s: %w", path, httpx.ErrEmptyBody)
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
			if env.Errors[0].Type == "RATE_LIMITED" && waits < c.hx.Options().MaxRateWaits {
				// A 200 saying RATE_LIMITED is read as GitHub's 429 would
				// be: Retry-After, else the primary reset when the quota
				// is spent, else the secondary limits' minute.
				wait, _ := httpx.GitHub.Limited(http.StatusTooManyRequests, resp.header, nil, c.now())
				if wait < 0 {
					wait = httpx.GitHubSecondaryWait
				}
				wait = min(wait, maxRateWait)
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
