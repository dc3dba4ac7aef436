package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/jsonx"
	"github.com/tide-sync/tide/internal/secret"
	"github.com/tide-sync/tide/internal/yamlx"
	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port/catalog"
)

// mapOptions is `tide map`.
type mapOptions struct {
	checkOptions
	kind  string
	live  bool
	limit int
}

// mapItem is what one sample item became, in `tide map --json`.
type mapItem struct {
	Item    int          `json:"item"` // 1-based position in the sample
	Label   string       `json:"label,omitempty"`
	Results []mapOutcome `json:"results"`
}

// mapOutcome is one resource block's result for one (expanded) item.
type mapOutcome struct {
	Block         int             `json:"block"` // resources[N]
	Dropped       string          `json:"droppedBySelector,omitempty"`
	Error         string          `json:"error,omitempty"`
	Warning       string          `json:"warning,omitempty"`
	Entity        json.RawMessage `json:"entity,omitempty"`
	Rejected      bool            `json:"rejected,omitempty"` // no identifier or blueprint: not written
	Misconfigured []mapMisconfig  `json:"misconfigured,omitempty"`
	Validation    []string        `json:"validation,omitempty"` // what Port would refuse
	Validated     string          `json:"validated,omitempty"`  // against which blueprints, or why not
}

type mapMisconfig struct {
	Field string `json:"field"`
	Expr  string `json:"expression"`
	Error string `json:"error,omitempty"` // "" when the value was just null
}

func runMap(env *cliEnv, args []string) int {
	reg := registry()
	o := &mapOptions{}
	fs := flag.NewFlagSet("tide map", flag.ContinueOnError)
	specs := checkFlags(fs, &o.checkOptions, reg)
	fs.StringVar(&o.kind, "kind", "", "the kind the items are (required when the mapping has several)")
	specs = append(specs[:4:4], append([]flagSpec{{name: "kind", group: groupMapping}, {name: "live", group: groupMapping}, {name: "limit", group: groupMapping}}, specs[5:]...)...)
	fs.Var(boolValue{&o.live}, "live", "fetch the items from the integration (read only) instead of a file")
	o.limit = 5
	fs.Var(intValue{&o.limit}, "limit", "with --live: items to fetch at most")
	usage := func(w io.Writer) {
		fmt.Fprintln(w, `Usage: tide map --integration TYPE [--mapping FILE] [--kind KIND] [ITEMS | --live]

Runs a mapping over sample items, writing nothing, and prints for each item
and resource block of its kind: the entity it makes, or that the selector
dropped it; every field that came out null or failed, with its expression;
and the entity checked against its blueprint as Port would check it.

ITEMS is a file (or - for stdin) holding a JSON array, JSON lines, or YAML
(a list, or one item per document). --live fetches --limit items of --kind
from the integration instead (read only; credentials as for sync).
The mapping defaults to the integration's default mapping; blueprints come
from --blueprints FILE, Port (with credentials), or the integration's
defaults.
Each flag can also be set by the environment variables shown.`)
		printFlagGroups(w, fs, specs, reg)
		fmt.Fprintln(w, `
Examples:
  tide map --integration github --kind repository repos.json
  gh api orgs/acme/repos | tide map --integration github --mapping port-app-config.yml --kind repository -
  GITHUB_TOKEN=... tide map --integration github --kind pull-request --live --limit 3`)
	}
	pos, code, ok := parseOrExit("map", fs, args, env.stdout, env.stderr, usage)
	if !ok {
		return code
	}
	secrets := secret.New()
	stdout, stderr := redact(env.stdout, secrets), redact(env.stderr, secrets)
	// The positional argument is the items, not the mapping.
	itemsArg := ""
	if len(pos) > 0 {
		itemsArg = pos[0]
	}
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "tide: %v: unexpected argument %q (see tide map --help)\n", errUsage, pos[1])
		return exitUsage
	}
	if err := o.finish(fs, nil, specs, env.getenv, secrets, "map"); err != nil {
		fmt.Fprintf(stderr, "tide: %v\n", err)
		return exitUsage
	}
	out, err := mapSamples(env, o, itemsArg, reg, secrets)
	if err != nil {
		fmt.Fprintf(stderr, "tide: %v\n", err)
		return exitCode(nil, err)
	}
	if o.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		return exitOK
	}
	printMap(stdout, out)
	return exitOK
}

// mapSamples maps the sample items through the mapping's blocks of the kind.
func mapSamples(env *cliEnv, o *mapOptions, itemsArg string, reg *integrations.Registry, secrets *secret.Set) ([]mapItem, error) {
	def, err := lookupIntegration(reg, o.integration, "--integration")
	if err != nil {
		return nil, err
	}
	if err := otherIntegrationFlag(o.given, def, reg); err != nil {
		return nil, err
	}
	var src []byte
	name := o.mapping
	if o.mapping != "" {
		if src, err = os.ReadFile(o.mapping); err != nil {
			return nil, fmt.Errorf("%w: --mapping: %v", errUsage, err)
		}
	} else if src, err = def.DefaultMapping(); err != nil {
		return nil, fmt.Errorf("%w: %v; pass --mapping FILE", errUsage, err)
	} else {
		name = "default mapping of " + def.Type
	}
	c, err := mapping.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m, err := mapping.Compile(c, mapping.Options{Env: jqEnv(o.jqEnvAllow, env.getenv)})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	kind, blocks, err := pickBlocks(m, o.kind, def)
	if err != nil {
		return nil, err
	}
	var items []map[string]any
	switch {
	case o.live && itemsArg != "":
		return nil, fmt.Errorf("%w: give items or --live, not both", errUsage)
	case o.live:
		if o.limit < 1 {
			return nil, fmt.Errorf("%w: --limit %d: want at least 1", errUsage, o.limit)
		}
		items, err = fetchLive(env, def, o, kind, blocks[0], m, secrets)
	case itemsArg == "":
		return nil, fmt.Errorf("%w: which items? give a file (JSON array, JSON lines or YAML), - for stdin, or --live", errUsage)
	default:
		items, err = readItems(itemsArg, env)
	}
	if err != nil {
		return nil, err
	}
	bps, bpWhere, err := o.mapBlueprints(env.ctx, def, blocks)
	if err != nil {
		return nil, err
	}
	out := make([]mapItem, 0, len(items))
	for i, item := range items {
		mi := mapItem{Item: i + 1, Label: itemLabel(item), Results: []mapOutcome{}}
		for _, b := range blocks {
			perr := b.Process(env.ctx, item, func(oc mapping.Outcome) {
				mi.Results = append(mi.Results, describeOutcome(b, oc, bps, bpWhere))
			})
			if perr != nil {
				mi.Results = append(mi.Results, mapOutcome{Block: b.Index, Error: perr.Error()})
			}
		}
		out = append(out, mi)
	}
	return out, nil
}

// pickBlocks returns the mapping's blocks of the kind (the only kind when
// not given).
func pickBlocks(m *mapping.Mapping, kind string, def integrations.Definition) (string, []*mapping.Block, error) {
	var kinds []string
	byKind := map[string][]*mapping.Block{}
	for _, b := range m.Blocks {
		k := b.Resource.Kind
		if byKind[k] == nil {
			kinds = append(kinds, k)
		}
		byKind[k] = append(byKind[k], b)
	}
	if kind == "" {
		if len(kinds) != 1 {
			return "", nil, fmt.Errorf("%w: --kind is required: the mapping has kinds %s", errUsage, strings.Join(kinds, ", "))
		}
		kind = kinds[0]
	}
	bs := byKind[kind]
	if len(bs) == 0 {
		msg := fmt.Sprintf("--kind %q: the mapping has no block of this kind", kind)
		if s := mapping.Suggest(kind, kinds); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return "", nil, fmt.Errorf("%w: %s (it has: %s)", errUsage, msg, strings.Join(kinds, ", "))
	}
	if !def.HasKind(kind) {
		return "", nil, fmt.Errorf("%w: --kind %q: integration %q has no such kind (it offers: %s)", errUsage, kind, def.Type, strings.Join(def.Kinds, ", "))
	}
	return kind, bs, nil
}

// errEnough stops a live fetch once it has --limit items.
var errEnough = errors.New("enough items")

// fetchLive reads up to o.limit items of kind from the integration with
// the first block's selector; the integration only reads.
func fetchLive(env *cliEnv, def integrations.Definition, o *mapOptions, kind string, b *mapping.Block, m *mapping.Mapping, secrets *secret.Set) ([]map[string]any, error) {
	params := integrations.Values{}
	for _, p := range def.Params {
		params[p.Name] = o.params.List(p.Name)
		if len(params[p.Name]) == 0 && p.Default != "" {
			params[p.Name] = []string{p.Default}
		}
	}
	src, err := def.New(integrations.Settings{Values: params, Getenv: env.getenv, Secrets: secrets})
	if err != nil {
		return nil, fmt.Errorf("integration %q: %w", def.Type, err)
	}
	var items []map[string]any
	req := integrations.Request{Kind: kind, Selector: b.Resource.Selector.Extra, Config: m.Config.Extra, Notice: func(string) {}}
	err = src.Resync(env.ctx, req, func(page []integrations.Item) error {
		for _, it := range page {
			if len(items) == o.limit {
				return errEnough
			}
			items = append(items, it)
		}
		if len(items) == o.limit {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, fmt.Errorf("fetching kind %q: %w", kind, err)
	}
	return items, nil
}

// readItems reads sample items: a JSON array or object, JSON lines, or
// YAML (a list, or documents).
func readItems(path string, env *cliEnv) ([]map[string]any, error) {
	var b []byte
	var err error
	if path == "-" {
		r, ok := env.readStdin()
		if !ok {
			return nil, fmt.Errorf("%w: items: no standard input", errUsage)
		}
		b, err = io.ReadAll(r)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: items: %v", errUsage, err)
	}
	items, err := decodeItems(b)
	if err != nil {
		return nil, fmt.Errorf("%w: items %s: %v", errUsage, path, err)
	}
	return items, nil
}

func decodeItems(b []byte) ([]map[string]any, error) {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 {
		return nil, errors.New("empty: want a JSON array, JSON lines or YAML")
	}
	var vals []any
	v, err := jsonx.Decode(trimmed)
	switch {
	case err == nil:
		vals = []any{v}
	case trimmed[0] == '{' || trimmed[0] == '[':
		for i, line := range bytes.Split(trimmed, []byte("\n")) {
			if line = bytes.TrimSpace(line); len(line) == 0 {
				continue
			}
			lv, lerr := jsonx.Decode(line)
			if lerr != nil {
				return nil, fmt.Errorf("neither one JSON document (%v) nor JSON lines (line %d: %v)", err, i+1, lerr)
			}
			vals = append(vals, lv)
		}
	default:
		docs, yerr := yamlx.Decode(trimmed)
		if yerr != nil {
			return nil, fmt.Errorf("neither JSON nor YAML: %v", yerr)
		}
		vals = docs
	}
	if len(vals) == 1 {
		if list, ok := vals[0].([]any); ok {
			vals = list
		}
	}
	items := make([]map[string]any, 0, len(vals))
	for i, v := range vals {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("item %d: want an object, got %s", i+1, jsonx.TypeName(v))
		}
		items = append(items, m)
	}
	return items, nil
}

// itemLabel names an item by its id, name, key or path, when it has one.
func itemLabel(item map[string]any) string {
	for _, k := range []string{"__path", "key", "full_name", "name", "identifier", "id"} {
		switch v := item[k].(type) {
		case string:
			if v != "" {
				return k + " " + v
			}
		case float64:
			return fmt.Sprintf("%s %v", k, v)
		}
	}
	return ""
}

// mapBlueprints returns the blueprints entities are checked against: the
// file, Port's, or the integration's defaults.
func (o *mapOptions) mapBlueprints(ctx context.Context, def integrations.Definition, blocks []*mapping.Block) (catalog.Set, string, error) {
	set := catalog.Set{}
	add := func(raws []map[string]any) {
		for _, raw := range raws {
			if bp, err := catalog.ParseBlueprint(raw); err == nil {
				set[bp.Identifier] = bp
			}
		}
	}
	c, where, err := o.blueprintClient(def)
	if err != nil {
		return nil, "", err
	}
	if c == nil {
		bps, err := def.Blueprints()
		if err != nil {
			return nil, "", err
		}
		add(bps)
		return set, "the integration's default blueprints", nil
	}
	if err := c.Authenticate(ctx); err != nil {
		return nil, "", err
	}
	seen := map[string]bool{}
	var fetch func(id string) error
	fetch = func(id string) error {
		if seen[id] {
			return nil
		}
		seen[id] = true
		raw, err := c.GetBlueprint(ctx, id)
		if err != nil {
			return nil // reported per entity as unknown
		}
		add([]map[string]any{raw})
		if bp, ok := set[id]; ok {
			for _, r := range bp.Relations {
				if err := fetch(r.Target); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, b := range blocks {
		if id, ok := b.Blueprint(); ok {
			if err := fetch(id); err != nil {
				return nil, "", err
			}
		}
	}
	return set, where, nil
}

func describeOutcome(b *mapping.Block, oc mapping.Outcome, bps catalog.Set, where string) mapOutcome {
	r := mapOutcome{Block: b.Index, Warning: oc.Warning}
	if oc.Filtered {
		r.Dropped = b.Resource.Selector.Query
		return r
	}
	for _, mc := range oc.Misconfigured {
		r.Misconfigured = append(r.Misconfigured, mapMisconfig{Field: mc.Field, Expr: mc.Expr, Error: mc.Err})
	}
	if oc.Entity == nil {
		r.Rejected = oc.Warning == ""
		return r
	}
	if raw, err := json.Marshal(oc.Entity); err == nil {
		r.Entity = raw
	}
	bp, ok := bps[oc.Entity.Blueprint]
	if !ok {
		r.Validated = fmt.Sprintf("not checked: blueprint %q is not among %s", oc.Entity.Blueprint, where)
		return r
	}
	r.Validated = where
	ce := catalog.Entity{Identifier: oc.Entity.Identifier, Title: oc.Entity.Title, Icon: oc.Entity.Icon, Team: oc.Entity.Team,
		Properties: oc.Entity.Properties, Relations: oc.Entity.Relations}
	for _, v := range bp.Validate(ce, bps) {
		msg := v.Path + ": " + v.Message + " (" + string(v.Rule) + ")"
		if expr := b.Expr(v.Path); expr != "" {
			msg = v.Path + " = " + expr + ": " + v.Message + " (" + string(v.Rule) + ")"
		}
		r.Validation = append(r.Validation, msg)
	}
	sort.Strings(r.Validation)
	return r
}

func printMap(w io.Writer, items []mapItem) {
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	made, dropped, bad := 0, 0, 0
	for _, it := range items {
		head := fmt.Sprintf("item %d", it.Item)
		if it.Label != "" {
			head += " (" + it.Label + ")"
		}
		fmt.Fprintln(bw, head+":")
		for _, r := range it.Results {
			at := fmt.Sprintf("  resources[%d]: ", r.Block)
			switch {
			case r.Error != "":
				bad++
				fmt.Fprintf(bw, "%serror: %s\n", at, r.Error)
			case r.Dropped != "":
				dropped++
				fmt.Fprintf(bw, "%sdropped by the selector %s\n", at, r.Dropped)
			case r.Warning != "":
				fmt.Fprintf(bw, "%sskipped: %s\n", at, r.Warning)
			case r.Entity == nil:
				bad++
				fmt.Fprintf(bw, "%sno entity: the identifier or blueprint came out empty (Ocean skips such items)\n", at)
			default:
				made++
				var pretty bytes.Buffer
				json.Indent(&pretty, r.Entity, "    ", "  ")
				fmt.Fprintf(bw, "%sentity:\n    %s\n", at, pretty.String())
			}
			for _, mc := range r.Misconfigured {
				if mc.Error != "" {
					fmt.Fprintf(bw, "    misconfigured: %s = %s: %s (left out of the write)\n", mc.Field, mc.Expr, mc.Error)
				} else {
					fmt.Fprintf(bw, "    misconfigured: %s = %s: null for this item\n", mc.Field, mc.Expr)
				}
			}
			if r.Entity != nil {
				switch {
				case len(r.Validation) > 0:
					bad++
					fmt.Fprintf(bw, "    Port would refuse it (checked against %s):\n", r.Validated)
					for _, v := range r.Validation {
						fmt.Fprintf(bw, "      %s\n", v)
					}
				case strings.HasPrefix(r.Validated, "not checked"):
					fmt.Fprintf(bw, "    validation %s\n", r.Validated)
				default:
					fmt.Fprintf(bw, "    valid against %s\n", r.Validated)
				}
			}
		}
	}
	fmt.Fprintf(bw, "\n%d item(s): %d entit(ies) made, %d dropped by a selector, %d problem(s)\n", len(items), made, dropped, bad)
}
