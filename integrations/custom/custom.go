// Package custom is the generic REST integration: any JSON HTTP API into
// the catalog without writing Go, the counterpart of Ocean's "Ocean Custom".
//
// A resource block's kind is the endpoint path, appended to
// --custom-base-url. Its selector may carry, beside query (Ocean Custom's
// field names):
//
//	endpoint         path (or same-host URL) to call instead of the kind
//	method           GET (default), POST, PUT, PATCH
//	query_params     object; a list value repeats the parameter
//	headers          object of extra headers
//	body             JSON body (POST searches)
//	data_path        JQ to the item array; default: the body when it is an
//	                 array, else its first array field (logged)
//	pagination       object overriding the --custom-pagination-* defaults:
//	                 type (none|offset|page|cursor|next_link|header_link),
//	                 page_size, param, size_param, start_page, cursor_path,
//	                 has_more_path, last_page_path, next_link_path, link_rel,
//	                 in (query|body), max_pages
//	path_parameters  {name: {endpoint, method, query_params, headers, body,
//	                 data_path, field, filter, pagination}}: a {name} in the
//	                 endpoint is filled from each record of another endpoint
//	                 (field is JQ on the record, filter an optional JQ
//	                 boolean). A parameter's endpoint may itself hold
//	                 placeholders, so nesting goes as deep as needed.
//
// A mapping's top-level `pagination` object sets the default for all its
// blocks (between the flags and a block's own).
//
// A wrong path must not read as "no more data" (the rest would be deleted):
// a plain-key data_path the response lacks is an error, an absent
// has_more_path is ignored with a warning, and a full first page without
// the cursor's field is an error. Integers beyond 2^53 stay exact.
//
// Items fetched through path parameters carry `__parent` (the record that
// filled the innermost placeholder, itself with its own `__parent`) and
// `__path_parameters` ({name: value}).
package custom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/itchyny/gojq"
	"golang.org/x/sync/errgroup"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/jsonx"
)

// Definition returns the custom integration.
func Definition() integrations.Definition {
	return integrations.Definition{
		Type:      "custom",
		Summary:   "any JSON REST API: the kind is the endpoint path (Ocean Custom)",
		Kinds:     []string{"/users", "/api/v1/services"},
		OpenKinds: true,
		Params:    params(),
		Selectors: map[string][]integrations.SelectorField{"*": {
			{Name: "endpoint", Usage: "path to call instead of the kind"},
			{Name: "method", Default: "GET", Usage: "HTTP method"},
			{Name: "query_params", Usage: "query parameters (object)"},
			{Name: "headers", Usage: "extra request headers (object)"},
			{Name: "body", Usage: "request body (object), for POST"},
			{Name: "data_path", Usage: "JQ path to the items in the response; default: the response's array"},
			{Name: "pagination", Usage: "pagination override (object: type and its fields); default: --custom-pagination-type"},
			{Name: "path_parameters", Usage: "values of {placeholders} in the endpoint, each from another endpoint's records"},
		}},
		// No default blueprints or mapping: an arbitrary API has no
		// natural catalog shape. Without a mapping on the Port integration,
		// the run asks for --mapping FILE; see examples/.
		New: func(s integrations.Settings) (integrations.Source, error) {
			return New(s)
		},
	}
}

// Source fetches endpoints of one API. It is safe for concurrent use.
type Source struct {
	c   *client
	log *slog.Logger

	mu sync.Mutex
	// blockPag is the pagination a resource block gives its endpoint, by
	// endpoint (Plan): a path parameter listing the same endpoint without
	// a pagination of its own pages the same way.
	blockPag map[string]pagination
	// parents are the listings some block's path parameter reads (Plan):
	// they are fetched once per run and shared (listings).
	parents  map[string]bool
	listings map[string]*listing
}

// listing is one endpoint's whole listing, fetched once per run for
// every block and path parameter that reads it.
type listing struct {
	done  chan struct{}
	items []any
	err   error
}

// New builds a Source from the collected parameters.
func New(s integrations.Settings) (*Source, error) {
	st, err := parseSettings(s.Values)
	if err != nil {
		return nil, err
	}
	st.maxBody = s.ResponseLimit()
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if !st.verifyTLS {
		log.Warn("TLS certificate verification is off (--custom-verify-ssl=false): the API's identity is not checked", "host", st.base.Host)
	}
	if st.base.Scheme == "http" && st.auth.typ != "none" && !loopback(st.base.Hostname()) {
		log.Warn("credentials are sent over plain http", "host", st.base.Host)
	}
	return &Source{c: newClient(st, s.HTTPClient, log, s.Secrets), log: log}, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var placeholderRE = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_.-]*)\}`)

// endpointSpec is a parsed request description: a resource's selector or
// one path parameter.
type endpointSpec struct {
	where    string // "kind \"/users\" selector" or "...path_parameters.team_id"
	endpoint string
	method   string
	query    [][2]string
	headers  [][2]string
	body     map[string]any
	items    *itemsPath
	pag      pagination
	field    *gojq.Code // path parameters only
	fieldSrc string
	filter   *gojq.Code
}

// fetch is the request of sp at u: the one way a listing's fetch is
// built, so Plan's keys of shared listings match the fetches that read
// them. what names the listing in errors.
func (sp *endpointSpec) fetch(u *url.URL, what string, allowPartial bool) fetch {
	return fetch{method: sp.method, url: u, headers: sp.headers, body: sp.body, pag: sp.pag, items: sp.items, what: what, allowPartial: allowPartial}
}

// resource is a parsed resource block.
type resource struct {
	endpointSpec
	params map[string]*endpointSpec
	// allowPartial makes a max_pages cap deliberate: the block syncs what
	// it listed, and its blueprint is not pruned (ErrPartialAllowed).
	allowPartial bool
}

var selectorKeys = map[string]bool{"endpoint": true, "method": true, "query_params": true, "headers": true, "body": true, "data_path": true, "pagination": true, "path_parameters": true, "allow_partial": true}

var paramKeys = map[string]bool{"endpoint": true, "method": true, "query_params": true, "headers": true, "body": true, "data_path": true, "pagination": true, "field": true, "filter": true}

func (s *Source) parse(req integrations.Request) (*resource, error) {
	where := fmt.Sprintf("kind %q selector", req.Kind)
	base := s.c.s.pagination
	if raw, ok := req.Config["pagination"]; ok {
		var err error
		if base, err = base.override("mapping pagination", raw); err != nil {
			return nil, err
		}
	}
	r := &resource{}
	sel := req.Selector
	for k := range sel {
		if !selectorKeys[k] {
			return nil, cfgErr("%s: unknown field %q (want endpoint, method, query_params, headers, body, data_path, pagination, path_parameters, allow_partial)", where, k)
		}
	}
	spec, err := s.parseSpec(where, req.Kind, sel, base, false)
	if err != nil {
		return nil, err
	}
	r.endpointSpec = *spec
	if raw, ok := sel["allow_partial"]; ok && raw != nil {
		b, ok := raw.(bool)
		if !ok {
			return nil, cfgErr("%s.allow_partial: want true or false", where)
		}
		if b && r.pag.maxPages == 0 {
			return nil, cfgErr("%s.allow_partial: true makes a pagination.max_pages cap deliberate, but no max_pages applies to %s; set pagination.max_pages or remove allow_partial", where, r.endpoint)
		}
		r.allowPartial = b
	}
	if raw, ok := sel["path_parameters"]; ok && raw != nil {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, cfgErr("%s.path_parameters: want an object {name: {endpoint, field, ...}}", where)
		}
		r.params = map[string]*endpointSpec{}
		for name, pv := range m {
			pw := where + ".path_parameters." + name
			pm, ok := pv.(map[string]any)
			if !ok {
				return nil, cfgErr("%s: want an object {endpoint, field, ...}", pw)
			}
			for k := range pm {
				if !paramKeys[k] {
					return nil, cfgErr("%s: unknown field %q (want endpoint, method, query_params, headers, body, data_path, pagination, field, filter)", pw, k)
				}
			}
			ep, _ := pm["endpoint"].(string)
			if strings.TrimSpace(ep) == "" {
				return nil, cfgErr("%s.endpoint is required: the endpoint whose records give %s's values", pw, name)
			}
			// A parent listing pages as its endpoint does elsewhere in
			// the mapping, unless it says otherwise; else as the
			// integration's default.
			pbase := base
			if _, own := pm["pagination"]; !own {
				if bp, ok := s.blockPagination(strings.TrimSpace(ep)); ok {
					pbase = bp
				}
			}
			ps, err := s.parseSpec(pw, ep, pm, pbase, true)
			if err != nil {
				return nil, err
			}
			r.params[name] = ps
		}
	}
	// Every placeholder must have a parameter, and no parameter may need
	// itself, directly or through others.
	var visit func(endpoint string, stack []string) error
	visit = func(endpoint string, stack []string) error {
		for _, name := range placeholders(endpoint) {
			for _, s := range stack {
				if s == name {
					return cfgErr("%s.path_parameters: %s needs itself (%s)", where, name, strings.Join(append(stack, name), " → "))
				}
			}
			p, ok := r.params[name]
			if !ok {
				return cfgErr("%s: endpoint %q has {%s} but path_parameters has no %q", where, endpoint, name, name)
			}
			if err := visit(p.endpoint, append(stack, name)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := visit(r.endpoint, nil); err != nil {
		return nil, err
	}
	return r, nil
}

func placeholders(endpoint string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range placeholderRE.FindAllStringSubmatch(endpoint, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

func (s *Source) parseSpec(where, kind string, m map[string]any, base pagination, isParam bool) (*endpointSpec, error) {
	sp := &endpointSpec{where: where, endpoint: kind, method: "GET"}
	str := func(k string) (string, error) {
		v, ok := m[k]
		if !ok || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", cfgErr("%s.%s: want a string", where, k)
		}
		return strings.TrimSpace(s), nil
	}
	obj := func(k string) (map[string]any, error) {
		v, ok := m[k]
		if !ok || v == nil {
			return nil, nil
		}
		o, ok := v.(map[string]any)
		if !ok {
			return nil, cfgErr("%s.%s: want an object", where, k)
		}
		return gojqValue(o).(map[string]any), nil
	}
	if ep, err := str("endpoint"); err != nil {
		return nil, err
	} else if ep != "" {
		sp.endpoint = ep
	}
	if mth, err := str("method"); err != nil {
		return nil, err
	} else if mth != "" {
		sp.method = strings.ToUpper(mth)
	}
	switch sp.method {
	case "GET", "POST", "PUT", "PATCH":
	default:
		// Ocean also allows DELETE; a sync must never call one.
		return nil, cfgErr("%s.method %q: want GET, POST, PUT or PATCH", where, sp.method)
	}
	q, err := obj("query_params")
	if err != nil {
		return nil, err
	}
	if sp.query, err = queryPairs(where+".query_params", q); err != nil {
		return nil, err
	}
	h, err := obj("headers")
	if err != nil {
		return nil, err
	}
	for _, k := range sortedKeys(h) {
		sp.headers = append(sp.headers, [2]string{k, scalarString(h[k])})
	}
	if sp.body, err = obj("body"); err != nil {
		return nil, err
	}
	dp, err := str("data_path")
	if err != nil {
		return nil, err
	}
	if sp.items, err = newItemsPath(sp.endpoint, where+".data_path", dp, s.log); err != nil {
		return nil, err
	}
	if sp.pag, err = base.override(where+".pagination", m["pagination"]); err != nil {
		return nil, cfgErr("%v", err)
	}
	if isParam {
		f, err := str("field")
		if err != nil {
			return nil, err
		}
		if f == "" {
			return nil, cfgErr("%s.field is required: JQ giving the value from each record, e.g. '.id'", where)
		}
		if sp.field, err = compileJQ(f); err != nil {
			return nil, cfgErr("%s.field %q: %v", where, f, err)
		}
		sp.fieldSrc = f
		flt, err := str("filter")
		if err != nil {
			return nil, err
		}
		if flt != "" {
			if sp.filter, err = compileJQ(flt); err != nil {
				return nil, cfgErr("%s.filter %q: %v", where, flt, err)
			}
		}
	}
	return sp, nil
}

// SelectorKeys lists the selector keys every kind reads, so the engine can
// answer a near miss (queryParams, dataPath) with "did you mean".
func (s *Source) SelectorKeys(kind string) []string {
	keys := make([]string, 0, len(selectorKeys))
	for k := range selectorKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ValidateRequest checks a block's selector and the mapping's pagination without
// a request, so a typo stops the run (exit 2) before anything is written.
func (s *Source) ValidateRequest(req integrations.Request) error {
	_, err := s.parse(req)
	return err
}

// binding is one placeholder value and the record it came from.
type binding struct {
	values map[string]string
	parent map[string]any
}

// Resync streams every item of the block's endpoint (once per combination of
// path-parameter values).
func (s *Source) Resync(ctx context.Context, req integrations.Request, emit integrations.Emit) error {
	r, err := s.parse(req)
	if err != nil {
		return err
	}
	var mu sync.Mutex // emit is not safe for concurrent use
	safeEmit := func(page []integrations.Item) error {
		mu.Lock()
		defer mu.Unlock()
		return emit(page)
	}
	// A listing capped on purpose (allow_partial) is not a failure: the
	// other listings go on, and Resync reports it once all are done.
	var partialOnce sync.Once
	var partial error
	noteCap := func(err error) error {
		if errors.Is(err, integrations.ErrPartialAllowed) {
			partialOnce.Do(func() { partial = err })
			return nil
		}
		return err
	}
	if len(placeholders(r.endpoint)) == 0 {
		err = noteCap(s.fetchItems(ctx, req, r, binding{}, safeEmit))
	} else {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(s.c.s.maxInFlight)
		err = s.expand(gctx, r, r.endpoint, binding{values: map[string]string{}}, noteCap, func(b binding) error {
			g.Go(func() error { return noteCap(s.fetchItems(gctx, req, r, b, safeEmit)) })
			return nil
		})
		if err != nil {
			cancel() // stop the leaves already started
		}
		if werr := g.Wait(); err == nil {
			err = werr
		}
	}
	if err == nil {
		err = partial
	}
	return err
}

// expand calls each with every binding that fills all of endpoint's
// placeholders, resolving the first unbound one from its parameter's
// records (after that parameter's own placeholders). noteCap records a
// parent listing capped on purpose and lets its records through.
func (s *Source) expand(ctx context.Context, r *resource, endpoint string, b binding, noteCap func(error) error, each func(binding) error) error {
	var name string
	for _, n := range placeholders(endpoint) {
		if _, ok := b.values[n]; !ok {
			name = n
			break
		}
	}
	if name == "" {
		return each(b)
	}
	p := r.params[name]
	// The parameter's endpoint first gets its own placeholders filled.
	return s.expand(ctx, r, p.endpoint, b, noteCap, func(pb binding) error {
		u, err := s.url(p, pb.values)
		if err != nil {
			return err
		}
		f := p.fetch(u, name, r.allowPartial)
		all, err := s.listing(ctx, f)
		if err = noteCap(err); err != nil {
			return fmt.Errorf("path parameter %s (%s): %w", name, p.endpoint, err)
		}
		var records []map[string]any
		for _, it := range all {
			rec, ok := it.(map[string]any)
			if !ok {
				rec = map[string]any{"value": it}
			}
			if p.filter != nil {
				v, err := jqFirst(ctx, p.filter, rec)
				if err != nil {
					return fmt.Errorf("path parameter %s (%s): %s.filter: %v", name, p.endpoint, p.where, err)
				}
				if v != true {
					continue
				}
			}
			records = append(records, rec)
		}
		// Each record's subtree (the next placeholder's records, or the
		// leaf fetches) proceeds concurrently; requests stay bounded by
		// the client's limit.
		lg, lctx := errgroup.WithContext(ctx)
		lg.SetLimit(s.c.s.maxInFlight)
		for _, rec := range records {
			v, err := jqFirst(ctx, p.field, rec)
			if err != nil {
				_ = lg.Wait()
				return fmt.Errorf("%s.field %q: %v", p.where, p.fieldSrc, err)
			}
			val := scalarString(v)
			if v == nil || val == "" {
				s.log.Warn("path parameter value is empty; record skipped", "parameter", name, "field", p.fieldSrc)
				continue
			}
			nb := binding{values: make(map[string]string, len(pb.values)+1), parent: rec}
			for k, v := range pb.values {
				nb.values[k] = v
			}
			nb.values[name] = val
			if pb.parent != nil {
				withParent := make(map[string]any, len(rec)+1)
				for k, v := range rec {
					withParent[k] = v
				}
				withParent["__parent"] = pb.parent
				nb.parent = withParent
			}
			lg.Go(func() error { return s.expand(lctx, r, endpoint, nb, noteCap, each) })
		}
		return lg.Wait()
	})
}

// listing returns the whole listing of f, fetched once per run however
// many blocks and path parameters read it (and whichever asks first). A
// capped listing (ErrPartialAllowed) comes with the items it holds. A
// listing cut short by its first reader's cancellation is fetched again
// for the next.
func (s *Source) listing(ctx context.Context, f fetch) ([]any, error) {
	key := f.key()
	for {
		s.mu.Lock()
		if s.listings == nil {
			s.listings = map[string]*listing{}
		}
		l, ok := s.listings[key]
		if !ok {
			l = &listing{done: make(chan struct{})}
			s.listings[key] = l
		}
		s.mu.Unlock()
		if !ok {
			l.err = s.c.pages(ctx, f, func(items []any) error {
				l.items = append(l.items, items...)
				return nil
			})
			if l.err != nil && ctx.Err() != nil {
				s.mu.Lock()
				delete(s.listings, key)
				s.mu.Unlock()
			}
			close(l.done)
			return l.items, l.err
		}
		select {
		case <-l.done:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
		if l.err != nil && !errors.Is(l.err, integrations.ErrPartialAllowed) && ctx.Err() == nil && errors.Is(l.err, context.Canceled) {
			continue // its reader was cancelled; this one is not
		}
		return l.items, l.err
	}
}

// blockPagination returns the pagination a resource block gives endpoint.
func (s *Source) blockPagination(endpoint string) (pagination, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.blockPag[endpoint]
	return p, ok
}

// Plan learns, from every resource block of the mapping before any is
// fetched, the pagination each block gives its endpoint (a path
// parameter listing that endpoint pages the same way) and which listings
// path parameters read (each is then fetched once per run, and a block
// listing the same endpoint reuses it).
func (s *Source) Plan(reqs []integrations.Request) error {
	pags := map[string]pagination{}
	for _, req := range reqs {
		r, err := s.parse(req)
		if err != nil {
			return err
		}
		if _, seen := pags[r.endpoint]; !seen && len(placeholders(r.endpoint)) == 0 {
			pags[r.endpoint] = r.pag
		}
	}
	s.mu.Lock()
	s.blockPag = pags
	s.mu.Unlock()
	parents := map[string]bool{}
	for _, req := range reqs {
		r, err := s.parse(req)
		if err != nil {
			return err
		}
		for _, p := range r.params {
			if len(placeholders(p.endpoint)) > 0 {
				continue
			}
			u, err := s.url(p, nil)
			if err != nil {
				return err
			}
			f := p.fetch(u, "", r.allowPartial)
			parents[f.key()] = true
		}
	}
	s.mu.Lock()
	s.parents = parents
	s.mu.Unlock()
	return nil
}

// CheckCredentials asks, before anything is written, for the token (custom
// auth: a 400, 401 or 403 from the token request is a credentials error)
// and then the first page of the first block's endpoint (or of its first
// parent listing): one request more per run, none when that listing is a
// shared parent listing (read once per run anyway, and kept). A 401 there is a credentials
// error. A 403 is not: an API's permissions differ by endpoint, so it
// fails only the blocks of that endpoint. Anything else is left for the
// blocks to report.
func (s *Source) CheckCredentials(ctx context.Context, reqs []integrations.Request) error {
	if s.c.s.auth.custom != nil {
		if _, err := s.c.current(ctx); errors.Is(err, integrations.ErrCredentials) {
			return err
		}
	}
	for _, req := range reqs {
		r, err := s.parse(req)
		if err != nil {
			continue
		}
		sp := &r.endpointSpec
		for _, name := range placeholders(r.endpoint) {
			if p := r.params[name]; p != nil && len(placeholders(p.endpoint)) == 0 {
				sp = p
				break
			}
		}
		if len(placeholders(sp.endpoint)) > 0 {
			continue
		}
		u, err := s.url(sp, nil)
		if err != nil {
			continue
		}
		f := sp.fetch(u, sp.endpoint, r.allowPartial)
		s.mu.Lock()
		shared := s.parents[f.key()]
		s.mu.Unlock()
		if shared {
			// A listing read once per run anyway: the check reads it,
			// and the blocks then reuse it.
			_, err = s.listing(ctx, f)
		} else {
			f.pag.maxPages, f.allowPartial = 1, true
			err = s.c.pages(ctx, f, func([]any) error { return nil })
		}
		if errors.Is(err, integrations.ErrCredentials) {
			return err
		}
		return nil
	}
	return nil
}

// url builds a spec's URL with its placeholders filled and its query.
func (s *Source) url(sp *endpointSpec, values map[string]string) (*url.URL, error) {
	ep := placeholderRE.ReplaceAllStringFunc(sp.endpoint, func(m string) string {
		return url.PathEscape(values[m[1:len(m)-1]])
	})
	u, err := s.c.resolve(ep, false)
	if err != nil {
		return nil, cfgErr("%s: %v", sp.where, err)
	}
	if len(sp.query) > 0 {
		q := u.Query()
		for _, p := range sp.query {
			q.Add(p[0], p[1])
		}
		u.RawQuery = q.Encode()
	}
	return u, nil
}

func (s *Source) fetchItems(ctx context.Context, req integrations.Request, r *resource, b binding, emit integrations.Emit) error {
	u, err := s.url(&r.endpointSpec, b.values)
	if err != nil {
		return err
	}
	f := r.fetch(u, r.endpoint, r.allowPartial)
	onPage := func(items []any) error {
		page := make([]integrations.Item, 0, len(items))
		for i, it := range items {
			m, ok := it.(map[string]any)
			if !ok {
				return fmt.Errorf("item %d is a JSON %s, not an object; point data_path at an array of objects", i, jsonx.TypeName(it))
			}
			if b.parent != nil {
				m["__parent"] = b.parent
				pp := make(map[string]any, len(b.values))
				for k, v := range b.values {
					pp[k] = v
				}
				m["__path_parameters"] = pp
			}
			page = append(page, m)
		}
		return emit(page)
	}
	s.mu.Lock()
	shared := s.parents[f.key()]
	s.mu.Unlock()
	if shared && b.parent == nil {
		// A path parameter reads this listing too: one fetch serves both.
		// The items are copies, since the parameter's records stay shared.
		all, lerr := s.listing(ctx, f)
		if lerr != nil && !errors.Is(lerr, integrations.ErrPartialAllowed) {
			return lerr
		}
		for start := 0; start < len(all); start += sharedPage {
			chunk := all[start:min(start+sharedPage, len(all))]
			copies := make([]any, len(chunk))
			for i, it := range chunk {
				if m, ok := it.(map[string]any); ok {
					it = maps.Clone(m)
				}
				copies[i] = it
			}
			if err := onPage(copies); err != nil {
				return err
			}
		}
		return lerr
	}
	// Only the block reads this listing: its records need only what the
	// run's mapping reads.
	f.proj, f.itemKeys = r.projection(req.Items)
	err = s.c.pages(ctx, f, onPage)
	if err != nil && len(b.values) > 0 {
		return fmt.Errorf("%s: %w", u.Path, err)
	}
	return err
}

// sharedPage is the page size a shared listing is emitted in.
const sharedPage = 100
