package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	gosync "sync"

	"golang.org/x/sync/errgroup"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/httpx"
	"github.com/tide-sync/tide/internal/jsonx"
)

// perPage is GitLab's largest page.
const perPage = 100

// maxPages bounds one listing (a million items at 100 a page): a server
// that keeps answering "next" is a fault, not a listing.
const maxPages = 10000

type client struct {
	base  string // https://host/api/v4
	token string
	http  *httpx.Client
	// window is how many pages of one offset listing are fetched at once
	// when GitLab says how many there are; 1 reads them in turn.
	window int
}

// get fetches one path (escaped, under /api/v4) and returns the answer.
func (c *client) get(ctx context.Context, path string, q url.Values) (*httpx.Response, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return c.getURL(ctx, u)
}

func (c *client) getURL(ctx context.Context, u string) (*httpx.Response, error) {
	resp, err := c.http.Do(ctx, httpx.Request{
		Method: http.MethodGet,
		URL:    u,
		Header: http.Header{"Authorization": {"Bearer " + c.token}},
	})
	if err != nil {
		return nil, refusal(err)
	}
	return resp, nil
}

// getObject fetches one JSON object.
func (c *client) getObject(ctx context.Context, path string, q url.Values) (map[string]any, error) {
	resp, err := c.get(ctx, path, q)
	if err != nil {
		return nil, err
	}
	v, err := resp.JSON()
	if err != nil {
		return nil, fmt.Errorf("gitlab: GET %s: %w", path, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("gitlab: GET %s: want a JSON object, got %s", path, jsonx.TypeName(v))
	}
	return m, nil
}

// refusal names what a 401 or 403 means for the user.
func refusal(err error) error {
	var se *httpx.StatusError
	if !errors.As(err, &se) {
		return err
	}
	switch se.Status {
	case http.StatusUnauthorized:
		return integrations.CredentialsError(tokenCheck, fmt.Errorf("%w: %w", errAuth, err))
	case http.StatusForbidden:
		return fmt.Errorf("GitLab refused access (403: the token lacks the read_api scope or a role there): %w", err)
	}
	return err
}

// statusOf returns the HTTP status of a final non-2xx answer, or 0.
func statusOf(err error) int {
	var se *httpx.StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

// list walks every page of an offset-paginated listing (page, per_page=100)
// and hands each page to fn, in page order, one page at a time. GitLab says
// where the next page is in x-next-page (empty on the last page); a server
// that omits the header is followed until a page is short, as Ocean does.
//
// Pages after the first are fetched concurrently, a window at a time (the
// client's in-flight bound still holds every request): pages 2..N when the
// first page carries x-total-pages, else (GitLab leaves the totals out past
// 10,000 items) window after window until a page is the last, the pages
// fetched past it answering empty. An empty page the server called
// non-final, a page that is no JSON array, items on a page after the one
// GitLab called the last, and any error end the listing with an error:
// never a shorter list.
//
// A listing that shifted while it was read (a record deleted or inserted
// at GitLab between two page reads moves every later one by a position)
// fails as incomplete: x-total, which GitLab sends up to 10,000 items,
// must be the same on every page and the distinct items listed must
// number it (integrations.ShiftGuard). Without x-total it is not checked.
func (c *client) list(ctx context.Context, path string, q url.Values, fn func([]map[string]any) error) error {
	guard := integrations.ShiftGuard{Path: path, ID: itemKey(path)}
	err := c.walk(ctx, path, q, &guard, fn)
	if err == nil {
		err = guard.Done()
	}
	// The kind goes in now: the callers' wrapping fixes the message.
	return integrations.NameShift(err, kindOf(ctx))
}

// kindKey carries the kind being resynced in a context.
type kindKey struct{}

// withKind returns ctx naming the kind resynced, for the errors of its
// listings.
func withKind(ctx context.Context, kind string) context.Context {
	return context.WithValue(ctx, kindKey{}, kind)
}

func kindOf(ctx context.Context) string {
	k, _ := ctx.Value(kindKey{}).(string)
	return k
}

// walk reads the pages of list, each through guard before fn.
func (c *client) walk(ctx context.Context, path string, q url.Values, guard *integrations.ShiftGuard, fn func([]map[string]any) error) error {
	q = cloneValues(q)
	q.Set("per_page", strconv.Itoa(perPage))
	first, err := c.page(ctx, path, q, 1)
	if err != nil {
		return err
	}
	done, err := deliver(path, first, guard, fn)
	if done || err != nil {
		return err
	}
	next := 2
	_, paged := first.header["X-Next-Page"]
	if paged && c.window > 1 {
		total := totalPages(first.header)
		if total > maxPages {
			return fmt.Errorf("gitlab: GET %s: %d pages (x-total-pages) is more than %d; stopped (no complete listing)", path, total, maxPages)
		}
		done, err := c.concurrentPages(ctx, path, q, 2, total, guard, fn)
		if done || err != nil {
			return err
		}
		// The listing grew while it was read: page N named a next one.
		next = total + 1
	}
	for n := next; ; n++ {
		if n > maxPages {
			return fmt.Errorf("gitlab: GET %s: more than %d pages; stopped (no complete listing)", path, maxPages)
		}
		p, err := c.page(ctx, path, q, n)
		if err != nil {
			return err
		}
		if done, err := deliver(path, p, guard, fn); done || err != nil {
			return err
		}
	}
}

// concurrentPages fetches pages from..to (to 0: until a page is the last),
// c.window at a time, and delivers them in order. It reports done when a
// page was the last.
func (c *client) concurrentPages(ctx context.Context, path string, q url.Values, from, to int, guard *integrations.ShiftGuard, fn func([]map[string]any) error) (bool, error) {
	last := 0 // the page GitLab called the last, once seen
	for lo := from; to == 0 || lo <= to; lo += c.window {
		hi := lo + c.window - 1
		if to > 0 {
			hi = min(hi, to)
		}
		if hi > maxPages {
			return false, fmt.Errorf("gitlab: GET %s: more than %d pages; stopped (no complete listing)", path, maxPages)
		}
		pages := make([]*offsetPage, hi-lo+1)
		g, gctx := errgroup.WithContext(ctx)
		for i := range pages {
			g.Go(func() error {
				p, err := c.page(gctx, path, q, lo+i)
				pages[i] = p
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return false, err
		}
		for _, p := range pages {
			if last != 0 {
				if len(p.items) > 0 {
					return false, fmt.Errorf("gitlab: GET %s: page %d holds items after page %d, which GitLab called the last: the listing changed while it was read", path, p.n, last)
				}
				continue
			}
			done, err := deliver(path, p, guard, fn)
			if err != nil {
				return false, err
			}
			if done {
				last = p.n
			}
		}
		if last != 0 {
			return true, nil
		}
	}
	return false, nil
}

// offsetPage is one page of an offset-paginated listing.
type offsetPage struct {
	n      int
	items  []map[string]any
	header http.Header
}

// page fetches page n.
func (c *client) page(ctx context.Context, path string, q url.Values, n int) (*offsetPage, error) {
	pq := cloneValues(q)
	pq.Set("page", strconv.Itoa(n))
	resp, err := c.get(ctx, path, pq)
	if err != nil {
		return nil, &pageError{page: n, err: err}
	}
	items, err := decodeList(path, resp)
	if err != nil {
		return nil, &pageError{page: n, err: err}
	}
	return &offsetPage{n: n, items: items, header: resp.Header}, nil
}

// deliver records a page with guard, hands its items to fn and reports
// whether it was the last page: x-next-page present and empty, or, without
// the header, a short page.
func deliver(path string, p *offsetPage, guard *integrations.ShiftGuard, fn func([]map[string]any) error) (bool, error) {
	total, announced := xTotal(p.header)
	if err := guard.Page(p.items, total, announced); err != nil {
		return false, err
	}
	if len(p.items) > 0 {
		if err := fn(p.items); err != nil {
			return false, err
		}
	}
	next, hasHeader := p.header["X-Next-Page"]
	switch {
	case hasHeader && strings.TrimSpace(strings.Join(next, "")) == "":
		return true, nil
	case hasHeader:
		if n, err := strconv.Atoi(strings.TrimSpace(next[0])); err != nil || n != p.n+1 {
			return false, fmt.Errorf("gitlab: GET %s: page %d names page %q as next; want %d", path, p.n, next[0], p.n+1)
		}
		if len(p.items) == 0 {
			return false, fmt.Errorf("gitlab: GET %s: page %d is empty but not the last (x-next-page %s): the listing is incomplete", path, p.n, next[0])
		}
		return false, nil
	}
	return len(p.items) < perPage, nil
}

// xTotal reads x-total, the listing's size, and whether the answer has a
// readable one (GitLab leaves it out past 10,000 items).
func xTotal(h http.Header) (int, bool) {
	v, ok := h["X-Total"]
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.Join(v, "")))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// itemKey is what tells a listing's items apart for the shift guard:
// the repository tree's "id" is the blob's or tree's hash, shared by two
// files of one content, so its items are told by path; branches and tags
// carry no id but a name, releases a tag name; the rest carry an id.
func itemKey(path string) func(integrations.Item) (string, bool) {
	key := "id"
	switch {
	case strings.HasSuffix(path, "/repository/tree"):
		key = "path"
	case strings.HasSuffix(path, "/repository/branches"), strings.HasSuffix(path, "/repository/tags"):
		key = "name"
	case strings.HasSuffix(path, "/releases"):
		key = "tag_name"
	}
	return func(it integrations.Item) (string, bool) { return integrations.ItemKey(it, key) }
}

// totalPages reads x-total-pages; 0 when absent or unreadable.
func totalPages(h http.Header) int {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-Total-Pages")))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// listKeyset walks a keyset-paginated listing (pagination=keyset,
// order_by=id), following the Link rel="next" GitLab sends; GitLab
// recommends it for large project listings, where offset pages get slow
// and stop at 50,000 items.
func (c *client) listKeyset(ctx context.Context, path string, q url.Values, fn func([]map[string]any) error) error {
	q = cloneValues(q)
	q.Set("per_page", strconv.Itoa(perPage))
	q.Set("pagination", "keyset")
	q.Set("order_by", "id")
	q.Set("sort", "asc")
	u := c.base + path + "?" + q.Encode()
	for page := 1; ; page++ {
		if page > maxPages {
			return fmt.Errorf("gitlab: GET %s: more than %d pages; stopped (no complete listing)", path, maxPages)
		}
		resp, err := c.getURL(ctx, u)
		if err != nil {
			return &pageError{page: page, err: err}
		}
		items, err := decodeList(path, resp)
		if err != nil {
			return &pageError{page: page, err: err}
		}
		if len(items) > 0 {
			if err := fn(items); err != nil {
				return err
			}
		}
		next := nextLink(resp.Header)
		if next == "" {
			return nil
		}
		if len(items) == 0 {
			return fmt.Errorf("gitlab: GET %s: page %d is empty but links a next page: the listing is incomplete", path, page)
		}
		nu, err := resp.URL.Parse(next)
		if err != nil {
			return fmt.Errorf("gitlab: GET %s: page %d: unreadable next link", path, page)
		}
		// The next link keeps the instance's host: never follow a link
		// elsewhere with the token.
		bu, _ := url.Parse(c.base)
		if nu.Host != bu.Host {
			return fmt.Errorf("gitlab: GET %s: page %d links a next page on another host (%s)", path, page, nu.Host)
		}
		u = nu.String()
	}
}

func decodeList(path string, resp *httpx.Response) ([]map[string]any, error) {
	v, err := resp.JSON()
	if err != nil {
		return nil, fmt.Errorf("gitlab: GET %s: %w", path, err)
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("gitlab: GET %s: want a JSON array, got %s", path, jsonx.TypeName(v))
	}
	out := make([]map[string]any, 0, len(arr))
	for i, x := range arr {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("gitlab: GET %s: item %d is %s, want an object", path, i, jsonx.TypeName(x))
		}
		out = append(out, m)
	}
	return out, nil
}

// pageError is a listing that failed at one page.
type pageError struct {
	page int
	err  error
}

func (e *pageError) Error() string { return fmt.Sprintf("page %d: %v", e.page, e.err) }
func (e *pageError) Unwrap() error { return e.err }

// nextLink returns the rel="next" target of a Link header.
func nextLink(h http.Header) string {
	for _, v := range h.Values("Link") {
		for _, part := range strings.Split(v, ",") {
			target, params, ok := strings.Cut(part, ";")
			if !ok || !strings.Contains(params, `rel="next"`) {
				continue
			}
			return strings.Trim(strings.TrimSpace(target), "<>")
		}
	}
	return ""
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// projectPath is a project's (or group's) id for a URL path: its numeric
// id, else its full path escaped as one segment.
func projectPath(p map[string]any) string {
	if id, ok := p["id"].(float64); ok {
		return strconv.FormatFloat(id, 'f', -1, 64)
	}
	if s, ok := p["id"].(string); ok && s != "" {
		return url.PathEscape(s)
	}
	s, _ := p["path_with_namespace"].(string)
	if s == "" {
		s, _ = p["full_path"].(string)
	}
	return url.PathEscape(s)
}

// memo runs a fetch once per key and shares the result with every caller
// (the project list serves every per-project kind of a run).
type memo[T any] struct {
	mu gosync.Mutex
	m  map[string]*future[T]
}

type future[T any] struct {
	done chan struct{}
	v    T
	err  error
}

func (m *memo[T]) do(ctx context.Context, key string, fetch func() (T, error)) (T, error) {
	m.mu.Lock()
	if m.m == nil {
		m.m = map[string]*future[T]{}
	}
	f, ok := m.m[key]
	if !ok {
		f = &future[T]{done: make(chan struct{})}
		m.m[key] = f
	}
	m.mu.Unlock()
	if ok {
		select {
		case <-f.done:
			return f.v, f.err
		case <-ctx.Done():
			var zero T
			return zero, context.Cause(ctx)
		}
	}
	defer close(f.done)
	f.v, f.err = fetch()
	if f.err != nil && ctx.Err() != nil {
		// A cancelled fetch is not the answer: let the next caller retry.
		m.mu.Lock()
		delete(m.m, key)
		m.mu.Unlock()
	}
	return f.v, f.err
}
