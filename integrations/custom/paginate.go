package custom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"net/url"
	"strconv"
	"strings"
	gosync "sync"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/jsonx"
)

// Pagination types.
const (
	pageNone       = "none"
	pageOffset     = "offset"
	pagePage       = "page"
	pageCursor     = "cursor"
	pageNextLink   = "next_link"
	pageHeaderLink = "header_link"
)

// pagination is how one endpoint pages. The global default comes from the
// --custom-pagination-* flags; a mapping's top-level `pagination` object and
// then a resource's selector `pagination` object override it field by field.
type pagination struct {
	typ        string
	pageSize   int
	param      string // offset, page number or cursor parameter
	sizeParam  string
	startPage  int
	cursorPath *valuePath
	hasMore    *valuePath
	lastPage   *valuePath
	nextLink   *valuePath
	linkRel    string
	inBody     bool // send the paging parameters in the JSON body (POST searches)
	maxPages   int  // 0: no cap
}

func globalPagination(v integrations.Values) (pagination, error) {
	p := pagination{typ: pageNone, pageSize: 100, startPage: 1, linkRel: "next"}
	m := map[string]any{}
	for flag, key := range map[string]string{
		"custom-pagination-type":  "type",
		"custom-page-size":        "page_size",
		"custom-pagination-param": "param",
		"custom-size-param":       "size_param",
		"custom-start-page":       "start_page",
		"custom-cursor-path":      "cursor_path",
		"custom-has-more-path":    "has_more_path",
		"custom-last-page-path":   "last_page_path",
		"custom-next-link-path":   "next_link_path",
		"custom-header-link-rel":  "link_rel",
	} {
		if s := strings.TrimSpace(v.Get(flag)); s != "" {
			m[key] = s
		}
	}
	err := p.apply(m, func(key string) string {
		for flag, k := range map[string]string{"type": "pagination-type", "page_size": "page-size", "param": "pagination-param", "size_param": "size-param", "start_page": "start-page", "cursor_path": "cursor-path", "has_more_path": "has-more-path", "last_page_path": "last-page-path", "next_link_path": "next-link-path", "link_rel": "header-link-rel"} {
			if flag == key {
				return "--custom-" + k
			}
		}
		return key
	})
	if err != nil {
		return p, err
	}
	if p.nextLink == nil {
		p.nextLink, _ = parseValuePath("", "@odata.nextLink")
	}
	return p, p.check("--custom-pagination-type")
}

// paginationKeys maps the accepted spellings (snake_case, Ocean's
// camelCase) of a pagination object's fields to one name.
var paginationKeys = map[string]string{
	"type": "type", "paginationType": "type", "pagination_type": "type",
	"page_size": "page_size", "pageSize": "page_size", "limit": "page_size",
	"param": "param", "paginationParam": "param", "pagination_param": "param", "cursor_param": "param", "cursorParam": "param", "offset_param": "param", "page_param": "param",
	"size_param": "size_param", "sizeParam": "size_param", "limit_param": "size_param",
	"start_page": "start_page", "startPage": "start_page",
	"cursor_path": "cursor_path", "cursorPath": "cursor_path",
	"has_more_path": "has_more_path", "hasMorePath": "has_more_path",
	"last_page_path": "last_page_path", "lastPagePath": "last_page_path",
	"next_link_path": "next_link_path", "nextLinkPath": "next_link_path",
	"link_rel": "link_rel", "linkRel": "link_rel", "rel": "link_rel",
	"in":        "in",
	"max_pages": "max_pages", "maxPages": "max_pages",
}

// override returns p with the fields of the object m (from the mapping)
// applied; where names the object for errors.
func (p pagination) override(where string, raw any) (pagination, error) {
	if raw == nil {
		return p, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		if s, ok := raw.(string); ok { // pagination: cursor
			m = map[string]any{"type": s}
		} else {
			return p, fmt.Errorf("%s: want an object like {type: cursor, cursor_path: meta.next}", where)
		}
	}
	norm := map[string]any{}
	for k, v := range m {
		n, ok := paginationKeys[k]
		if !ok {
			return p, fmt.Errorf("%s: unknown field %q (want type, page_size, param, size_param, start_page, cursor_path, has_more_path, last_page_path, next_link_path, link_rel, in, max_pages)", where, k)
		}
		norm[n] = v
	}
	if err := p.apply(norm, func(k string) string { return where + "." + k }); err != nil {
		return p, err
	}
	return p, p.check(where + ".type")
}

func (p *pagination) apply(m map[string]any, name func(string) string) error {
	str := func(k string) (string, bool) {
		v, ok := m[k]
		if !ok || v == nil {
			return "", false
		}
		return strings.TrimSpace(scalarString(gojqValue(v))), true
	}
	num := func(k string, lo int) (int, bool, error) {
		s, ok := str(k)
		if !ok {
			return 0, false, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo {
			return 0, false, cfgErr("%s %q: want a whole number of at least %d", name(k), s, lo)
		}
		return n, true, nil
	}
	if s, ok := str("type"); ok {
		p.typ = strings.ToLower(s)
	}
	var err error
	var ok bool
	var n int
	if n, ok, err = num("page_size", 0); err != nil {
		return err
	} else if ok {
		p.pageSize = n
	}
	if n, ok, err = num("start_page", 0); err != nil {
		return err
	} else if ok {
		p.startPage = n
	}
	if n, ok, err = num("max_pages", 0); err != nil {
		return err
	} else if ok {
		p.maxPages = n
	}
	if s, ok := str("param"); ok {
		p.param = s
	}
	if s, ok := str("size_param"); ok {
		p.sizeParam = s
	}
	if s, ok := str("link_rel"); ok {
		p.linkRel = s
	}
	if s, ok := str("in"); ok {
		switch s {
		case "query":
			p.inBody = false
		case "body":
			p.inBody = true
		default:
			return cfgErr("%s %q: want query or body", name("in"), s)
		}
	}
	for k, dst := range map[string]**valuePath{"cursor_path": &p.cursorPath, "has_more_path": &p.hasMore, "last_page_path": &p.lastPage, "next_link_path": &p.nextLink} {
		if s, ok := str(k); ok {
			vp, err := parseValuePath(name(k), s)
			if err != nil {
				return err
			}
			*dst = vp
		}
	}
	return nil
}

func (p *pagination) check(where string) error {
	switch p.typ {
	case pageNone, pageOffset, pagePage, pageNextLink, pageHeaderLink:
	case pageCursor:
	default:
		return cfgErr("%s %q: want none, offset, page, cursor, next_link or header_link", where, p.typ)
	}
	return nil
}

// paramNames returns the paging parameter names, with each type's default.
func (p *pagination) paramNames() (param, size string) {
	param, size = p.param, p.sizeParam
	if param == "" {
		param = map[string]string{pageOffset: "offset", pagePage: "page", pageCursor: "cursor"}[p.typ]
	}
	if size == "" {
		size = map[string]string{pageOffset: "limit", pagePage: "size", pageCursor: "limit"}[p.typ]
	}
	return param, size
}

// ErrPageLoop means the API sent a page it had sent before: the same
// cursor or next link twice, or the same offset/page body twice.
var ErrPageLoop = errors.New("pagination loop")

// fetch is one endpoint's request, before paging.
type fetch struct {
	method  string
	url     *url.URL
	headers [][2]string
	body    map[string]any
	pag     pagination
	items   *itemsPath
	what    string // for errors: kind "/users" or path parameter "team_id"
	// allowPartial: a max_pages cap reached is deliberate
	// (ErrPartialAllowed), not an incomplete listing.
	allowPartial bool
	// proj, when set, is what of each record is decoded, the records
	// being the array at the keys itemKeys (resource.projection).
	proj     *jsonx.Projection
	itemKeys []string
}

// key identifies a listing: two fetches with the same key read the same
// items.
func (f fetch) key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", f.method, f.url.String())
	for _, h := range f.headers {
		fmt.Fprintf(&b, "%s: %s\n", h[0], h[1])
	}
	body, _ := json.Marshal(f.body)
	b.Write(body)
	p := f.pag
	src := func(v *valuePath) string {
		if v == nil {
			return ""
		}
		return v.src
	}
	fmt.Fprintf(&b, "\n%s|%d|%s|%s|%d|%s|%s|%s|%s|%s|%v|%d|%v", p.typ, p.pageSize, p.param, p.sizeParam, p.startPage, src(p.cursorPath), src(p.hasMore), src(p.lastPage), src(p.nextLink), p.linkRel, p.inBody, p.maxPages, f.allowPartial)
	if f.items != nil {
		fmt.Fprintf(&b, "|%s", f.items.src)
	}
	return b.String()
}

// maxEmptyPages bounds the consecutive empty pages a cursor or link
// listing follows while they still give a next cursor or link.
const maxEmptyPages = 3

// emptyPage decides what an empty page means before the pagination reads
// it. end is true when the listing ends here: an explicit end (has_more_path
// false, last_page_path true), page and offset pagination, or no pagination
// to follow. A page or offset answer saying more follow (has_more_path true,
// last_page_path false) is an incomplete listing: the next page would be
// asked past an empty one. end is false for cursor and link pagination,
// which follow the page's cursor or next link; says is then what, if
// anything, the page said about more pages (for the error when it gives no
// cursor or link to follow).
func (c *client) emptyPage(ctx context.Context, p pagination, body any, n int, cl call, f fetch) (end bool, says string, err error) {
	if p.lastPage != nil {
		v, found, err := p.lastPage.lookup(ctx, body)
		if err != nil {
			return true, "", fmt.Errorf("page %d: last_page_path %q: %v", n, p.lastPage.src, err)
		}
		if found && truthy(v) {
			return true, "", nil
		}
		if found {
			says = fmt.Sprintf("last_page_path %q is %v", p.lastPage.src, v)
		}
	}
	if p.hasMore != nil {
		v, found, err := p.hasMore.lookup(ctx, body)
		if err != nil {
			return true, "", fmt.Errorf("page %d: has_more_path %q: %v", n, p.hasMore.src, err)
		}
		if found && !truthy(v) {
			return true, "", nil
		}
		if found {
			says = fmt.Sprintf("has_more_path %q is %v", p.hasMore.src, v)
		}
	}
	switch p.typ {
	case pageOffset, pagePage:
		if says != "" {
			return true, says, fmt.Errorf("page %d: %w: %s %s is empty yet says more pages follow (%s) for %s; check has_more_path/last_page_path and the paging parameters", n, ErrIncomplete, cl.method, c.display(cl.url), says, f.what)
		}
		return true, says, nil
	case pageCursor, pageNextLink, pageHeaderLink:
		return false, says, nil
	}
	return true, says, nil
}

// pagesAhead bounds the requests page and offset pagination run ahead of
// the page being handed on: the next pages are fetched and decoded while
// this one is mapped.
const pagesAhead = 3

// pageResult is one fetched and decoded page.
type pageResult struct {
	cl    call
	resp  *response
	body  any
	items []any
	hash  uint64 // of the raw body: an API ignoring the paging parameter repeats it
	err   error  // already names the page
}

// pending is a page request under way.
type pending struct {
	offset, page int // what it asked for (page and offset pagination)
	done         chan pageResult
	cancel       context.CancelFunc
}

// pages requests every page of f and hands each page's items to onPage, in
// order. The next request goes out before a page is handed on, so fetching
// overlaps mapping: page and offset pagination, whose next request is
// known in advance, run up to pagesAhead requests ahead once a listing
// has shown three full pages (a shorter listing costs exactly the requests
// it did before); cursor and link pagination, whose next request
// is in the page, overlap one. A page fetched ahead that the listing turns
// out not to need is dropped unread: at most pagesAhead-1 extra requests
// per listing. Offsets run ahead by the size of the last page and are
// checked: a page of another size drops the pages fetched ahead.
func (c *client) pages(ctx context.Context, f fetch, onPage func(items []any) error) error {
	p := f.pag
	param, sizeParam := p.paramNames()
	u := *f.url
	seen := map[string]bool{}
	seed := maphash.MakeSeed()
	var prevHash uint64
	offset, page := 0, p.startPage
	cursor := ""
	warnedHasMore := false
	emptyRun := 0 // consecutive empty pages that pointed on
	// Only requests that read may be repeated or dropped.
	ahead := pagesAhead
	if f.method != "GET" && f.method != "POST" {
		ahead = 1
	}

	ctx, cancelAll := context.WithCancel(ctx)
	var wg gosync.WaitGroup
	defer func() { cancelAll(); wg.Wait() }()
	var queue []*pending
	launch := func(n, offset, page int, cursor string, u url.URL) {
		pctx, cancel := context.WithCancel(ctx)
		pd := &pending{offset: offset, page: page, done: make(chan pageResult, 1), cancel: cancel}
		queue = append(queue, pd)
		wg.Go(func() {
			defer cancel()
			pd.done <- c.fetchPage(pctx, f, n, f.pag.paging(param, sizeParam, offset, page, cursor), u, seed)
		})
	}
	dropQueue := func() {
		for _, pd := range queue {
			pd.cancel()
		}
		queue = nil
	}
	firstLen := -1
	launch(1, offset, page, cursor, u)
	for n := 1; ; n++ {
		pd := queue[0]
		queue = queue[1:]
		res := <-pd.done
		if res.err != nil {
			return res.err
		}
		cl, resp, body, items := res.cl, res.resp, res.body, res.items
		if firstLen < 0 {
			firstLen = len(items)
		}
		stop, err := func() (bool, error) {
			if p.typ == pageNone {
				if more := morePages(body, resp.header); more != "" {
					return true, fmt.Errorf("page %d: %w: %s %s says more pages exist (%s) but %s has no pagination; set pagination (type and its fields) on the resource's selector or --custom-pagination-type", n, ErrIncomplete, cl.method, c.display(cl.url), more, f.what)
				}
				return true, nil
			}
			emptySays := "" // an empty page's own word that more pages follow
			// moreSays is set when a page with items says more follow
			// (has_more_path true): then it must also say how to get them.
			moreSays := ""
			noNext := func(what string) error {
				switch {
				case emptySays != "":
					return fmt.Errorf("page %d: %w: %s %s is empty and says more pages follow (%s) but gives no %s for %s", n, ErrIncomplete, cl.method, c.display(cl.url), emptySays, what, f.what)
				case moreSays != "":
					return fmt.Errorf("page %d: %w: %s %s says more pages follow (%s) but gives no %s for %s", n, ErrIncomplete, cl.method, c.display(cl.url), moreSays, what, f.what)
				}
				return nil
			}
			if len(items) == 0 {
				end, says, err := c.emptyPage(ctx, p, body, n, cl, f)
				emptySays = says
				if end || err != nil {
					return true, err
				}
				// Cursor and link pagination: an empty page may still point
				// on (some APIs send them); followed, but not forever.
				emptyRun++
				if emptyRun > maxEmptyPages {
					return true, fmt.Errorf("page %d: %w: %s %s: %d empty pages in a row still point to a next page", n, ErrIncomplete, cl.method, c.display(cl.url), emptyRun)
				}
			} else {
				emptyRun = 0
			}
			if len(items) > 0 && p.lastPage != nil {
				v, err := p.lastPage.get(ctx, body)
				if err != nil {
					return true, fmt.Errorf("page %d: last_page_path %q: %v", n, p.lastPage.src, err)
				}
				if truthy(v) {
					return true, nil
				}
			}
			if p.hasMore != nil {
				v, found, err := p.hasMore.lookup(ctx, body)
				if err != nil {
					return true, fmt.Errorf("page %d: has_more_path %q: %v", n, p.hasMore.src, err)
				}
				switch {
				case found && !truthy(v):
					return true, nil
				case found:
					moreSays = fmt.Sprintf("has_more_path %q is %v", p.hasMore.src, v)
				case !found && !warnedHasMore:
					// A typo here must not cut the result short (and delete the
					// rest): absent means unknown, and paging goes on.
					warnedHasMore = true
					c.log.Warn("has_more_path not in the response; paging on until an empty page", "endpoint", f.what, "has_more_path", p.hasMore.src)
				}
			}
			switch p.typ {
			case pageOffset, pagePage:
				// An API that ignores the paging parameter sends the first page
				// forever; two identical pages in a row are that, not data.
				if n > 1 && res.hash == prevHash {
					return true, fmt.Errorf("page %d: %w: %s %s sent the same page as before; does the API read the %q parameter?", n, ErrPageLoop, cl.method, c.display(cl.url), param)
				}
				prevHash = res.hash
				offset += len(items)
				page++
			case pageCursor:
				cp := p.cursorPath
				if cp == nil {
					if cp = guessCursor(body); cp == nil && len(items) == 0 {
						return true, noNext("cursor") // an empty page with no cursor anywhere: the end
					}
					if cp == nil {
						return true, fmt.Errorf("page %d: no cursor_path set and none of the usual places (%s) holds a cursor; set --custom-cursor-path or pagination.cursor_path", n, strings.Join(cursorGuesses, ", "))
					}
					// Ocean Custom also falls back to common cursor locations.
					p.cursorPath = cp
					c.log.Info("cursor_path not set: reading the cursor from a usual place", "endpoint", f.what, "cursor_path", cp.src)
				}
				v, found, err := cp.lookup(ctx, body)
				if err != nil {
					return true, fmt.Errorf("page %d: cursor_path %q: %v", n, cp.src, err)
				}
				next := scalarString(v)
				if next == "" {
					// A full first page without the cursor's field is more
					// likely a wrong cursor_path than the end: stopping there
					// would drop (and delete) everything after it.
					if !found && n == 1 && p.pageSize > 0 && len(items) >= p.pageSize {
						return true, fmt.Errorf("page 1: cursor_path %q is not in the response, yet the page is full (%d items); check the cursor path", cp.src, len(items))
					}
					return true, noNext(fmt.Sprintf("cursor at cursor_path %q", cp.src))
				}
				if seen[next] {
					return true, fmt.Errorf("page %d: %w: the API sent cursor %q again (cursor_path %q)", n, ErrPageLoop, c.redact(next), cp.src)
				}
				seen[next] = true
				cursor = next
			case pageNextLink, pageHeaderLink:
				var next string
				if p.typ == pageNextLink {
					v, err := p.nextLink.get(ctx, body)
					if err != nil {
						return true, fmt.Errorf("page %d: next_link_path %q: %v", n, p.nextLink.src, err)
					}
					next = scalarString(v)
				} else {
					next = linkHeader(resp.header.Values("Link"), p.linkRel)
				}
				if next == "" {
					return true, noNext("next link")
				}
				nu, err := resp.url.Parse(next)
				if err != nil {
					return true, fmt.Errorf("page %d: next link %q: %v", n, c.redact(next), err)
				}
				if !strings.EqualFold(nu.Host, c.s.base.Host) {
					return true, fmt.Errorf("page %d: next link %s leaves the base URL's host %s: tide sends the API's credentials only there", n, c.display(nu), c.s.base.Host)
				}
				key := nu.String()
				if seen[key] || key == resp.url.String() {
					return true, fmt.Errorf("page %d: %w: the API sent next link %s again", n, ErrPageLoop, c.display(nu))
				}
				seen[key] = true
				u = *nu
			}
			return false, nil
		}()
		if err != nil {
			return err
		}
		capped := !stop && p.maxPages > 0 && n+1 > p.maxPages
		if stop || capped {
			dropQueue()
		} else {
			switch p.typ {
			case pageOffset, pagePage:
				if len(queue) > 0 && (queue[0].offset != offset || queue[0].page != page) {
					dropQueue() // a page of another size: the offsets ahead are wrong
				}
				want := 1
				if n >= 3 && len(items) >= firstLen {
					want = ahead
				}
				for k := len(queue); k < want; k++ {
					next := n + 1 + k
					if p.maxPages > 0 && next > p.maxPages {
						break
					}
					launch(next, offset+k*len(items), page+k, "", u)
				}
			default:
				launch(n+1, offset, page, cursor, u)
			}
		}
		if len(items) > 0 {
			if err := onPage(items); err != nil {
				return err
			}
		}
		if stop {
			return nil
		}
		if capped && f.allowPartial {
			return fmt.Errorf("%w: %s: stopped at pagination.max_pages %d with more pages to read, as selector allow_partial: true allows", integrations.ErrPartialAllowed, f.what, p.maxPages)
		}
		if capped {
			// Stopping here would be a shorter list, and the engine deletes
			// what was not listed: a cap reached is an incomplete listing.
			return fmt.Errorf("%w: %s: stopped at max_pages %d with more pages to read; raise pagination.max_pages or remove it", ErrIncomplete, f.what, p.maxPages)
		}
	}
}

// paging returns the paging parameters of one request.
func (p pagination) paging(param, sizeParam string, offset, page int, cursor string) map[string]string {
	paging := map[string]string{}
	switch p.typ {
	case pageOffset:
		paging[param] = strconv.Itoa(offset)
	case pagePage:
		paging[param] = strconv.Itoa(page)
	case pageCursor:
		if cursor != "" {
			paging[param] = cursor
		}
	}
	if p.pageSize > 0 && sizeParam != "" {
		paging[sizeParam] = strconv.Itoa(p.pageSize)
	}
	return paging
}

// fetchPage requests page n of f at u with the paging parameters, and
// decodes it and finds its items.
func (c *client) fetchPage(ctx context.Context, f fetch, n int, paging map[string]string, u url.URL, seed maphash.Seed) pageResult {
	p := f.pag
	param, _ := p.paramNames()
	cl := call{method: f.method, url: &u, headers: f.headers, body: f.body}
	if len(paging) > 0 {
		if p.inBody {
			b := make(map[string]any, len(f.body)+len(paging))
			for k, v := range f.body {
				b[k] = v
			}
			for k, v := range paging {
				if p.typ == pageCursor && k == param {
					b[k] = v
				} else {
					b[k], _ = strconv.Atoi(v)
				}
			}
			cl.body = b
		} else {
			pu := u
			q := pu.Query()
			for k, v := range paging {
				q.Set(k, v)
			}
			pu.RawQuery = q.Encode()
			cl.url = &pu
		}
	}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return pageResult{err: fmt.Errorf("page %d: %w", n, err)}
	}
	if len(bytes.TrimSpace(resp.body)) == 0 {
		return pageResult{err: fmt.Errorf("page %d: %w: %s %s answered with an empty body", n, ErrIncomplete, cl.method, c.display(cl.url))}
	}
	body, err := decodeBody(resp.body, f.itemKeys, f.proj)
	if err != nil {
		return pageResult{err: fmt.Errorf("page %d: %s %s: the response is not JSON: %v", n, cl.method, c.display(cl.url), err)}
	}
	items, err := f.items.extract(ctx, resp.body, body)
	if err != nil {
		return pageResult{err: fmt.Errorf("page %d: %s %s: %w", n, cl.method, c.display(cl.url), err)}
	}
	res := pageResult{cl: cl, resp: resp, body: body, items: items, hash: maphash.Bytes(seed, resp.body)}
	resp.body = nil // decoded: the raw bytes need not stay
	return res
}

// ErrIncomplete is a listing that stopped before its end: a page cap
// reached, an empty body, or an answer saying more pages exist that were
// not fetched. The block fails, so nothing is deleted on its account.
var ErrIncomplete = integrations.ErrIncomplete

// morePages names the sign, if any, that an answer fetched without
// pagination has more pages: a Link rel="next" header, a true
// has_more/hasMore/more, or a next/next_cursor/nextCursor/nextPageToken value.
func morePages(body any, h map[string][]string) string {
	if linkHeader(h["Link"], "next") != "" {
		return `a Link rel="next" header`
	}
	m, ok := body.(map[string]any)
	if !ok {
		return ""
	}
	for _, k := range []string{"has_more", "hasMore", "more"} {
		if b, ok := m[k].(bool); ok && b {
			return k + ": true"
		}
	}
	for _, k := range []string{"next", "next_cursor", "nextCursor", "nextPageToken", "next_page_token"} {
		switch v := m[k].(type) {
		case string:
			if v != "" {
				return k + " is set"
			}
		case map[string]any, float64:
			return k + " is set"
		}
	}
	return ""
}

// cursorGuesses are where APIs usually put the next cursor, tried in order
// when no cursor path is set.
var cursorGuesses = []string{"next_cursor", "nextCursor", "meta.next_cursor", "meta.nextCursor", "meta.after_cursor", "response_metadata.next_cursor", "pagination.next_cursor", "pagination.nextCursor", "page_info.end_cursor", "pageInfo.endCursor"}

// guessCursor returns the first guess whose key the body has (a null value
// counts: the last page of such an API says null).
func guessCursor(body any) *valuePath {
	for _, g := range cursorGuesses {
		if _, found := keysAt(body, strings.Split(g, ".")); found {
			vp, _ := parseValuePath("", g)
			return vp
		}
	}
	return nil
}

// decodeBody decodes a response with jsonx, once, as encoding/json would
// into an any, except that an integer beyond float64's exact range (2^53,
// e.g. a 64-bit snowflake id) stays exact as a *big.Int, so `.id |
// tostring` gives the real id: two ids rounded to one float would map two
// records onto one entity. With proj set, each record of the array at
// items keeps only what proj keeps; the rest is checked, not built.
func decodeBody(raw []byte, items []string, proj *jsonx.Projection) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	return jsonx.DecodeProjected(raw, items, proj)
}
