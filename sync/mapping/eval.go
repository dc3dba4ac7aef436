package mapping

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/tide-sync/tide/internal/budget"
	"github.com/tide-sync/tide/internal/jsonx"
)

// Process expands item with itemsToParse (when set), runs the selector and
// the mappings on each expanded item, and calls emit once per expanded item.
// It returns an error (the block fails) when the selector yields a
// non-boolean or fails, when an item's evaluation runs out of its budget
// (naming the field and its expression), or when ctx is done: every JQ
// evaluation runs under ctx, so --timeout and a signal stop it at once.
//
// item is never modified. Emitted entities may share nested values with
// it (a property mapped to `.labels` is the item's own list): both are
// read-only from here on.
func (b *Block) Process(ctx context.Context, item map[string]any, emit func(Outcome)) error {
	return b.ProcessResolved(ctx, item, nil, emit)
}

// ProcessResolved is Process for a block with prefixed values
// (References): resolved holds the item's value of each, keyed by the
// value as written, as the integration resolved them for this item. The
// expanded items of itemsToParse share their parent's values.
func (b *Block) ProcessResolved(ctx context.Context, item map[string]any, resolved map[string]any, emit func(Outcome)) error {
	if b.items == nil {
		return b.one(b.budget.Start(ctx), item, resolved, emit)
	}
	warning, err := b.items.expand(b.budget.Start(ctx), item, func(it map[string]any) error {
		return b.one(b.budget.Start(ctx), it, resolved, emit)
	})
	if err != nil {
		return err
	}
	if warning != "" {
		emit(Outcome{Warning: warning})
	}
	return nil
}

// abort says err must fail the block rather than leave one field out: a
// budget ran out or the run was stopped.
func abort(err error) bool {
	return errors.Is(err, budget.ErrExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// aborted wraps an aborting error with the field and expression it hit.
func aborted(field, expr string, err error) error {
	return fmt.Errorf("%s %s: %w", field, pyRepr(expr), err)
}

// one runs the selector and the mapping on one (expanded) item.
func (b *Block) one(m *budget.Meter, item map[string]any, refs map[string]any, emit func(Outcome)) error {
	q := b.Resource.Selector.Query
	v, ok, err := b.selector.first(m, item)
	switch {
	case err != nil && abort(err):
		return aborted("selector.query", q, err)
	case err != nil:
		return fmt.Errorf("selector %s failed: %s", pyRepr(q), firstLine(err))
	case !ok:
		return fmt.Errorf("selector %s produced no output", pyRepr(q))
	}
	pass, isBool := v.(bool)
	if !isBool {
		// Ocean's EntityProcessorException text.
		return fmt.Errorf("Expected boolean value for pattern %s, got value:%s of type: %s instead", pyRepr(q), pyStr(v), jsonx.TypeName(v))
	}
	if !pass {
		emit(Outcome{Filtered: true})
		return nil
	}
	o, err := b.mapItem(m, item, refs)
	if err != nil {
		return err
	}
	emit(o)
	return nil
}

// mapItem evaluates every mapped field and applies Ocean's acceptance rule.
func (b *Block) mapItem(m *budget.Meter, item map[string]any, refs map[string]any) (Outcome, error) {
	var mis []Misconfig
	ent := &Entity{Has: b.fields.Has}
	ev := evaluator{m: m, refs: refs, mis: &mis}
	id, _ := ev.eval(b.identifier, item)
	bp, _ := ev.eval(b.blueprint, item)
	// A field whose expression raised an error is left out of the write, so
	// a merge upsert keeps Port's value. Ocean writes null over it.
	for _, f := range []struct {
		n    *node
		dst  *any
		bit  Field
		text bool // icon and team: a number or boolean becomes text
	}{{b.title, &ent.Title, HasTitle, false}, {b.icon, &ent.Icon, HasIcon, true}, {b.team, &ent.Team, HasTeam, true}} {
		if f.n == nil || ev.err != nil {
			continue
		}
		v, ok := ev.eval(f.n, item)
		if !ok {
			ent.Has &^= f.bit
			ent.Omitted = append(ent.Omitted, f.n.path)
			continue
		}
		if f.text {
			v = scalarText(v)
		}
		*f.dst = v
	}
	if b.properties != nil {
		ent.Properties = ev.fields(b.properties, item, &ent.Omitted)
	}
	if b.relations != nil {
		ent.Relations = ev.fields(b.relations, item, &ent.Omitted)
	}
	if ev.err != nil {
		return Outcome{}, ev.err
	}

	idv, accept := identifier(id)
	ent.Identifier = idv
	if !accept {
		if truthy(id) {
			mis = append(mis, Misconfig{Field: "identifier", Expr: b.identifier.expr,
				Err: "identifier must be a string, a number or a search query object, got " + jsonx.TypeName(id)})
		}
	}
	switch s, isStr := bp.(string); {
	case isStr && s != "":
		ent.Blueprint = s
	case !isStr && truthy(bp):
		accept = false
		mis = append(mis, Misconfig{Field: "blueprint", Expr: b.blueprint.expr,
			Err: "blueprint must be a string, got " + jsonx.TypeName(bp)})
	default:
		// null or empty: rejected, reported only when null (Ocean's rule).
		accept = false
	}
	if len(mis) > 1 {
		sort.SliceStable(mis, func(i, j int) bool { return mis[i].Field < mis[j].Field })
	}
	out := Outcome{Misconfigured: mis}
	if accept {
		out.Entity = ent
	}
	return out, nil
}

// identifier converts an evaluated identifier; ok is false when the entity
// must be rejected.
//
// Ocean sends a number identifier as-is; tide sends its decimal text
// (42.0 → "42"), the only form Port accepts (deliberate difference).
func identifier(v any) (any, bool) {
	switch t := v.(type) {
	case string:
		return t, t != ""
	case float64:
		if t == 0 {
			return nil, false // falsy in Python
		}
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case *big.Int:
		// Beyond 2^53: the exact decimal text, so two ids a float64 would
		// round to one stay two entities.
		return t.String(), t.Sign() != 0
	case map[string]any:
		return t, len(t) > 0
	}
	return nil, false
}

// scalarText turns a number or a boolean into text and leaves anything
// else alone.
//
// Matches Ocean, whose Entity model types icon as a string and team as a
// string, list or object: pydantic (v1) turns a number into str(number)
// and a boolean into "True"/"False" before the entity is sent, and Port
// refuses a number there. An integral number is written without a
// fraction ("5"), as Ocean writes a JSON integer.
func scalarText(v any) any {
	switch t := v.(type) {
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		if t {
			return "True"
		}
		return "False"
	}
	return v
}

// truthy is Python's truth value of a decoded JSON value, which Ocean
// uses to accept an entity (docs/ocean-compatibility.md#mapped-values).
func truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case float64:
		return t != 0
	case *big.Int:
		return t.Sign() != 0
	case string:
		return t != ""
	case []any:
		return len(t) > 0
	case map[string]any:
		return len(t) > 0
	}
	return true
}

// evaluator evaluates one item's mapping nodes under one meter. The first
// aborting error (a budget run out, the run stopped) is kept in err and
// every later evaluation is skipped: the block fails with it.
type evaluator struct {
	m    *budget.Meter
	refs map[string]any // the item's resolved prefixed values
	mis  *[]Misconfig
	err  error
}

// withinSize fails when v, written out, would be larger than the meter's
// memory budget: each value counts 16 bytes and a string its length too.
// The walk stops as soon as the budget is passed, so a value that shares
// itself a billion times costs no more than the budget to refuse.
func withinSize(v any, m *budget.Meter) error {
	max := m.MaxMemory()
	left := int64(max)
	var walk func(any) bool
	walk = func(v any) bool {
		left -= 16
		switch t := v.(type) {
		case string:
			left -= int64(len(t))
		case map[string]any:
			for k, x := range t {
				left -= int64(len(k))
				if left < 0 || !walk(x) {
					return false
				}
			}
		case []any:
			for _, x := range t {
				if left < 0 || !walk(x) {
					return false
				}
			}
		}
		return left >= 0
	}
	switch v.(type) {
	case map[string]any, []any:
	default:
		if s, ok := v.(string); !ok || uint64(len(s)) <= max {
			return nil
		}
	}
	if walk(v) {
		return nil
	}
	return &budget.ExceededError{Output: true, Max: max}
}

// fields evaluates an object's keys. With omitted set (an entity's
// properties or relations), a key whose expression raised an error is left
// out and its path recorded; inside a value (a search query, a structured
// property) an error fails the whole value.
func (ev *evaluator) fields(fs []field, item any, omitted *[]string) map[string]any {
	m := make(map[string]any, len(fs))
	for _, f := range fs {
		v, ok := ev.eval(f.n, item)
		if !ok && omitted != nil {
			*omitted = append(*omitted, f.n.path)
			continue
		}
		m[f.key] = v
	}
	return m
}

// eval evaluates a mapping node against the item. A leaf with no output or
// a runtime error is null and reported; siblings are unaffected. ok is false
// when an expression in the node raised an error.
//
// Matches Ocean's _search_as_object (docs/ocean-compatibility.md#mapped-values),
// except that an optional leaf (`.x // null`) giving null is not
// reported, and the caller leaves a failed field out instead of writing null.
func (ev *evaluator) eval(n *node, item any) (any, bool) {
	if ev.err != nil {
		return nil, false
	}
	mis := ev.mis
	switch n.kind {
	case objectNode:
		m := make(map[string]any, len(n.obj))
		ok := true
		for _, f := range n.obj {
			v, good := ev.eval(f.n, item)
			m[f.key] = v
			ok = ok && good
		}
		return m, ok
	case arrayNode:
		a := make([]any, len(n.arr))
		ok := true
		for i, c := range n.arr {
			var good bool
			a[i], good = ev.eval(c, item)
			ok = ok && good
		}
		return a, ok
	case refNode:
		v, ok := ev.refs[n.expr]
		switch {
		case !ok:
			// Like an expression that raised an error: left out of the write.
			*mis = append(*mis, Misconfig{Field: n.path, Expr: n.expr, Err: "the integration did not resolve this value"})
			return nil, false
		case v == nil:
			// Ocean: a file that does not exist maps to null.
			*mis = append(*mis, Misconfig{Field: n.path, Expr: n.expr})
			return nil, true
		}
		return normalize(v), true
	}
	v, _, err := n.prog.valueOf(ev.m, item)
	if err != nil {
		if abort(err) {
			ev.err = aborted(n.path, n.expr, err)
			return nil, false
		}
		*mis = append(*mis, Misconfig{Field: n.path, Expr: n.expr, Err: firstLine(err)})
		return nil, false
	}
	if v == nil {
		if !n.prog.optional {
			*mis = append(*mis, Misconfig{Field: n.path, Expr: n.expr})
		}
		return nil, true
	}
	return normalize(v), true
}

// normalize makes every number a float64, as encoding/json decodes them,
// so an integer computed by gojq (int or *big.Int) marshals and compares
// like the same number read from Port. An integer a float64 cannot hold
// exactly (beyond 2^53, e.g. a 64-bit snowflake id the source decoded
// exactly) stays a *big.Int: it keeps its decimal text to the identifier
// and the written properties. Values are copied only where something
// changes: the item's own values are shared, never modified.
func normalize(v any) any {
	n, _ := norm(v)
	return n
}

func norm(v any) (any, bool) {
	switch t := v.(type) {
	case nil, string, bool, float64:
		return v, false
	case int:
		return float64(t), true
	case *big.Int:
		f, acc := new(big.Float).SetInt(t).Float64()
		if acc != big.Exact {
			return v, false
		}
		return f, true
	case json.Number:
		if b, ok := new(big.Int).SetString(string(t), 10); ok {
			n, _ := norm(b)
			return n, true
		}
		if f, err := t.Float64(); err == nil {
			return f, true
		}
		return v, false
	case map[string]any:
		var out map[string]any
		for k, x := range t {
			nx, changed := norm(x)
			if !changed {
				continue
			}
			if out == nil {
				out = make(map[string]any, len(t))
				for k2, x2 := range t {
					out[k2] = x2
				}
			}
			out[k] = nx
		}
		if out == nil {
			return t, false
		}
		return out, true
	case []any:
		var out []any
		for i, x := range t {
			nx, changed := norm(x)
			if !changed {
				continue
			}
			if out == nil {
				out = make([]any, len(t))
				copy(out, t)
			}
			out[i] = nx
		}
		if out == nil {
			return t, false
		}
		return out, true
	}
	return v, false
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// pyRepr quotes s the way Python's repr does, for Ocean's message text.
func pyRepr(s string) string {
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case rune(q):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// pyStr renders a value roughly as Python's str would: strings bare,
// None/True/False spelled the Python way, anything else as JSON.
func pyStr(v any) string {
	switch t := v.(type) {
	case nil:
		return "None"
	case bool:
		if t {
			return "True"
		}
		return "False"
	case string:
		return t
	}
	b, err := json.Marshal(normalize(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
