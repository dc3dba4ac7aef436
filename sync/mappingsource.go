package sync

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
)

func compileMapping(src []byte, name string, opts mapping.Options) (*mapping.Mapping, error) {
	c, err := mapping.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m, err := mapping.Compile(c, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

// storedMapping returns the mapping of the Port integration, or the
// integration's default mapping when the integration does not exist yet
// (Ocean creates it with its default mapping).
func storedMapping(cfg Config, integ *port.Integration) ([]byte, *MappingSource, error) {
	if integ == nil {
		b, err := cfg.Definition.DefaultMapping()
		if err != nil {
			return nil, nil, configErr("integration %q does not exist in Port and %v; pass --mapping FILE", cfg.Identifier, err)
		}
		return b, &MappingSource{Source: "default", Name: fmt.Sprintf("default mapping of integration type %q (integration %q is not in Port yet)", cfg.Definition.Type, cfg.Identifier)}, nil
	}
	raw := integ.Config
	var probe map[string]any
	if len(raw) == 0 || string(raw) == "null" || json.Unmarshal(raw, &probe) != nil || len(probe) == 0 {
		return nil, nil, configErr("integration %q in Port has no mapping (config is empty); pass --mapping FILE", cfg.Identifier)
	}
	return raw, &MappingSource{Source: "integration", Name: fmt.Sprintf("mapping stored on Port integration %q", cfg.Identifier), UpdatedAt: integ.UpdatedAt}, nil
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
		if err := checkSelectorKeys(cfg.selectorKeyer(), m.Config, b); err != nil {
			return err
		}
		if err := checkReferences(cfg, b); err != nil {
			return err
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

// checkReferences fails a block whose prefixed values (file://,
// search://) the integration cannot resolve.
func checkReferences(cfg Config, b *mapping.Block) error {
	refs := b.References()
	if len(refs) == 0 || cfg.Source == nil {
		// No Source (tide validate without the vendor's credentials): which
		// prefixes the integration resolves is its Source's to say.
		return nil
	}
	var offered []string
	if r, ok := cfg.Source.(integrations.ValueResolver); ok {
		offered = r.ValuePrefixes()
	}
	for _, ref := range refs {
		if !slices.Contains(offered, ref.Prefix) {
			have := "resolves no prefixed values"
			if len(offered) > 0 {
				have = "resolves only " + strings.Join(offered, ", ")
			}
			return configErr("resources[%d] (kind %q): %s: %q: integration %q %s; use a JQ expression", b.Index, b.Resource.Kind, ref.Field, ref.Value, cfg.Definition.Type, have)
		}
	}
	return nil
}

// selectorKeyer says which selector keys each kind reads: the Source's own
// list, or, when no Source could be built (Check without credentials), the
// definition's.
func (c *Config) selectorKeyer() integrations.SelectorKeyer {
	if sk, ok := c.Source.(integrations.SelectorKeyer); ok {
		return sk
	}
	if c.Source == nil && c.Definition.Selectors != nil {
		return defKeys{c.Definition}
	}
	return nil
}

type defKeys struct{ d integrations.Definition }

func (k defKeys) SelectorKeys(kind string) []string {
	keys, _ := k.d.SelectorKeys(kind)
	return keys
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

// checkSelectorKeys holds a block's selector keys against those its kind
// reads, when the integration says which: a near miss is a config error
// with "did you mean"; another unknown key becomes a warning of the mapping.
func checkSelectorKeys(sk integrations.SelectorKeyer, c *mapping.Config, b *mapping.Block) error {
	if sk == nil {
		return nil
	}
	known := append(sk.SelectorKeys(b.Resource.Kind), "query", "exportEnvVariables")
	keys := make([]string, 0, len(b.Resource.Selector.Extra))
	for k := range b.Resource.Selector.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if slices.Contains(known, k) {
			continue
		}
		path := fmt.Sprintf("resources[%d].selector.%s", b.Index, k)
		if s := mapping.Suggest(k, known); s != "" {
			return &mapping.ParseError{Problems: []mapping.ParseProblem{{Path: path, Line: c.Lines.Line(path),
				Message: fmt.Sprintf("unknown key %q; did you mean %q? (kind %q)", k, s, b.Resource.Kind)}}}
		}
		c.Warnings = append(c.Warnings, mapping.Warning{Path: path, Line: c.Lines.Line(path),
			Message: fmt.Sprintf("unknown key %q is ignored (kind %q reads: %s)", k, b.Resource.Kind, strings.Join(known, ", "))})
	}
	return nil
}
