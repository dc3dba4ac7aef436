package sync

import (
	"context"
	"fmt"
	"strings"

	"github.com/tide-sync/tide/sync/mapping"
)

// omittedWrite handles an entity some of whose fields were left out because
// their expression raised an error. Such an entity is not compared with the snapshot (the
// left-out fields would read as changed to null): with merge upserts it is
// written without them and Port keeps their values. Without merge an upsert
// replaces the entity and would erase them, so it is not written: a failed
// write of its block, and the entity is still seen, so never pruned.
func (e *engine) omittedWrite(ctx context.Context, br *blockRun, ent *mapping.Entity, id string, plain bool) {
	if plain {
		e.markSeen(ent.Blueprint, id)
	}
	if e.mapping.Config.EnableMergeEntity {
		e.write(ctx, br, ent, id, false, true, nil)
		return
	}
	br.update(func(r *BlockResult) {
		r.Failed++
		addSample(&r.WriteErrors, fmt.Sprintf("%s %q: not written: %s raised an error, and with enableMergeEntity false the upsert would erase Port's value", ent.Blueprint, id, strings.Join(ent.Omitted, ", ")))
	})
}
