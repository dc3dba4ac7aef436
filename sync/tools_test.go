package sync

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
)

// Progress follows the run's blocks: after Run, each selected block's
// counters equal its result's, and unselected blocks are left out.
func TestProgressFollowsTheBlocks(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.src.items["svc"] = items(map[string]any{"id": "x", "name": "X", "a": "1"}, map[string]any{"id": "y", "name": "Y", "a": "2"})
	w.src.items["svc-extra"] = items(map[string]any{"id": "x", "b": "bee"})
	p := &Progress{}
	if got := p.Snapshot(); got != nil {
		t.Fatalf("before the run: %v", got)
	}
	res := w.run(mergeMapping, func(c *Config) { c.Progress = p; c.Kinds = []string{"svc"} })
	snap := p.Snapshot()
	type row struct {
		Kind                        string
		Fetched, Written, Unchanged int
		Started, Done               bool
	}
	var got []row
	for _, b := range snap {
		got = append(got, row{b.Kind, b.Fetched, b.Written, b.Unchanged, b.Started, b.Done})
	}
	want := []row{{"svc", res.Blocks[0].Fetched, res.Blocks[0].Created + res.Blocks[0].Updated, res.Blocks[0].Unchanged, true, true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if want[0].Fetched != 2 || want[0].Written != 2 {
		t.Fatalf("the run itself: %+v", res.Blocks[0].Counts)
	}
}

// Check finds what Run would refuse before writing, without a Source or a
// sync: kinds, selector keys (from the definition) and blueprint fields.
func TestCheckWithoutSource(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.def.Selectors = map[string][]integrations.SelectorField{"svc": {{Name: "lang"}}, "team": {}}
	client := port.New(port.Config{BaseURL: "http://fake", ClientID: "id", ClientSecret: "secret", IntegrationType: "test", HTTPClient: w.fake.Client()})
	bps, _ := w.def.Blueprints()
	if err := w.fake.Seed(bps); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, mapping string
		want          error
		wantText      string
	}{
		{"good", "resources:\n  - kind: svc\n    selector: {query: 'true', lang: go}\n    port: {entity: {mappings: {identifier: .id, blueprint: '\"svc\"', properties: {a: .a}}}}\n", nil, ""},
		{"selector near miss", "resources:\n  - kind: svc\n    selector: {query: 'true', lnag: go}\n    port: {entity: {mappings: {identifier: .id, blueprint: '\"svc\"'}}}\n", mapping.ErrInvalid, `did you mean "lang"`},
		{"unknown kind", "resources:\n  - kind: nope\n    selector: {query: 'true'}\n    port: {entity: {mappings: {identifier: .id, blueprint: '\"svc\"'}}}\n", ErrConfig, `no kind "nope"`},
		{"unknown property", "resources:\n  - kind: svc\n    selector: {query: 'true'}\n    port: {entity: {mappings: {identifier: .id, blueprint: '\"svc\"', properties: {zz: .a}}}}\n", mapping.ErrInvalid, `no property "zz"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w.fake.ResetCounts()
			_, err := Check(context.Background(), Config{Definition: w.def, Client: client, Mapping: []byte(tt.mapping), MappingName: "m.yml"})
			if !errors.Is(err, tt.want) || (tt.want != nil && !strings.Contains(err.Error(), tt.wantText)) {
				t.Fatalf("err = %v, want %v with %q", err, tt.want, tt.wantText)
			}
		})
	}
	if n := w.writes(); n != 0 {
		t.Fatalf("Check wrote %d times", n)
	}
}
