// Package integrations defines the contract every vendor integration meets
// and the registry the CLI looks integrations up in.
package integrations

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/tide-sync/tide/internal/jsonx"
	"github.com/tide-sync/tide/internal/secret"
)

// Item is one raw vendor object, decoded from JSON: the vendor's own field
// names plus Ocean's "__"-prefixed enrichment keys.
type Item = map[string]any

// Emit receives one page of raw items. It returns an error when the run is
// cancelled or downstream failed; the handler must then stop and return it.
//
// Emit is called from one goroutine at a time and never after Resync
// returns. The engine enforces both: concurrent calls are serialised, and a
// call after the return is refused with an error and logged as a bug.
type Emit func(page []Item) error

// Request is what a resource block asks of a kind's resync handler.
type Request struct {
	// Kind is the resource block's kind.
	Kind string
	// Selector holds the block's selector fields other than query, passed
	// through unchanged (e.g. GitHub's includedFiles).
	Selector map[string]any
	// Config holds the mapping's unknown top-level keys (e.g. repositoryType).
	Config map[string]any
	// Notice, when set, tells the run's reports something the handler
	// found that is not an error but changes what is synced (a glob that
	// matched no file). It is safe for concurrent use.
	Notice func(msg string)
	// Items, when set, is all of each item the run reads: the union of
	// the footprints of the blocks sharing this fetch
	// (mapping.Block.Footprint) and the keys the engine reads itself. A
	// handler may then decode only that (jsonx.DecodeProjected); what it
	// reads from items itself (path-parameter records, cursors) it must
	// still decode whole. nil means whole items, as commands that show
	// raw items ask (docs/architecture.md#projection-decoding).
	Items *jsonx.Projection
}

// Source streams the raw items of one configured integration.
type Source interface {
	// Resync streams every item of req.Kind page by page through emit, or
	// returns an error: it delivers the whole listing or fails. A refused
	// or failed vendor call, a page cap reached, an answer saying more
	// pages exist that were not fetched, an empty body, a truncated listing
	// or a 404 mid-pagination is an error, never a shorter result, since
	// the engine deletes whatever was not delivered (and nothing after a
	// failed handler).
	Resync(ctx context.Context, req Request, emit Emit) error
}

// RequestValidator is implemented by a Source that can check a resource
// block's selector and the mapping's top-level keys before anything is
// fetched or written; the engine then reports a bad selector as a
// configuration error (exit 2) instead of a failed block.
type RequestValidator interface {
	ValidateRequest(req Request) error
}

// Planner is implemented by a Source that wants to see every resource
// block of the mapping (selected by --kinds or not) before any is fetched:
// the custom integration learns there how each endpoint pages, so a path
// parameter listing the same endpoint pages the same way, and which
// listings several blocks share, so each is fetched once per run. The
// engine calls Plan once, after validating the requests; an error is a
// configuration error (exit 2).
type Planner interface {
	Plan(reqs []Request) error
}

// SelectorKeyer is implemented by a Source that knows every selector key
// a kind reads (besides query): the engine then rejects a near miss of one
// with "did you mean" (exit 2) and warns about any other unknown key, which
// Ocean would ignore without a word.
type SelectorKeyer interface {
	SelectorKeys(kind string) []string
}

// ValueResolver is implemented by a Source that resolves mapping values
// written as references instead of JQ, such as Ocean's `file://PATH` (the
// content of a file in the item's repository) and
// `search://scope=blobs&query=...` (whether a code search finds it). A
// mapping that uses a prefix its integration does not resolve is a
// configuration error naming the field.
type ValueResolver interface {
	// ValuePrefixes lists the prefixes it resolves, e.g. "file://".
	ValuePrefixes() []string
	// ResolveValues returns, for each item of one page (in order), the
	// value of each reference, keyed by the reference as written; a value
	// that does not exist (a missing file) is nil. An error fails the
	// resource block, as a failed fetch does: the engine deletes nothing.
	ResolveValues(ctx context.Context, req Request, items []Item, refs []string) ([]map[string]any, error)
}

// ErrUnknownKind is returned (wrapped) by Resync for a kind the integration
// does not offer.
var ErrUnknownKind = errors.New("unknown kind")

// ErrConfig marks an error in the integration's parameters; the CLI exits 2.
var ErrConfig = errors.New("invalid configuration")

// ErrIncomplete marks a listing that stopped before its end: a page cap
// reached, an answer saying more pages exist that were not fetched, an
// empty body, a truncated listing, a 404 in the middle of a pagination, a
// missing directory. Its block fails, so nothing is deleted on its account.
var ErrIncomplete = errors.New("incomplete listing")

// ErrPartialAllowed marks a listing its selector capped on purpose (the
// custom integration's allow_partial: true with max_pages): the items
// delivered are synced, but what was not listed cannot be told from what
// is gone, so the engine does not prune the block's blueprint and the run
// ends "blocked" (exit 3). Return it (wrapped, naming the cap) from Resync
// after every delivered page.
var ErrPartialAllowed = errors.New("listing capped on purpose (allow_partial)")

// ErrCredentials marks the vendor refusing the configured credentials: a
// 401, or a 403 on the first request of a run (before any listing, a 403
// means the credentials reach nothing). The CLI exits 2. Build it with
// CredentialsError, which names the flags and env vars to check.
var ErrCredentials = errors.New("the vendor rejected the credentials")

// CredentialsError wraps err (the vendor's answer) in ErrCredentials,
// naming what to check, e.g. "--github-token / GITHUB_TOKEN".
func CredentialsError(check string, err error) error {
	return fmt.Errorf("%w (check %s): %w", ErrCredentials, check, err)
}

// CredentialChecker is implemented by a Source that can learn whether the
// vendor accepts its credentials before anything is written. The engine
// calls CheckCredentials once, with every selected resource block's
// request, after the mapping is checked and before the first write to
// Port (the integration and blueprints included): an error wrapping
// ErrCredentials ends the run with exit 2, nothing written or deleted.
// Any other problem the check meets is not returned but left for Resync
// to report on its block. A check should cost what the run would spend
// anyway (GitHub resolves the organisations it syncs; custom asks for
// the first page of the first block, which that block then reuses).
//
// A refusal met later (a token revoked mid-run) fails its block with
// ErrCredentials: the run exits 2 and deletes nothing, but writes already
// made stay.
type CredentialChecker interface {
	CheckCredentials(ctx context.Context, reqs []Request) error
}

// Param declares one integration parameter. It becomes the flag --<Name>,
// the env var TIDE_<NAME> (dashes to underscores, upper case), and Ocean's
// OCEAN__INTEGRATION__CONFIG__<NAME>.
type Param struct {
	Name       string
	Usage      string
	Default    string
	Secret     bool     // masked in logs, errors and CI output
	Repeatable bool     // may be given several times; an env value holds one per line
	Env        []string // extra env vars read when the flag and TIDE_ var are unset (e.g. GITHUB_TOKEN)
}

// SelectorField is one selector field a kind reads.
type SelectorField struct {
	Name    string
	Default string // as written in a mapping; "" when none
	Usage   string
}

// SelectorFields returns the selector fields a kind reads besides query,
// and whether the definition declares them.
func (d Definition) SelectorFields(kind string) ([]SelectorField, bool) {
	fs, ok := d.Selectors[kind]
	if !ok {
		// An open-kinds integration declares the fields of the kinds it
		// has no entry for once, under "*".
		fs, ok = d.Selectors["*"]
	}
	return fs, ok
}

// SelectorKeys returns the names of SelectorFields.
func (d Definition) SelectorKeys(kind string) ([]string, bool) {
	fs, ok := d.SelectorFields(kind)
	if !ok {
		return nil, false
	}
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out, true
}

// Values are the parameter values the CLI collected, by Param.Name.
type Values map[string][]string

// Get returns the last value of name, or "".
func (v Values) Get(name string) string {
	vs := v[name]
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// List returns every value of name.
func (v Values) List(name string) []string { return v[name] }

// Settings is what an integration is built from.
type Settings struct {
	Values     Values
	Getenv     func(string) string
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Secrets is the run's secret set: every token the integration obtains
	// at run time (installation tokens, auth-request tokens) is added the
	// moment it exists, so no output or report shows it and CI masks it.
	Secrets *secret.Set
	// HTTPTimeout bounds one HTTP attempt (--http-timeout); 0: the shared
	// client's default.
	HTTPTimeout time.Duration
	// MaxResponse bounds one vendor response body in bytes
	// (--max-response-size); a larger answer fails its block, naming the
	// size. Zero means DefaultMaxResponse.
	MaxResponse int64
}

// DefaultMaxResponse is the largest vendor response body read when
// Settings.MaxResponse is zero: far above any paged API's answer, far
// below what would exhaust a CI runner.
const DefaultMaxResponse = 64 << 20

// ResponseLimit is MaxResponse, or DefaultMaxResponse when zero.
func (s Settings) ResponseLimit() int64 {
	if s.MaxResponse > 0 {
		return s.MaxResponse
	}
	return DefaultMaxResponse
}

// Definition describes one integration type.
type Definition struct {
	// Type is the integration type, e.g. "github" or "file".
	Type string
	// Summary is one line for --help.
	Summary string
	// Kinds lists the kinds the integration offers.
	Kinds []string
	// OpenKinds marks an integration whose kinds are free-form (the custom
	// integration's kind is an endpoint path): every kind is accepted and
	// Kinds only lists examples.
	OpenKinds bool
	// Params lists the integration's own parameters.
	Params []Param
	// Selectors lists, by kind, the selector fields each kind reads besides
	// query, with their defaults: `tide list` prints them, and `tide
	// validate` holds a block's selector keys against them when the Source
	// cannot be built (no credentials in a pull-request check). The key "*"
	// holds the fields of every other kind of an OpenKinds integration.
	Selectors map[string][]SelectorField
	// Resources holds blueprints.json (a JSON array of blueprints in Port's
	// format) and port-app-config.yml (the default mapping).
	Resources fs.FS
	// New builds a Source from the collected parameters. A parameter problem
	// is returned wrapped in ErrConfig.
	New func(Settings) (Source, error)
}

// Blueprints returns the default blueprints, each as raw JSON.
func (d Definition) Blueprints() ([]map[string]any, error) {
	return readBlueprints(d.Resources)
}

// DefaultMapping returns the default port-app-config as stored (YAML).
func (d Definition) DefaultMapping() ([]byte, error) {
	if d.Resources == nil {
		return nil, fmt.Errorf("integration %q ships no default mapping", d.Type)
	}
	b, err := fs.ReadFile(d.Resources, "port-app-config.yml")
	if err != nil {
		return nil, fmt.Errorf("integration %q default mapping: %w", d.Type, err)
	}
	return b, nil
}

// HasKind reports whether the integration offers kind.
func (d Definition) HasKind(kind string) bool {
	if d.OpenKinds {
		return kind != ""
	}
	for _, k := range d.Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Registry holds the integrations a binary is built with.
type Registry struct {
	defs map[string]Definition
}

// NewRegistry builds a registry; a duplicate type panics (a programming error).
func NewRegistry(defs ...Definition) *Registry {
	r := &Registry{defs: make(map[string]Definition, len(defs))}
	for _, d := range defs {
		if _, dup := r.defs[d.Type]; dup {
			panic("integrations: duplicate type " + d.Type)
		}
		r.defs[d.Type] = d
	}
	return r
}

// Lookup returns the definition of typ.
func (r *Registry) Lookup(typ string) (Definition, bool) {
	d, ok := r.defs[strings.ToLower(typ)]
	return d, ok
}

// Types lists the registered types, sorted.
func (r *Registry) Types() []string {
	out := make([]string, 0, len(r.defs))
	for t := range r.defs {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// All returns every definition, sorted by type.
func (r *Registry) All() []Definition {
	out := make([]Definition, 0, len(r.defs))
	for _, t := range r.Types() {
		out = append(out, r.defs[t])
	}
	return out
}
