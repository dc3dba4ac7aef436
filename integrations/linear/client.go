package linear

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/httpx"
	"github.com/tide-sync/tide/internal/secret"
)

// client sends GraphQL queries to Linear through the shared HTTP client.
type client struct {
	hx      *httpx.Client
	url     string
	auth    string // the Authorization header
	secrets *secret.Set
}

func newClient(u string, cfg Config) *client {
	auth := authHeader(cfg.APIKey)
	// The run's secret set, so the key is redacted from every output and
	// masked in CI; a Source built alone gets its own.
	secrets := cfg.Settings.Secrets
	if secrets == nil {
		secrets = secret.New()
	}
	secrets.Add(cfg.APIKey, auth, strings.TrimPrefix(auth, "Bearer "))
	return &client{
		url: u, auth: auth, secrets: secrets,
		hx: httpx.New(httpx.Options{
			API:         "linear",
			HTTPClient:  cfg.Settings.HTTPClient,
			RateLimit:   httpx.Linear,
			UserAgent:   "tide-linear",
			Timeout:     cfg.Settings.HTTPTimeout,
			MaxBody:     cfg.Settings.ResponseLimit(),
			MaxBodyFlag: "--max-response-size",
			Clock:       cfg.Clock,
			Secrets:     secrets,
			Logger:      cfg.Settings.Logger,
		}),
	}
}

// authHeader is the Authorization value for key: a personal API key goes
// as it is (Linear wants no scheme for those); an OAuth access token goes
// as Bearer.
func authHeader(key string) string {
	switch {
	case len(key) > 7 && strings.EqualFold(key[:7], "bearer "):
		return "Bearer " + strings.TrimSpace(key[7:])
	case strings.HasPrefix(key, "lin_oauth_"):
		return "Bearer " + key
	}
	return key
}

// keyWhere names the settings to check when Linear refuses the key.
const keyWhere = "--linear-api-key (TIDE_LINEAR_API_KEY, LINEAR_API_KEY or OCEAN__INTEGRATION__CONFIG__LINEAR_API_KEY)"

// query sends one GraphQL query and returns its data. GraphQL errors are
// an error whatever the status: a 200 carrying errors is no answer (its
// data may be partial or null). A 401, or an AUTHENTICATION_ERROR in
// any answer, is Linear refusing the key (integrations.ErrCredentials).
func (c *client) query(ctx context.Context, q string, vars map[string]any) (map[string]any, error) {
	body, err := json.Marshal(map[string]any{"query": q, "variables": vars})
	if err != nil {
		return nil, err
	}
	resp, err := c.hx.Do(ctx, httpx.Request{
		Method: http.MethodPost, URL: c.url, Body: body,
		Header: http.Header{"Authorization": {c.auth}},
	})
	if err != nil {
		var se *httpx.StatusError
		if errors.As(err, &se) && (se.Status == http.StatusUnauthorized || httpx.GraphQLErrorCode(se.Body, "AUTHENTICATION_ERROR")) {
			return nil, integrations.CredentialsError(keyWhere, fmt.Errorf("Linear rejected the API key: %w", err))
		}
		return nil, err
	}
	v, err := resp.JSON()
	if err != nil {
		return nil, fmt.Errorf("linear: %s: %w", httpx.DisplayPath(c.url), err)
	}
	ans, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("linear: %s: the answer is no GraphQL answer (a JSON object)", httpx.DisplayPath(c.url))
	}
	if errs, _ := ans["errors"].([]any); len(errs) > 0 || (ans["errors"] != nil && errs == nil) {
		msg := c.secrets.Redact(graphQLErrors(ans["errors"]))
		if httpx.GraphQLErrorCode(resp.Body, "AUTHENTICATION_ERROR") {
			return nil, integrations.CredentialsError(keyWhere, fmt.Errorf("Linear rejected the API key: %s", msg))
		}
		return nil, fmt.Errorf("linear: %s: %d answer with GraphQL errors: %s", httpx.DisplayPath(c.url), resp.Status, msg)
	}
	data, ok := ans["data"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("linear: %s: the answer has no data", httpx.DisplayPath(c.url))
	}
	return data, nil
}

// graphQLErrors renders a GraphQL errors array: each message with its
// extensions.code.
func graphQLErrors(v any) string {
	list, ok := v.([]any)
	if !ok {
		return fmt.Sprintf("%v", v)
	}
	var parts []string
	for _, e := range list {
		m, _ := e.(map[string]any)
		msg, _ := m["message"].(string)
		if ext, ok := m["extensions"].(map[string]any); ok {
			if code, ok := ext["code"].(string); ok && code != "" {
				msg += " (" + code + ")"
			}
		}
		parts = append(parts, msg)
	}
	s := strings.Join(parts, "; ")
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

// connection streams the nodes of the connection at data.<root>, page by
// page, to fn.
func (c *client) connection(ctx context.Context, q, root string, vars map[string]any, fn func(page int, nodes []map[string]any) error) error {
	return c.pages(ctx, q, []string{root}, vars, func(n int, edges []any) error {
		nodes := make([]map[string]any, len(edges))
		for i, e := range edges {
			edge, _ := e.(map[string]any)
			node, ok := edge["node"].(map[string]any)
			if !ok {
				return fmt.Errorf("page %d: %s edge %d has no node", n, root, i)
			}
			nodes[i] = node
		}
		return fn(n, nodes)
	})
}

// pages follows the connection at path in the answers to q, from
// vars["after"] (nil: the start), while pageInfo says more pages follow,
// giving each page's edges to fn. A page that says more follow without a
// new cursor is an error, never the end.
func (c *client) pages(ctx context.Context, q string, path []string, vars map[string]any, fn func(page int, edges []any) error) error {
	v := make(map[string]any, len(vars)+1)
	for k, x := range vars {
		v[k] = x
	}
	where := strings.Join(path, ".")
	seen := map[string]bool{}
	for n := 1; ; n++ {
		data, err := c.query(ctx, q, v)
		if err != nil {
			return fmt.Errorf("%s page %d: %w", where, n, err)
		}
		var conn any = data
		for _, p := range path {
			m, _ := conn.(map[string]any)
			conn = m[p]
		}
		m, ok := conn.(map[string]any)
		if !ok {
			return fmt.Errorf("%s page %d: the answer has no %s connection", where, n, where)
		}
		edges, next, cursor, err := readConnection(m)
		if err != nil {
			return fmt.Errorf("%s page %d: %w", where, n, err)
		}
		if err := fn(n, edges); err != nil {
			return err
		}
		if !next {
			return nil
		}
		if seen[cursor] {
			return fmt.Errorf("%s page %d: endCursor %q was already followed: the listing loops", where, n, cursor)
		}
		seen[cursor] = true
		v["after"] = cursor
	}
}

// readConnection reads a connection's edges and pageInfo.
func readConnection(conn map[string]any) (edges []any, next bool, endCursor string, err error) {
	edges, ok := conn["edges"].([]any)
	if !ok {
		return nil, false, "", errors.New("the connection has no edges")
	}
	info, ok := conn["pageInfo"].(map[string]any)
	if !ok {
		return nil, false, "", errors.New("the connection has no pageInfo: it cannot say whether more pages follow")
	}
	next, ok = info["hasNextPage"].(bool)
	if !ok {
		return nil, false, "", errors.New("pageInfo has no hasNextPage")
	}
	if !next {
		return edges, false, "", nil
	}
	endCursor, _ = info["endCursor"].(string)
	if endCursor == "" {
		return nil, false, "", errors.New("pageInfo says more pages follow but gives no endCursor")
	}
	if len(edges) == 0 {
		return nil, false, "", errors.New("an empty page says more pages follow")
	}
	return edges, true, endCursor, nil
}
