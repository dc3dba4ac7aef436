package jsonx

import (
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// Projection is the part of an object a reader can see: the keys it may
// read, each with the part of its value it needs. A nil *Projection means
// the whole value; a Projection with no keys keeps an object but none of
// its keys (a reader that only asks whether it is there or what type it
// is).
type Projection struct {
	Keys map[string]*Projection
}

// Whole reports whether p keeps everything.
func (p *Projection) Whole() bool { return p == nil }

// Union returns what p and q together keep: a key either keeps, with the
// union of what each keeps under it. Neither is modified.
func (p *Projection) Union(q *Projection) *Projection {
	if p == nil || q == nil {
		return nil
	}
	out := &Projection{Keys: make(map[string]*Projection, len(p.Keys)+len(q.Keys))}
	maps.Copy(out.Keys, p.Keys)
	for k, v := range q.Keys {
		if w, ok := out.Keys[k]; ok {
			out.Keys[k] = w.Union(v)
		} else {
			out.Keys[k] = v
		}
	}
	return out
}

// String spells p as a sorted list of paths, a "*" leaf keeping the whole
// value under it and a bare path keeping only the object: {a.*, b.c.*,
// d}. A nil p is "*".
func (p *Projection) String() string {
	if p == nil {
		return "*"
	}
	var paths []string
	var walk func(prefix string, q *Projection)
	walk = func(prefix string, q *Projection) {
		for k, sub := range q.Keys {
			switch {
			case sub == nil:
				paths = append(paths, prefix+k+".*")
			case len(sub.Keys) == 0:
				paths = append(paths, prefix+k)
			default:
				walk(prefix+k+".", sub)
			}
		}
	}
	walk("", p)
	slices.Sort(paths) // the whole list: a sorted walk is not sorted paths ("a.b.*" > "a-.*")
	return "{" + strings.Join(paths, ", ") + "}"
}

// DecodeProjected is DecodeExactInts, except that each element of the
// array reached by following items (object keys, from the document's
// root; none for a document that is the array) keeps only what proj
// keeps: an object's other keys are skipped, and a kept key whose value
// is not an object (an array, a string, a number) is decoded whole.
// Everything outside that array is decoded whole, and so is the array
// when the path does not lead to one.
//
// The skipped parts are scanned and checked exactly as Decode checks
// them, allocating nothing: a document Decode refuses is refused here
// with the same error, and one it accepts gives the same value with the
// skipped keys left out. A repeated key keeps its last value, as in
// Decode. A nil proj is DecodeExactInts.
func DecodeProjected(data []byte, items []string, proj *Projection) (any, error) {
	if proj == nil {
		return DecodeExactInts(data)
	}
	d := decoder{data: data, exactInts: true}
	return d.end(d.along(items, proj))
}

// along decodes the value at d.i, which lies on the path to the item
// array (path are the keys still to follow).
func (d *decoder) along(path []string, proj *Projection) (any, error) {
	d.ws()
	if d.i >= len(d.data) {
		return nil, errEnd
	}
	switch d.data[d.i] {
	case '[':
		if len(path) == 0 {
			return d.arraySel(proj)
		}
	case '{':
		if len(path) > 0 {
			return d.objectSel(path, proj, false)
		}
	}
	return d.value()
}

// projected decodes one element of the item array.
func (d *decoder) projected(proj *Projection) (any, error) {
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == '{' {
		return d.objectSel(nil, proj, true)
	}
	return d.value()
}

// arraySel decodes an array, each element projected by proj (whole when
// proj is nil).
func (d *decoder) arraySel(proj *Projection) (any, error) {
	if d.depth++; d.depth > maxDepth {
		return nil, d.errorf("exceeded max depth")
	}
	d.i++ // [
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == ']' {
		d.i++
		d.depth--
		return []any{}, nil
	}
	base := len(d.stack)
	for {
		var (
			v   any
			err error
		)
		if proj == nil {
			v, err = d.value()
		} else {
			v, err = d.projected(proj)
		}
		if err != nil {
			return nil, err
		}
		d.stack = append(d.stack, v)
		d.ws()
		if d.i >= len(d.data) {
			return nil, errEnd
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			d.depth--
			a := make([]any, len(d.stack)-base)
			copy(a, d.stack[base:])
			clear(d.stack[base:])
			d.stack = d.stack[:base]
			return a, nil
		default:
			return nil, d.errorf("invalid character %s after array element", quoteChar(d.data[d.i]))
		}
	}
}

// objectSel decodes an object: whole (no path, item false), on the path to
// the item array (item false: the key path[0] leads on, every other is
// decoded whole) or inside an item (item true: keys proj lacks are
// skipped).
func (d *decoder) objectSel(path []string, proj *Projection, item bool) (any, error) {
	if d.depth++; d.depth > maxDepth {
		return nil, d.errorf("exceeded max depth")
	}
	d.i++ // {
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		d.depth--
		return map[string]any{}, nil
	}
	base, kbase := len(d.stack), len(d.names)
	for {
		d.ws()
		if d.i >= len(d.data) {
			return nil, errEnd
		}
		if d.data[d.i] != '"' {
			return nil, d.errorf("invalid character %s looking for beginning of object key string", quoteChar(d.data[d.i]))
		}
		var (
			k    string
			keep = true
			sub  *Projection
		)
		if raw, ok := d.plainKey(); ok {
			if item {
				sub, keep = proj.Keys[string(raw)]
			}
			if keep {
				k = d.intern(raw)
			}
		} else {
			var err error
			if k, err = d.str(true); err != nil {
				return nil, err
			}
			if item {
				sub, keep = proj.Keys[k]
			}
		}
		d.ws()
		if d.i >= len(d.data) {
			return nil, errEnd
		}
		if d.data[d.i] != ':' {
			return nil, d.errorf("invalid character %s after object key", quoteChar(d.data[d.i]))
		}
		d.i++
		var (
			v   any
			err error
		)
		switch {
		case !keep:
			err = d.skip()
		case item && sub != nil:
			v, err = d.projected(sub)
		case item:
			v, err = d.value()
		case len(path) > 0 && k == path[0]:
			v, err = d.along(path[1:], proj)
		default:
			v, err = d.value()
		}
		if err != nil {
			return nil, err
		}
		if keep {
			d.names = append(d.names, k)
			d.stack = append(d.stack, v)
		}
		d.ws()
		if d.i >= len(d.data) {
			return nil, errEnd
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			vals, names := d.stack[base:], d.names[kbase:]
			m := make(map[string]any, len(vals))
			for j, k := range names {
				m[k] = vals[j] // a repeated key: the last wins
			}
			clear(vals)
			d.stack, d.names = d.stack[:base], d.names[:kbase]
			return m, nil
		default:
			return nil, d.errorf("invalid character %s after object key:value pair", quoteChar(d.data[d.i]))
		}
	}
}

// plainKey reads the key string at d.i when it is plain ASCII with no
// escape (it then reads as its bytes), leaving d.i after its closing
// quote; ok is false, and d.i unmoved, for anything else, which str reads.
func (d *decoder) plainKey() (raw []byte, ok bool) {
	for j := d.i + 1; j < len(d.data); j++ {
		switch c := d.data[j]; {
		case c == '"':
			raw = d.data[d.i+1 : j]
			d.i = j + 1
			return raw, true
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return nil, false
		}
	}
	return nil, false
}

// skip scans the value at d.i as value would decode it, with the same
// errors at the same offsets, building nothing.
func (d *decoder) skip() error {
	d.ws()
	if d.i >= len(d.data) {
		return errEnd
	}
	switch c := d.data[d.i]; {
	case c == '{':
		return d.skipObject()
	case c == '[':
		return d.skipArray()
	case c == '"':
		return d.skipStr()
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return d.skipNumber()
	default:
		return d.errorf("invalid character %s looking for beginning of value", quoteChar(c))
	}
}

func (d *decoder) skipObject() error {
	if d.depth++; d.depth > maxDepth {
		return d.errorf("exceeded max depth")
	}
	d.i++ // {
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		d.depth--
		return nil
	}
	for {
		d.ws()
		if d.i >= len(d.data) {
			return errEnd
		}
		if d.data[d.i] != '"' {
			return d.errorf("invalid character %s looking for beginning of object key string", quoteChar(d.data[d.i]))
		}
		if err := d.skipStr(); err != nil {
			return err
		}
		d.ws()
		if d.i >= len(d.data) {
			return errEnd
		}
		if d.data[d.i] != ':' {
			return d.errorf("invalid character %s after object key", quoteChar(d.data[d.i]))
		}
		d.i++
		if err := d.skip(); err != nil {
			return err
		}
		d.ws()
		if d.i >= len(d.data) {
			return errEnd
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			return nil
		default:
			return d.errorf("invalid character %s after object key:value pair", quoteChar(d.data[d.i]))
		}
	}
}

func (d *decoder) skipArray() error {
	if d.depth++; d.depth > maxDepth {
		return d.errorf("exceeded max depth")
	}
	d.i++ // [
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == ']' {
		d.i++
		d.depth--
		return nil
	}
	for {
		if err := d.skip(); err != nil {
			return err
		}
		d.ws()
		if d.i >= len(d.data) {
			return errEnd
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			d.depth--
			return nil
		default:
			return d.errorf("invalid character %s after array element", quoteChar(d.data[d.i]))
		}
	}
}

// skipStr scans a string as str and escaped do: the same faults at the
// same offsets (invalid UTF-8 is no fault; it decodes to U+FFFD).
func (d *decoder) skipStr() error {
	d.i++ // "
	for d.i < len(d.data) {
		switch c := d.data[d.i]; {
		case c == '"':
			d.i++
			return nil
		case c == '\\':
			if d.i+1 >= len(d.data) {
				return errEnd
			}
			switch e := d.data[d.i+1]; e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i += 2
			case 'u':
				if _, bad, ok := hex4(d.data, d.i+2); !ok {
					d.i = bad
					if bad >= len(d.data) {
						return errEnd
					}
					return d.errorf("invalid character %s in \\u hexadecimal character escape", quoteChar(d.data[bad]))
				}
				d.i += 6
			default:
				d.i++
				return d.errorf("invalid character %s in string escape code", quoteChar(e))
			}
		case c < 0x20:
			return d.errorf("invalid character %s in string literal", quoteChar(c))
		default:
			d.i++
		}
	}
	return errEnd
}

// skipNumber scans a number as number does, building nothing.
func (d *decoder) skipNumber() error {
	_, err := d.scanNumber(true)
	return err
}
