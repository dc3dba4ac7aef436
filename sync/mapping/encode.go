package mapping

import "github.com/tide-sync/tide/internal/jsonx"

// AppendJSON appends the JSON form of e to b. It writes exactly what
// json.Marshal(e) writes (keys sorted, the same escapes and number forms)
// without reflection or re-validation: encoding the write bodies was a fifth
// of a first sync's CPU with encoding/json.
func (e *Entity) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"identifier":`...)
	var err error
	if b, err = appendValue(b, e.Identifier); err != nil {
		return nil, err
	}
	b = append(b, `,"blueprint":`...)
	b = jsonx.AppendString(b, e.Blueprint)
	opt := [...]struct {
		bit  Field
		name string
		v    any
	}{
		{HasTitle, `,"title":`, e.Title},
		{HasIcon, `,"icon":`, e.Icon},
		{HasTeam, `,"team":`, e.Team},
		{HasProperties, `,"properties":`, objectOrEmpty(e.Properties)},
		{HasRelations, `,"relations":`, objectOrEmpty(e.Relations)},
	}
	for _, f := range opt {
		if e.Has&f.bit == 0 {
			continue
		}
		b = append(b, f.name...)
		if b, err = appendValue(b, f.v); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendValue encodes the values JSON decoding and gojq produce as
// encoding/json would (jsonx.Append).
func appendValue(b []byte, v any) ([]byte, error) { return jsonx.Append(b, v) }
