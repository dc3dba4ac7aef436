package port

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/tide-sync/tide/internal/jsonx"
)

// Projection names the fields of each entity a projected search keeps.
// Everything else in the answer (other properties, Port's metadata) is
// validated and skipped, and nothing is decoded into maps: the snapshot
// needs a hash of a few fields per entity, not the entity.
type Projection struct {
	Title, Icon, Team bool
	Properties        []string
	Relations         []string
	// AllRelations keeps every relation as a name and raw value
	// (ProjectedPage.RelationsOf): the relation targets of owned entities.
	AllRelations bool
}

// Slots is the number of fields each entity of a page has: title, icon,
// team, then the properties, then the relations, in the projection's order.
func (p *Projection) Slots() int { return 3 + len(p.Properties) + len(p.Relations) }

// Slot numbers of the top-level fields.
const (
	SlotTitle = 0
	SlotIcon  = 1
	SlotTeam  = 2
)

// PropertySlot is the slot of p.Properties[i].
func (p *Projection) PropertySlot(i int) int { return 3 + i }

// RelationSlot is the slot of p.Relations[i].
func (p *Projection) RelationSlot(i int) int { return 3 + len(p.Properties) + i }

// RelationValue is one relation of an entity, its value raw JSON.
type RelationValue struct {
	Name  string
	Value []byte
}

// ProjectedPage is one page of a projected search. Raw values alias the
// answer's body and are valid JSON (the page was validated whole).
type ProjectedPage struct {
	slots  int
	ids    []string
	raw    []byte
	fields []span // len(ids) × slots

	relStart []int32 // entity i's relations are rels[relStart[i]:relStart[i+1]]
	rels     []RelationValue
}

// Len is the number of entities on the page.
func (p *ProjectedPage) Len() int { return len(p.ids) }

// Identifier returns entity i's identifier.
func (p *ProjectedPage) Identifier(i int) string { return p.ids[i] }

// Field returns the raw JSON of entity i's field in slot, nil when the
// entity does not have it (a null stays "null").
func (p *ProjectedPage) Field(i, slot int) []byte {
	sp := p.fields[i*p.slots+slot]
	if sp.end == 0 {
		return nil
	}
	return p.raw[sp.start:sp.end]
}

// span is a value's place in the answer; the zero span is no value.
type span struct{ start, end uint32 }

// RelationsOf returns every relation of entity i (AllRelations only), each
// name once (a repeated key: the last wins, as decoding into a map does).
func (p *ProjectedPage) RelationsOf(i int) []RelationValue {
	if p.relStart == nil {
		return nil
	}
	return p.rels[p.relStart[i]:p.relStart[i+1]]
}

// projector decodes search pages for one projection.
type projector struct {
	proj  *Projection
	props map[string]int // name → slot
	rels  map[string]int
	names map[string]string // interned relation names
}

func newProjector(p *Projection) *projector {
	pr := &projector{proj: p, props: map[string]int{}, rels: map[string]int{}, names: map[string]string{}}
	for i, name := range p.Properties {
		pr.props[name] = p.PropertySlot(i)
	}
	for i, name := range p.Relations {
		pr.rels[name] = p.RelationSlot(i)
	}
	return pr
}

// DecodeProjectedPage reads one answer of the entity search
// ({"entities": [...], "next": "..."}), keeping p's fields. An answer that
// is not valid JSON, not an object, whose entities are not an array of
// objects each with a string identifier, or whose next is neither a string
// nor null is an error.
func DecodeProjectedPage(raw []byte, p *Projection) (*ProjectedPage, string, error) {
	return newProjector(p).decode(raw)
}

func (pr *projector) decode(raw []byte) (*ProjectedPage, string, error) {
	s := &scanner{data: raw}
	page := &ProjectedPage{slots: pr.proj.Slots(), raw: raw}
	// Port answers at most 1000 entities a page, each at least
	// {"identifier":""} long: room for them at once.
	n := min(1000, len(raw)/18)
	page.ids, page.fields = make([]string, 0, n), make([]span, 0, n*page.slots)
	if pr.proj.AllRelations {
		page.relStart = []int32{0}
	}
	var next string
	err := s.listing(func() {
		// A repeated entities key: the last wins.
		page.ids, page.fields, page.rels = page.ids[:0], page.fields[:0], page.rels[:0]
		if page.relStart != nil {
			page.relStart = page.relStart[:1]
		}
	}, func(n int) error {
		return pr.entity(s, page, n)
	}, func() error {
		v, err := s.value()
		if err != nil {
			return err
		}
		switch v[0] {
		case '"':
			next, err = unquote(v[1:len(v)-1], slices.Contains(v, '\\'))
			return err
		case 'n':
			next = ""
			return nil
		}
		return fmt.Errorf("next is %s, not a string", jsonKind(v[0]))
	})
	if err != nil {
		return nil, "", err
	}
	return page, next, nil
}

// listing reads an answer listing entities ({"entities": [...], "next":
// ...}), its syntax checked whole: entity reads entities[n], reset forgets
// the entities read when the key comes again (the last wins), and next
// reads next's value. An answer that is not an object, or whose entities
// are missing or not an array, is an error.
func (s *scanner) listing(reset func(), entity func(n int) error, next func() error) error {
	if s.peek() != '{' {
		return s.notA(errors.New("want a JSON object"))
	}
	sawEntities := false
	err := s.object(func(key []byte, esc bool) error {
		k := string(key)
		if esc {
			k, _ = unquote(key, esc)
		}
		switch k {
		case "entities":
			if sawEntities {
				reset()
			}
			sawEntities = true
			if s.peek() != '[' {
				return s.notA(errors.New("entities is not an array"))
			}
			return s.array(entity)
		case "next":
			return next()
		}
		return s.skip()
	})
	if err != nil {
		return err
	}
	if err := s.end(); err != nil {
		return err
	}
	if !sawEntities {
		return errors.New("the answer has no entities")
	}
	return nil
}

// notA skips the value at s.i, which is not of the kind wanted, and
// returns its syntax error if it has one, else wrong.
func (s *scanner) notA(wrong error) error {
	if err := s.skip(); err != nil {
		return err
	}
	return wrong
}

// entity reads entities[n] into page.
func (pr *projector) entity(s *scanner, page *ProjectedPage, n int) error {
	if c := s.peek(); c != '{' {
		return s.notA(fmt.Errorf("entities[%d] is %s, not an object", n, jsonKind(c)))
	}
	base := len(page.fields)
	for range page.slots {
		page.fields = append(page.fields, span{})
	}
	f := page.fields[base:]
	relBase := len(page.rels)
	id, hasID := "", false
	err := s.object(func(key []byte, esc bool) error {
		k := string(key)
		if esc {
			k, _ = unquote(key, esc)
		}
		switch k {
		case "identifier":
			// A repeated key: the last wins; one that is not a string
			// leaves the entity without identifier.
			id, hasID = "", false
			if s.peek() != '"' {
				return s.skip()
			}
			raw, e, err := s.str()
			if err != nil {
				return err
			}
			id, err = unquote(raw, e)
			hasID = err == nil
			return err
		case "title":
			return pr.top(s, f, SlotTitle, pr.proj.Title)
		case "icon":
			return pr.top(s, f, SlotIcon, pr.proj.Icon)
		case "team":
			return pr.top(s, f, SlotTeam, pr.proj.Team)
		case "properties":
			// A repeated key replaces the whole object, as in a map.
			for _, slot := range pr.props {
				f[slot] = span{}
			}
			if s.peek() != '{' {
				return s.skip()
			}
			return s.object(func(key []byte, esc bool) error {
				slot, ok := pr.lookup(pr.props, key, esc)
				if !ok {
					return s.skip()
				}
				var err error
				f[slot], err = s.span()
				return err
			})
		case "relations":
			for _, slot := range pr.rels {
				f[slot] = span{}
			}
			page.rels = page.rels[:relBase]
			if s.peek() != '{' {
				return s.skip()
			}
			return s.object(func(key []byte, esc bool) error {
				slot, ok := pr.lookup(pr.rels, key, esc)
				if !ok && !pr.proj.AllRelations {
					return s.skip()
				}
				sp, err := s.span()
				if err != nil {
					return err
				}
				v := s.data[sp.start:sp.end]
				if ok {
					f[slot] = sp
				}
				if pr.proj.AllRelations {
					pr.addRelation(page, relBase, key, esc, v)
				}
				return nil
			})
		}
		return s.skip()
	})
	if err != nil {
		return err
	}
	if !hasID || id == "" {
		return fmt.Errorf("entities[%d] has no identifier", n)
	}
	page.ids = append(page.ids, id)
	if page.relStart != nil {
		page.relStart = append(page.relStart, int32(len(page.rels)))
	}
	return nil
}

// top keeps a top-level field's raw value when wanted.
func (pr *projector) top(s *scanner, f []span, slot int, want bool) error {
	if !want {
		return s.skip()
	}
	var err error
	f[slot], err = s.span()
	return err
}

func (pr *projector) lookup(m map[string]int, key []byte, esc bool) (int, bool) {
	if !esc && utf8.Valid(key) {
		slot, ok := m[string(key)]
		return slot, ok
	}
	k, err := unquote(key, esc)
	if err != nil {
		return 0, false
	}
	slot, ok := m[k]
	return slot, ok
}

// addRelation appends one relation of the entity whose relations start at
// base, replacing an earlier one of the same name.
func (pr *projector) addRelation(page *ProjectedPage, base int, key []byte, esc bool, v []byte) {
	var name string
	if esc || !utf8.Valid(key) {
		name, _ = unquote(key, esc)
	} else if n, ok := pr.names[string(key)]; ok {
		name = n
	} else {
		name = string(key)
		if len(pr.names) < 4096 {
			pr.names[name] = name
		}
	}
	for j := base; j < len(page.rels); j++ {
		if page.rels[j].Name == name {
			page.rels = append(page.rels[:j], page.rels[j+1:]...)
			break
		}
	}
	page.rels = append(page.rels, RelationValue{Name: name, Value: v})
}

// jsonKind names the kind of the value starting with c, for errors.
func jsonKind(c byte) string {
	switch {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	}
	return "a number"
}

// SearchProjected pages the entity search as SearchEntities does (the next
// page requested while fn works on this one) and hands fn each page
// decoded through p.
func (c *Client) SearchProjected(ctx context.Context, blueprint string, req SearchRequest, p *Projection, fn func(*ProjectedPage) error) error {
	pr := newProjector(p)
	return searchPages(ctx, c, blueprint, req, pr.decode, fn)
}

// decodeDatasourcePage reads one answer of the datasource listing
// ({"entities": [{"identifier", "blueprint"}...], "next": ...}) without
// reflection. An answer that is not valid JSON, not an object, or whose
// entities are not an array of objects each with a string identifier and
// blueprint is an error.
func decodeDatasourcePage(raw []byte) ([]EntityRef, any, error) {
	s := &scanner{data: raw}
	var refs []EntityRef
	var next any
	err := s.listing(func() {
		refs = refs[:0]
	}, func(n int) error {
		ref, err := datasourceRef(s, n)
		refs = append(refs, ref)
		return err
	}, func() error {
		v, err := s.value()
		if err != nil {
			return err
		}
		next, err = jsonx.Decode(v)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return refs, next, nil
}

// datasourceRef reads entities[n] of a datasource listing.
func datasourceRef(s *scanner, n int) (EntityRef, error) {
	if c := s.peek(); c != '{' {
		return EntityRef{}, s.notA(fmt.Errorf("entities[%d] is %s, not an object", n, jsonKind(c)))
	}
	var ref EntityRef
	err := s.object(func(key []byte, esc bool) error {
		k := string(key)
		if esc {
			k, _ = unquote(key, esc)
		}
		var dst *string
		switch k {
		case "identifier":
			dst = &ref.Identifier
		case "blueprint":
			dst = &ref.Blueprint
		default:
			return s.skip()
		}
		*dst = ""
		if s.peek() != '"' {
			return s.skip()
		}
		raw, e, err := s.str()
		if err != nil {
			return err
		}
		*dst, err = unquote(raw, e)
		return err
	})
	switch {
	case err != nil:
		return ref, err
	case ref.Identifier == "":
		return ref, fmt.Errorf("entities[%d] has no identifier", n)
	case ref.Blueprint == "":
		return ref, fmt.Errorf("entities[%d] has no blueprint", n)
	}
	return ref, nil
}
