// Package port is the client for Port's REST API: auth, integration object,
// blueprints, paged entity search, bulk upsert and bulk delete.
package port

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/tide-sync/tide/internal/httpx"
	"github.com/tide-sync/tide/internal/secret"
)

// Config configures a Client.
type Config struct {
	// BaseURL is the API root without /v1, e.g. https://api.port.io.
	BaseURL      string
	ClientID     string
	ClientSecret string
	// IntegrationType, IntegrationID and Version make up the User-Agent
	// (docs/ocean-compatibility.md#ownership):
	// port-ocean/<type>/tide-<version>/<id>[/exporter].
	IntegrationType string
	IntegrationID   string
	Version         string
	// HTTPClient sends the requests; nil: a transport with a connection
	// per request in flight.
	HTTPClient *http.Client
	Logger     *slog.Logger // nil: discard
	// Secrets receives the access token the moment it is fetched; errors
	// are redacted against it.
	Secrets *secret.Set
	// Timeout bounds one attempt (--http-timeout); 0: httpx's default.
	Timeout time.Duration
	// Retry tunes the shared client's retry policy (attempts, delays,
	// clock); zero fields take its defaults. API, RateLimit, HTTPClient,
	// Secrets and Logger are set by New.
	Retry httpx.Options
}

// ErrAuth is wrapped by errors of the token endpoint (401/403): bad
// credentials. The CLI exits 2.
var ErrAuth = errors.New("port authentication failed")

// ErrNotFound is matched (errors.Is) by an *APIError with status 404.
var ErrNotFound = errors.New("not found")

// APIError is a non-2xx answer from Port. Its text never holds a secret.
type APIError struct {
	Method  string
	Path    string // path without query
	Status  int
	Code    string // the "error" field
	Message string
	TraceID string
	// Retries says how the retries ended, e.g. "(gave up after 6 attempts)".
	Retries string
}

// Entity is an entity as Port returns it.
type Entity struct {
	Identifier string         `json:"identifier"`
	Blueprint  string         `json:"blueprint"`
	Title      any            `json:"title,omitempty"`
	Icon       any            `json:"icon,omitempty"`
	Team       any            `json:"team,omitempty"`
	Properties map[string]any `json:"properties,omitempty"`
	Relations  map[string]any `json:"relations,omitempty"`
}

// EntityRef names an entity.
type EntityRef struct {
	Identifier string `json:"identifier"`
	Blueprint  string `json:"blueprint"`
}

// SearchRequest is the body of POST /v1/blueprints/{bp}/entities/search
// without paging fields (the client pages with limit 1000).
type SearchRequest struct {
	Query   map[string]any `json:"query,omitempty"`
	Include []string       `json:"include,omitempty"`
}

// DatasourceQuery is the body of POST /v1/blueprints/entities/datasource-entities
// without paging fields (the client pages with limit 5000).
type DatasourceQuery struct {
	Prefix string    // datasource_prefix
	Suffix string    // datasource_suffix
	Before time.Time // zero: omitted
}

// UpsertOptions are the bulk/single upsert query flags.
type UpsertOptions struct {
	Merge                        bool
	CreateMissingRelatedEntities bool
	ResyncID                     string // ocean_info_resync_id; "" omits it
}

// UpsertResult is the outcome of one entity of a BulkUpsert call, at the
// same index as the input.
type UpsertResult struct {
	Identifier string // as Port returned it (resolves search identifiers)
	Created    bool
	Err        error // nil on success; *APIError-like per-entity error otherwise
}

// Integration is the integration object.
type Integration struct {
	Identifier          string          `json:"identifier,omitempty"`
	InstallationID      string          `json:"installationId,omitempty"`
	InstallationAppType string          `json:"installationAppType,omitempty"`
	Version             string          `json:"version,omitempty"`
	Config              json.RawMessage `json:"config,omitempty"`
	ResyncState         *ResyncState    `json:"resyncState,omitempty"`
	UpdatedAt           string          `json:"updatedAt,omitempty"` // set by Port
}

// ResyncState is the body of PATCH /v1/integration/{id}/resync-state.
type ResyncState struct {
	Status          string  `json:"status"` // running | completed | failed | aborted
	LastResyncStart *string `json:"lastResyncStart,omitempty"`
	LastResyncEnd   *string `json:"lastResyncEnd"`
	NextResync      *string `json:"nextResync"`
	// IntervalInMinutes is sent under Port's misspelt wire key.
	IntervalInMinutes *int `json:"intervalInMinuets"`
}
