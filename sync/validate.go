package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
	"github.com/tide-sync/tide/sync/port/catalog"
)

// checkMappedFields holds every selected block that writes a constant
// blueprint against that blueprint's definition: a mapped property or
// relation the blueprint does not declare, or a relation whose target
// blueprint does not exist, is a mapping mistake every entity would
// make, reported before anything is written (exit 2) instead of as one
// 422 per entity from Port.
func checkMappedFields(ctx context.Context, cfg Config, m *mapping.Mapping, defs *blueprintDefs) error {
	selected := kindSet(cfg.Kinds)
	var problems []mapping.ParseProblem
	for _, b := range m.Blocks {
		if selected != nil && !selected[b.Resource.Kind] {
			continue
		}
		bp, ok := b.Blueprint()
		if !ok {
			continue
		}
		def, err := defs.fetch(ctx, bp)
		if err != nil || def.model == nil {
			continue // a missing blueprint is reported by checkBlueprints
		}
		fs := b.Fields()
		add := func(field, msg string) {
			path := fmt.Sprintf("resources[%d].port.entity.mappings.%s", b.Index, field)
			problems = append(problems, mapping.ParseProblem{Path: path, Line: m.Config.Lines.Line(path),
				Message: fmt.Sprintf("%s (kind %q)", msg, b.Resource.Kind)})
		}
		for _, p := range fs.Properties {
			if _, ok := def.model.Properties[p]; !ok {
				add("properties."+p, fmt.Sprintf("blueprint %q has no property %q (it has: %s)", bp, p, keyList(def.model.Properties)))
			}
		}
		for _, r := range fs.Relations {
			rel, ok := def.model.Relations[r]
			if !ok {
				add("relations."+r, fmt.Sprintf("blueprint %q has no relation %q (it has: %s)", bp, r, keyList(def.model.Relations)))
				continue
			}
			if rel.Target == bp {
				continue
			}
			if _, err := defs.fetch(ctx, rel.Target); errors.Is(err, port.ErrNotFound) {
				add("relations."+r, fmt.Sprintf("relation %q of blueprint %q targets blueprint %q, which does not exist", r, bp, rel.Target))
			} else if err != nil {
				return fmt.Errorf("reading blueprint %q: %w", rel.Target, err)
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %w", cfg.mappingName(), &mapping.ParseError{Problems: problems})
	}
	return nil
}

func keyList[V any](m map[string]V) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}

// mappingName names the mapping in an error.
func (c *Config) mappingName() string {
	if c.MappingSource != nil {
		return c.MappingSource.Name
	}
	return c.MappingName
}

// defsLookup lets the catalog model find relation targets in the run's
// blueprint cache.
type defsLookup struct {
	ctx  context.Context
	defs *blueprintDefs
}

func (l defsLookup) Lookup(id string) (*catalog.Blueprint, bool) {
	d, err := l.defs.fetch(l.ctx, id)
	if err != nil || d == nil || d.model == nil {
		return nil, false
	}
	return d.model, true
}

// rejected checks ent against its blueprint's rules, as Port would on the
// write, and reports what Port would refuse as a failed write of its block
// (the entity is then not sent, but counts as seen, so never pruned). It
// returns true when the entity is refused.
//
// An entity Port may already hold is checked as a merge (an absent field
// keeps its value); otherwise as a whole entity.
func (e *engine) rejected(ctx context.Context, br *blockRun, ent *mapping.Entity, id string, exists bool, pos string) bool {
	def, err := e.bpDefs.fetch(ctx, ent.Blueprint)
	if err != nil || def == nil || def.model == nil {
		return false // Port will say; a missing blueprint fails earlier
	}
	ce := catalog.Entity{Identifier: ent.Identifier, Title: ent.Title, Icon: ent.Icon, Team: ent.Team,
		Properties: ent.Properties, Relations: ent.Relations}
	lookup := defsLookup{ctx: ctx, defs: e.bpDefs}
	var vs catalog.Violations
	if exists && e.mapping.Config.EnableMergeEntity {
		vs = def.model.ValidatePatch(ce, lookup)
	} else {
		vs = def.model.Validate(ce, lookup)
	}
	if len(vs) == 0 {
		return false
	}
	if id != "" {
		e.markSeen(ent.Blueprint, id)
		e.rels.dropMapped(ent.Blueprint, id) // not written, so no relation target
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.Path
		if expr := br.block.Expr(v.Path); expr != "" {
			parts[i] += " = " + expr
		}
		parts[i] += ": " + v.Message + " (" + string(v.Rule) + ")"
	}
	msg := fmt.Sprintf("%s %q (%s) would be refused by Port, not written: %s", ent.Blueprint, id, pos, strings.Join(parts, "; "))
	br.update(func(r *BlockResult) {
		r.Failed++
		addSample(&r.WriteErrors, msg)
	})
	return true
}

// position says where an item came from, for a message a user can act on:
// the file (`__path`) when the integration gives one, else its page and
// index and the vendor's id when it has one. It runs for every item, so
// the common forms are built with strconv in one allocation; the text is
// fmt's ("page %d, item %d" and ", id %q" or ", id %v").
func position(page, index int, item map[string]any) string {
	if p, ok := item["__path"].(string); ok && p != "" {
		return p
	}
	var buf [96]byte
	b := append(buf[:0], "page "...)
	b = strconv.AppendInt(b, int64(page), 10)
	b = append(b, ", item "...)
	b = strconv.AppendInt(b, int64(index)+1, 10)
	switch id := item["id"].(type) {
	case string:
		b = strconv.AppendQuote(append(b, ", id "...), id)
	case int:
		b = strconv.AppendInt(append(b, ", id "...), int64(id), 10)
	case int64:
		b = strconv.AppendInt(append(b, ", id "...), id, 10)
	case float64:
		b = fmt.Appendf(b, ", id %v", id)
	}
	return string(b)
}
