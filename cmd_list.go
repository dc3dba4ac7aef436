package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/sync/mapping"
)

// listEntry is one integration as `tide list --json` prints it.
type listEntry struct {
	Type      string              `json:"type"`
	Summary   string              `json:"summary"`
	OpenKinds bool                `json:"openKinds,omitempty"`
	Kinds     []listKind          `json:"kinds"`
	Params    []listParam         `json:"parameters"`
	Defaults  listDefaultsSummary `json:"defaults"`
}

type listKind struct {
	Kind      string          `json:"kind"`
	Selectors []listSelector  `json:"selectorFields"`
	Default   *listKindInDefs `json:"defaultMapping,omitempty"`
}

type listSelector struct {
	Name    string `json:"name"`
	Default string `json:"default,omitempty"`
	Usage   string `json:"usage,omitempty"`
}

// listKindInDefs says what the default mapping does with a kind.
type listKindInDefs struct {
	Blueprints []string `json:"blueprints"`
}

type listParam struct {
	Flag       string   `json:"flag"`
	Env        []string `json:"env"`
	Default    string   `json:"default,omitempty"`
	Secret     bool     `json:"secret,omitempty"`
	Repeatable bool     `json:"repeatable,omitempty"`
	Usage      string   `json:"usage"`
}

type listDefaultsSummary struct {
	Blueprints []string `json:"blueprints"`
	Mapping    bool     `json:"mapping"`
}

// runList is `tide list [--json] [TYPE]`.
func runList(env *cliEnv, args []string) int {
	fs := flag.NewFlagSet("tide list", flag.ContinueOnError)
	var asJSON bool
	fs.Var(boolValue{&asJSON}, "json", "print JSON instead of text")
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "Usage: tide list [--json] [INTEGRATION]\n\nLists the integrations this binary is built with: their kinds, each kind's\nselector fields and defaults (and the blueprints the default mapping writes),\nand each integration's parameters with flag, env vars, default and whether\nit is a secret.")
		printFlags(w, fs)
		fmt.Fprintln(w, "\nExamples:\n  tide list\n  tide list github\n  tide list --json | jq '.[].type'")
	}
	pos, code, ok := parseOrExit("list", fs, args, env.stdout, env.stderr, usage)
	if !ok {
		return code
	}
	reg := registry()
	defs := reg.All()
	if len(pos) > 1 {
		fmt.Fprintf(env.stderr, "tide: %v: list takes at most one integration, got %s\n", errUsage, strings.Join(pos, " "))
		return exitUsage
	}
	if len(pos) == 1 {
		d, err := lookupIntegration(reg, pos[0], "list INTEGRATION")
		if err != nil {
			fmt.Fprintf(env.stderr, "tide: %v\n", err)
			return exitUsage
		}
		defs = []integrations.Definition{d}
	}
	entries := make([]listEntry, 0, len(defs))
	for _, d := range defs {
		e, err := describeIntegration(d)
		if err != nil {
			fmt.Fprintf(env.stderr, "tide: %v\n", err)
			return exitFailed
		}
		entries = append(entries, e)
	}
	if asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(entries); err != nil {
			fmt.Fprintf(env.stderr, "tide: %v\n", err)
			return exitFailed
		}
		return exitOK
	}
	printList(env.stdout, entries)
	return exitOK
}

// lookupIntegration finds typ, or says which exist (with "did you mean").
func lookupIntegration(reg *integrations.Registry, typ, where string) (integrations.Definition, error) {
	if typ == "" {
		return integrations.Definition{}, fmt.Errorf("%w: --integration (TIDE_INTEGRATION) is required; one of: %s", errUsage, strings.Join(reg.Types(), ", "))
	}
	d, ok := reg.Lookup(typ)
	if ok {
		return d, nil
	}
	msg := fmt.Sprintf("%s %q: unknown integration", where, typ)
	if s := mapping.Suggest(typ, reg.Types()); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return d, fmt.Errorf("%w: %s (one of: %s)", errUsage, msg, strings.Join(reg.Types(), ", "))
}

// describeIntegration gathers what `tide list` says of d.
func describeIntegration(d integrations.Definition) (listEntry, error) {
	e := listEntry{Type: d.Type, Summary: d.Summary, OpenKinds: d.OpenKinds, Kinds: []listKind{}, Params: []listParam{}}
	bps, err := d.Blueprints()
	if err != nil {
		return e, fmt.Errorf("integration %q: default blueprints: %w", d.Type, err)
	}
	e.Defaults.Blueprints = []string{}
	for _, bp := range bps {
		id, _ := bp["identifier"].(string)
		e.Defaults.Blueprints = append(e.Defaults.Blueprints, id)
	}
	byKind := map[string][]string{}
	if m, err := d.DefaultMapping(); err == nil {
		e.Defaults.Mapping = true
		byKind, err = defaultBlueprintsByKind(m)
		if err != nil {
			return e, fmt.Errorf("integration %q: default mapping: %w", d.Type, err)
		}
	}
	kinds := d.Kinds
	if d.OpenKinds {
		// Any kind: "*" stands for it, then the example kinds that read
		// fields of their own or that the default mapping writes.
		kinds = []string{"*"}
		for _, k := range d.Kinds {
			_, own := d.Selectors[k]
			if _, inDefaults := byKind[k]; own || inDefaults {
				kinds = append(kinds, k)
			}
		}
	}
	for _, k := range kinds {
		lk := listKind{Kind: k, Selectors: []listSelector{}}
		fields, _ := d.SelectorFields(k)
		for _, f := range fields {
			lk.Selectors = append(lk.Selectors, listSelector(f))
		}
		if bps, ok := byKind[k]; ok {
			lk.Default = &listKindInDefs{Blueprints: bps}
		}
		e.Kinds = append(e.Kinds, lk)
	}
	for _, p := range d.Params {
		envs := append([]string{envName(p.Name)}, p.Env...)
		envs = append(envs, "OCEAN__INTEGRATION__CONFIG__"+strings.ToUpper(strings.ReplaceAll(p.Name, "-", "_")))
		e.Params = append(e.Params, listParam{Flag: "--" + p.Name, Env: envs, Default: p.Default, Secret: p.Secret, Repeatable: p.Repeatable, Usage: p.Usage})
	}
	return e, nil
}

// defaultBlueprintsByKind reads which blueprints each kind's blocks write
// in a default mapping.
func defaultBlueprintsByKind(src []byte) (map[string][]string, error) {
	c, err := mapping.Parse(src)
	if err != nil {
		return nil, err
	}
	m, err := mapping.Compile(c, mapping.Options{})
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, b := range m.Blocks {
		bp, ok := b.Blueprint()
		if !ok {
			bp = "(computed)"
		}
		k := b.Resource.Kind
		if !contains(out[k], bp) {
			out[k] = append(out[k], bp)
		}
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func printList(w io.Writer, entries []listEntry) {
	for i, e := range entries {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s — %s\n", e.Type, e.Summary)
		switch {
		case e.OpenKinds && len(e.Kinds) == 1:
			fmt.Fprintln(w, "  kinds: any (the kind is the endpoint path); every kind reads:")
		case e.OpenKinds:
			fmt.Fprintln(w, "  kinds: any (the kind is the endpoint path); * is every kind not listed:")
		default:
			fmt.Fprintln(w, "  kinds:")
		}
		for _, k := range e.Kinds {
			line := "    " + k.Kind
			if k.Default != nil {
				line += "  → default mapping writes " + strings.Join(k.Default.Blueprints, ", ")
			}
			fmt.Fprintln(w, line)
			for _, s := range k.Selectors {
				def := ""
				if s.Default != "" {
					def = fmt.Sprintf(" (default %s)", s.Default)
				}
				fmt.Fprintf(w, "        selector.%s%s: %s\n", s.Name, def, s.Usage)
			}
		}
		if len(e.Params) > 0 {
			fmt.Fprintln(w, "  parameters:")
		}
		for _, p := range e.Params {
			var notes []string
			if p.Default != "" {
				notes = append(notes, "default "+p.Default)
			}
			if p.Secret {
				notes = append(notes, "secret")
			}
			if p.Repeatable {
				notes = append(notes, "repeatable")
			}
			note := ""
			if len(notes) > 0 {
				note = " (" + strings.Join(notes, ", ") + ")"
			}
			fmt.Fprintf(w, "    %s%s: %s\n        env: %s\n", p.Flag, note, p.Usage, strings.Join(p.Env, ", "))
		}
		if len(e.Defaults.Blueprints) > 0 || e.Defaults.Mapping {
			bps := "none"
			if len(e.Defaults.Blueprints) > 0 {
				bps = strings.Join(e.Defaults.Blueprints, ", ")
			}
			fmt.Fprintf(w, "  default blueprints: %s (tide defaults show %s)\n", bps, e.Type)
		} else {
			fmt.Fprintln(w, "  no default blueprints or mapping: pass --mapping FILE")
		}
	}
}
