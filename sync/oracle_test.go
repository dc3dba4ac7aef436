package sync

import (
	"fmt"

	"github.com/tide-sync/tide/internal/jsonx"
	"github.com/tide-sync/tide/sync/port"
)

// This file keeps the snapshot's former path, decoding each search page
// into entities with maps and hashing them with compareSet.portSum, as the
// oracle the projected path (port.DecodeProjectedPage, pageLoader) is
// checked against. It is test code, never linked into the binary.

// load adds one page of decoded Port entities, as the snapshot did before
// it read projected pages.
func (x *index) load(h hasher, page []port.Entity, keepOld bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for i := range page {
		e := &page[i]
		if _, dup := x.find(e.Identifier); dup {
			continue
		}
		x.ids.add(e.Identifier)
		x.seen = append(x.seen, false)
		x.protected = append(x.protected, false)
		x.listed = append(x.listed, false)
		for _, cs := range x.sets {
			x.hashes = append(x.hashes, cs.portSum(h, e))
			if keepOld {
				x.olds = append(x.olds, cs.portValues(e))
			}
		}
	}
}

// oracleDecodePage is the former search page decoder: the whole answer
// through jsonx into maps. It is a copy of port's decodeSearchPage (which
// SearchEntities still uses), kept frozen here on purpose: the oracle must
// not follow a later change to the decoder it stands for.
func oracleDecodePage(raw []byte) ([]port.Entity, string, error) {
	v, err := jsonx.Decode(raw)
	if err != nil {
		return nil, "", err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, "", fmt.Errorf("want a JSON object")
	}
	next, _ := obj["next"].(string)
	arr, _ := obj["entities"].([]any)
	ents := make([]port.Entity, 0, len(arr))
	for i, x := range arr {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, "", fmt.Errorf("entities[%d] is not an object", i)
		}
		e := port.Entity{Title: m["title"], Icon: m["icon"], Team: m["team"]}
		e.Identifier, _ = m["identifier"].(string)
		e.Blueprint, _ = m["blueprint"].(string)
		e.Properties, _ = m["properties"].(map[string]any)
		e.Relations, _ = m["relations"].(map[string]any)
		ents = append(ents, e)
	}
	return ents, next, nil
}

// portSum is compareSet.sum of a decoded Port entity.
func (c compareSet) portSum(h hasher, e *port.Entity) uint64 {
	return c.sum(h, e.Title, e.Icon, e.Team, e.Properties, e.Relations)
}

// portValues is compareSet.values of a decoded Port entity.
func (c compareSet) portValues(e *port.Entity) []fieldValue {
	return c.values(e.Title, e.Icon, e.Team, e.Properties, e.Relations)
}
