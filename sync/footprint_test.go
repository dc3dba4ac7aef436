package sync

import (
	"context"
	gosync "sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
)

// itemsRecorder is a Source recording what each kind's request says the
// run reads of its items.
type itemsRecorder struct {
	*source
	mu  gosync.Mutex
	got map[string]string
}

func (r *itemsRecorder) Resync(ctx context.Context, req integrations.Request, emit integrations.Emit) error {
	r.mu.Lock()
	r.got[req.Kind] = req.Items.String()
	r.mu.Unlock()
	return r.source.Resync(ctx, req, emit)
}

// The blocks sharing a fetch ask for the union of their footprints and
// the keys that name an item in messages; one block whose reads are not
// known makes its fetch whole.
func TestRequestCarriesFootprint(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.src.items["svc"] = []integrations.Item{{"id": "s1", "name": "S1", "lang": "go", "owner": map[string]any{"team": "t1", "email": "x"}}}
	w.src.items["team"] = []integrations.Item{{"id": "t1", "size": 3.0}}
	rec := &itemsRecorder{source: w.src, got: map[string]string{}}
	res := w.run(`resources:
  - kind: svc
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, title: .name, blueprint: '"svc"', properties: {lang: .lang}}}}
  - kind: svc
    selector: {query: '.owner.team != null'}
    port: {entity: {mappings: {identifier: '.id + "-x"', blueprint: '"svc"', relations: {owner: .owner.team}}}}
  - kind: team
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"team"', properties: {size: '. | length'}}}}
`, func(c *Config) { c.Source = rec })
	if res.Status != StatusCompleted {
		t.Fatalf("status %s: %v", res.Status, res.Errors)
	}
	want := map[string]string{
		"svc":  "{__path.*, id.*, lang.*, name.*, owner.team.*}",
		"team": "*",
	}
	if diff := cmp.Diff(want, rec.got); diff != "" {
		t.Errorf("requests' Items (-want +got):\n%s", diff)
	}
}
