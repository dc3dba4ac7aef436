// Package linear syncs Linear teams, issue labels and issues over Linear's
// GraphQL API, yielding the nodes Ocean's Linear integration yields (the
// same fields, Linear's own names), so Ocean's Linear mappings work
// unchanged.
//
// Every kind is a GraphQL connection read with pageInfo cursors; page size
// and cursor travel as GraphQL variables. A label's children are a nested
// connection: when a label has more children than the first page holds,
// the rest are fetched, so childLabels is never cut short. Archived items
// are left out (Linear's default, as in Ocean), so an issue archived in
// Linear is deleted from Port by the next run.
//
// Errors: GraphQL errors in a 200 answer fail the block (never an empty
// page); RATELIMITED answers are waited out and retried (internal/httpx's
// Linear adapter reads the requests and complexity budgets); a 400 with a
// query error fails the block; a key Linear rejects is a credentials
// error (exit 2) naming --linear-api-key, found before anything is
// written by asking Linear for the key's viewer.
package linear

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/httpx"
)

//go:embed resources/*
var resources embed.FS

// DefaultURL is Linear's GraphQL endpoint.
const DefaultURL = "https://api.linear.app/graphql"

// DefaultPageSize is the connection page size (Ocean's, and Linear's own
// default).
const DefaultPageSize = 50

// MaxPageSize is the largest page Linear serves.
const MaxPageSize = 250

var kinds = []string{"team", "label", "issue"}

// Definition returns the Linear integration.
func Definition() integrations.Definition {
	return integrations.Definition{
		Type:    "linear",
		Summary: "Linear teams, issue labels and issues (GraphQL)",
		Kinds:   slices.Clone(kinds),
		Params: []integrations.Param{
			{Name: "linear-api-key", Usage: "Linear personal API key (lin_api_...), sent as is; an OAuth access token is sent as Bearer (give it as \"Bearer TOKEN\" or as lin_oauth_...)", Secret: true, Env: []string{"LINEAR_API_KEY"}},
			{Name: "linear-url", Usage: "Linear GraphQL endpoint", Default: DefaultURL},
			{Name: "linear-page-size", Usage: fmt.Sprintf("items per GraphQL page (1-%d)", MaxPageSize), Default: strconv.Itoa(DefaultPageSize)},
		},
		Selectors: selectorFields(),
		Resources: integrations.Resources(resources),
		New: func(s integrations.Settings) (integrations.Source, error) {
			cfg, err := configFrom(s.Values)
			if err != nil {
				return nil, err
			}
			cfg.Settings = s
			return New(cfg)
		},
	}
}

// Config is what a Source is built from.
type Config struct {
	URL      string
	APIKey   string
	PageSize int
	// Settings carries the HTTP client, logger, the run's secret set and
	// --http-timeout (Values are ignored).
	Settings integrations.Settings
	// Clock is the HTTP client's clock (tests record the waits it
	// chooses); nil is the wall clock.
	Clock httpx.Clock
}

func configFrom(v integrations.Values) (Config, error) {
	cfg := Config{URL: v.Get("linear-url"), APIKey: strings.TrimSpace(v.Get("linear-api-key")), PageSize: DefaultPageSize}
	if p := strings.TrimSpace(v.Get("linear-page-size")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > MaxPageSize {
			return cfg, fmt.Errorf("%w: --linear-page-size (TIDE_LINEAR_PAGE_SIZE) %q: want a whole number from 1 to %d", integrations.ErrConfig, p, MaxPageSize)
		}
		cfg.PageSize = n
	}
	return cfg, nil
}

// Source streams Linear items. Safe for concurrent use by the resource
// blocks of one run.
type Source struct {
	c        *client
	pageSize int
}

// New validates cfg and builds a Source. It makes no request.
func New(cfg Config) (*Source, error) {
	if cfg.APIKey == "" {
		return nil, fmt.Errorf("%w: a Linear API key is required: --linear-api-key (TIDE_LINEAR_API_KEY, LINEAR_API_KEY or OCEAN__INTEGRATION__CONFIG__LINEAR_API_KEY)", integrations.ErrConfig)
	}
	raw := strings.TrimSpace(cfg.URL)
	if raw == "" {
		raw = DefaultURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%w: --linear-url (TIDE_LINEAR_URL) %q: want an http(s) URL like %s", integrations.ErrConfig, raw, DefaultURL)
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.PageSize < 1 || cfg.PageSize > MaxPageSize {
		return nil, fmt.Errorf("%w: --linear-page-size %d: want 1 to %d", integrations.ErrConfig, cfg.PageSize, MaxPageSize)
	}
	return &Source{c: newClient(u.String(), cfg), pageSize: cfg.PageSize}, nil
}

// ValidateRequest checks a resource block's kind before anything is
// fetched.
func (s *Source) ValidateRequest(req integrations.Request) error {
	if !slices.Contains(kinds, req.Kind) {
		return fmt.Errorf("kind %q: %w (the linear integration offers: %s)", req.Kind, integrations.ErrUnknownKind, strings.Join(kinds, ", "))
	}
	return nil
}

// SelectorKeys lists the selector keys a kind reads besides query (none,
// as in Ocean); the engine warns about any other key a block sets.
func (s *Source) SelectorKeys(kind string) []string { return fieldNames(selectorFields()[kind]) }

// Requests returns how many HTTP requests the Source has sent.
func (s *Source) Requests() int64 { return s.c.hx.Stats().Requests }

// CheckCredentials asks Linear whose key this is (`viewer { id }`) before
// anything is written: one small query per run, which Linear answers only
// to a valid key. A refusal (a 401 or an AUTHENTICATION_ERROR) is
// returned; anything else is left for the blocks to report.
func (s *Source) CheckCredentials(ctx context.Context, _ []integrations.Request) error {
	if _, err := s.c.query(ctx, viewerQuery, nil); errors.Is(err, integrations.ErrCredentials) {
		return err
	}
	return nil
}

// Resync streams every item of req.Kind, page by page.
func (s *Source) Resync(ctx context.Context, req integrations.Request, emit integrations.Emit) error {
	if err := s.ValidateRequest(req); err != nil {
		return err
	}
	var err error
	switch req.Kind {
	case "team":
		err = s.c.connection(ctx, teamsQuery, "teams", map[string]any{"first": s.pageSize}, emitNodes(emit))
	case "label":
		err = s.labels(ctx, emit)
	case "issue":
		err = s.c.connection(ctx, issuesQuery, "issues", map[string]any{"first": s.pageSize}, emitNodes(emit))
	}
	if err != nil {
		return fmt.Errorf("kind %q: %w", req.Kind, err)
	}
	return nil
}

func emitNodes(emit integrations.Emit) func(int, []map[string]any) error {
	return func(_ int, nodes []map[string]any) error {
		page := make([]integrations.Item, len(nodes))
		for i, n := range nodes {
			page[i] = n
		}
		return emit(page)
	}
}

// childPageSize is the first page of a label's children fetched with the
// label: small, since a page of labels costs its size times this in
// Linear's query complexity; the rest come by the label's own connection.
const childPageSize = 25

// labels streams issue labels, each with all of its children.
func (s *Source) labels(ctx context.Context, emit integrations.Emit) error {
	vars := map[string]any{"first": s.pageSize, "childrenFirst": min(childPageSize, s.pageSize)}
	return s.c.connection(ctx, labelsQuery, "issueLabels", vars, func(n int, nodes []map[string]any) error {
		for _, label := range nodes {
			if err := s.completeChildren(ctx, label); err != nil {
				return fmt.Errorf("page %d: %w", n, err)
			}
		}
		return emitNodes(emit)(n, nodes)
	})
}

// completeChildren follows a label's children connection past its first
// page, appending the edges, so the item holds every child.
func (s *Source) completeChildren(ctx context.Context, label map[string]any) error {
	id, _ := label["id"].(string)
	children, ok := label["children"].(map[string]any)
	if !ok {
		return fmt.Errorf("label %q: the answer has no children connection", id)
	}
	edges, next, cursor, err := readConnection(children)
	if err != nil {
		return fmt.Errorf("label %q: children: %w", id, err)
	}
	if !next {
		return nil
	}
	if id == "" {
		return fmt.Errorf("a label without an id has more children to fetch")
	}
	vars := map[string]any{"id": id, "first": s.pageSize, "after": cursor}
	err = s.c.pages(ctx, labelChildrenQuery, []string{"issueLabel", "children"}, vars, func(_ int, more []any) error {
		edges = append(edges, more...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("label %q: children: %w", id, err)
	}
	children["edges"] = edges
	children["pageInfo"] = map[string]any{"hasNextPage": false, "endCursor": nil}
	return nil
}
