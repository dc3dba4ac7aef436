package port

// STUB: the port-client helper replaces this file with the implementation,
// keeping these signatures.

import (
	"context"
	"encoding/json"
)

// Client talks to one Port organisation. Safe for concurrent use.
type Client struct{}

// New builds a Client.
func New(cfg Config) *Client { panic("TODO") }

func (e *APIError) Error() string { panic("TODO") }

// Authenticate fetches a token (cached for later calls). A 401/403 wraps ErrAuth.
func (c *Client) Authenticate(ctx context.Context) error { panic("TODO") }

// GetIntegration returns the integration object; ErrNotFound when absent.
func (c *Client) GetIntegration(ctx context.Context, id string) (*Integration, error) { panic("TODO") }

// CreateIntegration creates the integration object (POST /v1/integration).
func (c *Client) CreateIntegration(ctx context.Context, in Integration) (*Integration, error) {
	panic("TODO")
}

// PatchIntegration patches the integration object with fields.
func (c *Client) PatchIntegration(ctx context.Context, id string, fields map[string]any) (*Integration, error) {
	panic("TODO")
}

// PatchResyncState reports the run state.
func (c *Client) PatchResyncState(ctx context.Context, id string, st ResyncState) error {
	panic("TODO")
}

// GetBlueprint returns a blueprint as raw JSON object; ErrNotFound when absent.
func (c *Client) GetBlueprint(ctx context.Context, id string) (map[string]any, error) { panic("TODO") }

// CreateBlueprint creates a blueprint (POST /v1/blueprints?create_catalog_page=false... as given).
func (c *Client) CreateBlueprint(ctx context.Context, bp map[string]any) error { panic("TODO") }

// PatchBlueprint patches a blueprint.
func (c *Client) PatchBlueprint(ctx context.Context, id string, fields map[string]any) error {
	panic("TODO")
}

// SearchEntities pages POST /v1/blueprints/{bp}/entities/search (limit 1000,
// from/next) and calls fn with each page.
func (c *Client) SearchEntities(ctx context.Context, blueprint string, req SearchRequest, fn func([]Entity) error) error {
	panic("TODO")
}

// DatasourceEntities pages POST /v1/blueprints/entities/datasource-entities
// (limit 5000, from/next) and calls fn with each page.
func (c *Client) DatasourceEntities(ctx context.Context, q DatasourceQuery, fn func([]EntityRef) error) error {
	panic("TODO")
}

// BulkUpsert upserts entities (each a JSON object) of one blueprint, split
// into requests of ≤20 entities and ≤1 MiB, with 413 falling back to single
// upserts. It returns one result per input, in order. The error is non-nil
// only when the whole call could not be attempted (e.g. ctx cancelled).
func (c *Client) BulkUpsert(ctx context.Context, blueprint string, entities []json.RawMessage, opts UpsertOptions) ([]UpsertResult, error) {
	panic("TODO")
}

// BulkDelete deletes identifiers of one blueprint in requests of ≤100 and
// returns the identifiers Port reports deleted.
func (c *Client) BulkDelete(ctx context.Context, blueprint string, ids []string, deleteDependents bool, resyncID string) ([]string, error) {
	panic("TODO")
}
