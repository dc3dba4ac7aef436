package sync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sort"
	gosync "sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
)

// ErrConfig marks a configuration problem found before any write; the CLI
// exits 2.
var ErrConfig = errors.New("configuration error")

// ErrInterrupted is the cancellation cause of a SIGINT/SIGTERM: the run
// stops fetching, deletes nothing and reports "aborted" (exit 130).
var ErrInterrupted = errors.New("interrupted")

// ErrTimeout is the cancellation cause of --timeout: the run deletes
// nothing and reports "failed" (exit 1).
var ErrTimeout = errors.New("timed out")

// Config is one run's input, filled by the CLI.
type Config struct {
	Definition integrations.Definition
	Source     integrations.Source
	Client     *port.Client
	Identifier string // installation id
	Version    string

	// Mapping is the --mapping file's content; nil reads the mapping stored
	// on the Port integration (Ocean's behaviour).
	Mapping     []byte
	MappingName string // where Mapping came from, for messages

	InitResources    bool
	Kinds            []string
	DryRun           bool
	Concurrency      int // resource blocks in parallel
	WriteConcurrency int // Port write requests in flight
	MapWorkers       int // goroutines mapping each block's pages; 0: one per core
	JQEnv            map[string]string
	Logger           *slog.Logger
	ResyncID         string // set by Run when empty
	Now              func() time.Time
	// Phase, when set, is called as the run enters each phase, so CI
	// reporters can fold the log into sections (GitHub groups, GitLab
	// collapsible sections).
	Phase func(title string)
}

func (c *Config) phase(title string) {
	if c.Phase != nil {
		c.Phase(title)
	}
}

func (c *Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

func (c *Config) concurrency() int {
	if c.Concurrency <= 0 {
		return 4
	}
	return c.Concurrency
}

// mapWorkers is the number of goroutines mapping one block's pages.
func (c *Config) mapWorkers() int {
	if c.MapWorkers > 0 {
		return c.MapWorkers
	}
	return runtime.GOMAXPROCS(0)
}

func (c *Config) writeConcurrency() int {
	if c.WriteConcurrency <= 0 {
		return 8
	}
	return c.WriteConcurrency
}

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

// Run performs one sync. A returned error means the run stopped before
// writing entities (config, auth, Port unreachable); errors.Is with
// ErrConfig, mapping.ErrInvalid, integrations.ErrConfig or port.ErrAuth
// marks bad input. Otherwise the Result says what happened.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	start := now()
	log := cfg.logger()
	if cfg.ResyncID == "" {
		cfg.ResyncID = newID()
	}

	cfg.phase("Load the mapping and connect to Port")
	// A mapping file is checked before any network call.
	var m *mapping.Mapping
	if cfg.Mapping != nil {
		var err error
		if m, err = compileMapping(cfg.Mapping, cfg.MappingName, cfg.JQEnv); err != nil {
			return nil, err
		}
	}

	if err := cfg.Client.Authenticate(ctx); err != nil {
		return nil, err
	}
	integ, err := cfg.Client.GetIntegration(ctx, cfg.Identifier)
	switch {
	case errors.Is(err, port.ErrNotFound):
		integ = nil
	case err != nil:
		return nil, fmt.Errorf("reading integration %q: %w", cfg.Identifier, err)
	}

	if m == nil {
		src, name, err := storedMapping(cfg, integ)
		if err != nil {
			return nil, err
		}
		if m, err = compileMapping(src, name, cfg.JQEnv); err != nil {
			return nil, err
		}
	}
	if err := checkKinds(cfg, m); err != nil {
		return nil, err
	}

	defs, toCreate, err := checkBlueprints(ctx, cfg, m)
	if err != nil {
		return nil, err
	}

	if !cfg.DryRun {
		if integ == nil {
			if err := createIntegration(ctx, cfg, m); err != nil {
				return nil, err
			}
		}
		if err := createBlueprints(ctx, cfg, toCreate); err != nil {
			return nil, err
		}
		startISO := start.UTC().Format(time.RFC3339Nano)
		if err := cfg.Client.PatchResyncState(ctx, cfg.Identifier, port.ResyncState{Status: "running", LastResyncStart: &startISO}); err != nil {
			log.Warn("could not report the resync state to Port", "err", err)
		}
	}

	if cfg.DryRun {
		cfg.phase("Plan: fetch, map and compare (dry run)")
	} else {
		cfg.phase("Sync: fetch, map, write and delete stale entities")
	}
	e := newEngine(&cfg, m, defs, start)
	for _, bp := range toCreate {
		// Not in Port yet (a dry run with --init-resources): nothing to read.
		e.absent[bp["identifier"].(string)] = true
	}
	res := e.run(ctx)
	if res.Plan != nil {
		for _, bp := range toCreate {
			res.Plan.CreateBlueprints = append(res.Plan.CreateBlueprints, bp["identifier"].(string))
		}
		sort.Strings(res.Plan.CreateBlueprints)
	}

	if !cfg.DryRun {
		cfg.phase("Report the resync state to Port")
		st := string(res.Status)
		if res.Status == StatusBlocked {
			st = string(StatusCompleted) // synced; the blocked deletes are in the summary and exit code
		}
		endISO := now().UTC().Format(time.RFC3339Nano)
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		if err := cfg.Client.PatchResyncState(pctx, cfg.Identifier, port.ResyncState{Status: st, LastResyncEnd: &endISO}); err != nil {
			log.Warn("could not report the resync state to Port", "err", err)
		}
	}
	return res, nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func compileMapping(src []byte, name string, env map[string]string) (*mapping.Mapping, error) {
	c, err := mapping.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m, err := mapping.Compile(c, mapping.Options{Env: env})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

// storedMapping returns the mapping of the Port integration, or the
// integration's default mapping when the integration does not exist yet
// (Ocean creates it with its default mapping).
func storedMapping(cfg Config, integ *port.Integration) ([]byte, string, error) {
	if integ == nil {
		b, err := cfg.Definition.DefaultMapping()
		if err != nil {
			return nil, "", configErr("integration %q does not exist in Port and %v; pass --mapping FILE", cfg.Identifier, err)
		}
		return b, fmt.Sprintf("default mapping of integration type %q", cfg.Definition.Type), nil
	}
	raw := integ.Config
	var probe map[string]any
	if len(raw) == 0 || string(raw) == "null" || json.Unmarshal(raw, &probe) != nil || len(probe) == 0 {
		return nil, "", configErr("integration %q in Port has no mapping (config is empty); pass --mapping FILE", cfg.Identifier)
	}
	return raw, fmt.Sprintf("mapping stored on Port integration %q", cfg.Identifier), nil
}

func checkKinds(cfg Config, m *mapping.Mapping) error {
	inMapping := map[string]bool{}
	for _, b := range m.Blocks {
		inMapping[b.Resource.Kind] = true
	}
	for _, k := range cfg.Kinds {
		if !inMapping[k] {
			return configErr("--kinds: kind %q is not in the mapping (it has: %s)", k, joinSorted(inMapping))
		}
	}
	selected := kindSet(cfg.Kinds)
	for _, b := range m.Blocks {
		k := b.Resource.Kind
		if selected != nil && !selected[k] {
			continue
		}
		if !cfg.Definition.HasKind(k) {
			return configErr("resources[%d].kind: integration %q has no kind %q (it offers: %v)", b.Index, cfg.Definition.Type, k, cfg.Definition.Kinds)
		}
		if v, ok := cfg.Source.(integrations.RequestValidator); ok {
			req := integrations.Request{Kind: k, Selector: b.Resource.Selector.Extra, Config: m.Config.Extra}
			if err := v.ValidateRequest(req); err != nil {
				return configErr("resources[%d] (kind %q): %v", b.Index, k, err)
			}
		}
	}
	return nil
}

func joinSorted(m map[string]bool) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	out := ""
	for i, k := range ks {
		if i > 0 {
			out += ", "
		}
		out += k
	}
	return out
}

// checkBlueprints reads the definition of every constant blueprint the
// selected blocks write. A missing one is a config error before any write,
// unless --init-resources will create it from the integration's defaults.
func checkBlueprints(ctx context.Context, cfg Config, m *mapping.Mapping) (*blueprintDefs, []map[string]any, error) {
	defs := newBlueprintDefs(ctx, cfg.Client)
	defaults := map[string]map[string]any{}
	var defaultOrder []string
	if cfg.InitResources {
		bps, err := cfg.Definition.Blueprints()
		if err != nil {
			return nil, nil, fmt.Errorf("default blueprints of %q: %w", cfg.Definition.Type, err)
		}
		for _, bp := range bps {
			id, _ := bp["identifier"].(string)
			defaults[id] = bp
			defaultOrder = append(defaultOrder, id)
		}
	}
	var toCreate []map[string]any
	// Every missing default blueprint is created, not just the ones the
	// mapping writes, so relations between them resolve.
	for _, id := range defaultOrder {
		_, err := defs.fetch(id)
		switch {
		case errors.Is(err, port.ErrNotFound):
			toCreate = append(toCreate, defaults[id])
			defs.put(id, defaults[id])
		case err != nil:
			return nil, nil, fmt.Errorf("reading blueprint %q: %w", id, err)
		}
	}
	selected := kindSet(cfg.Kinds)
	for _, b := range m.Blocks {
		if selected != nil && !selected[b.Resource.Kind] {
			continue
		}
		bp, ok := b.Blueprint()
		if !ok {
			continue
		}
		_, err := defs.fetch(bp)
		switch {
		case errors.Is(err, port.ErrNotFound):
			return nil, nil, configErr("resources[%d] (kind %q) writes blueprint %q, which does not exist in Port; create it, or pass --init-resources to create the integration's default blueprints", b.Index, b.Resource.Kind, bp)
		case err != nil:
			return nil, nil, fmt.Errorf("reading blueprint %q: %w", bp, err)
		}
	}
	return defs, toCreate, nil
}

// createBlueprints creates blueprints in two stages, bare then complete, so
// relations between new blueprints resolve (Ocean's staged creation).
func createBlueprints(ctx context.Context, cfg Config, bps []map[string]any) error {
	for _, bp := range bps {
		bare := map[string]any{}
		for k, v := range bp {
			switch k {
			case "relations", "mirrorProperties", "calculationProperties", "aggregationProperties", "ownership", "teamInheritance":
			default:
				bare[k] = v
			}
		}
		if err := cfg.Client.CreateBlueprint(ctx, bare); err != nil {
			return fmt.Errorf("--init-resources: creating blueprint %q: %w", bp["identifier"], err)
		}
	}
	for _, bp := range bps {
		id := bp["identifier"].(string)
		if err := cfg.Client.PatchBlueprint(ctx, id, bp); err != nil {
			return fmt.Errorf("--init-resources: completing blueprint %q: %w", id, err)
		}
	}
	if len(bps) > 0 {
		cfg.logger().Info("created default blueprints", "count", len(bps))
	}
	return nil
}

func createIntegration(ctx context.Context, cfg Config, m *mapping.Mapping) error {
	src := cfg.Mapping
	if src == nil {
		b, err := cfg.Definition.DefaultMapping()
		if err != nil {
			return err
		}
		src = b
	}
	conf, err := toJSON(src)
	if err != nil {
		return fmt.Errorf("encoding mapping for the new integration: %w", err)
	}
	_, err = cfg.Client.CreateIntegration(ctx, port.Integration{
		InstallationID:      cfg.Identifier,
		InstallationAppType: cfg.Definition.Type,
		Version:             cfg.Version,
		Config:              conf,
	})
	if err != nil {
		return fmt.Errorf("creating integration %q: %w", cfg.Identifier, err)
	}
	cfg.logger().Info("created the integration in Port", "identifier", cfg.Identifier, "blocks", len(m.Blocks))
	return nil
}

func toJSON(src []byte) (json.RawMessage, error) {
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// blueprintDefs caches blueprint definitions for relation targets.
type blueprintDefs struct {
	ctx    context.Context
	client *port.Client
	mu     gosync.Mutex
	defs   map[string]*bpDef
}

type bpDef struct {
	targets map[string]string // relation → target blueprint
}

func (d *bpDef) relationTarget(rel string) string {
	if d == nil {
		return ""
	}
	return d.targets[rel]
}

func newBlueprintDefs(ctx context.Context, c *port.Client) *blueprintDefs {
	return &blueprintDefs{ctx: ctx, client: c, defs: map[string]*bpDef{}}
}

func (b *blueprintDefs) put(id string, raw map[string]any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.defs[id] = parseBPDef(raw)
}

func parseBPDef(raw map[string]any) *bpDef {
	d := &bpDef{targets: map[string]string{}}
	rels, _ := raw["relations"].(map[string]any)
	for name, r := range rels {
		if rm, ok := r.(map[string]any); ok {
			if t, ok := rm["target"].(string); ok {
				d.targets[name] = t
			}
		}
	}
	return d
}

func (b *blueprintDefs) fetch(id string) (*bpDef, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d, ok := b.defs[id]; ok {
		return d, nil
	}
	raw, err := b.client.GetBlueprint(b.ctx, id)
	if err != nil {
		if errors.Is(err, port.ErrNotFound) {
			return nil, err
		}
		return nil, err
	}
	d := parseBPDef(raw)
	b.defs[id] = d
	return d, nil
}

// get returns the definition of id, fetching it once; nil when unknown.
func (b *blueprintDefs) get(id string) *bpDef {
	d, err := b.fetch(id)
	if err != nil {
		b.mu.Lock()
		b.defs[id] = nil // don't ask again
		b.mu.Unlock()
		return nil
	}
	return d
}
