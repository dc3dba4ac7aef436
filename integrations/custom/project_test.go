package custom

import (
	"context"
	"encoding/json"
	"math/big"
	"net/http"
	"os"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/jsonx"
	"github.com/tide-sync/tide/sync/mapping"
)

// projMapping reads some of each service record (the load benchmark's
// mapping, plus a big integer and a repeated key).
const projMapping = `resources:
  - kind: /services
    selector:
      query: '.archived | not'
    port:
      entity:
        mappings:
          identifier: .id
          title: .name
          blueprint: '"service"'
          properties:
            language: .repository.language
            tier: .tier
            availability: .slo.availability
            environments: '[.deploy.environments[] | select(.replicas > 0) | .name]'
            build: .build | tostring
            deep: .extra.deep
          relations:
            team: .owner.team
`

// servePages serves testdata/projection/services.json two records a page,
// as {"data": [...], "meta": {...}} or, bare, as the array itself; a
// record of a page is served verbatim (repeated keys included).
func servePages(t *testing.T, bare bool) *fakeAPI {
	t.Helper()
	raw, err := os.ReadFile("testdata/projection/services.json")
	if err != nil {
		t.Fatal(err)
	}
	var recs []json.RawMessage
	if err := json.Unmarshal(raw, &recs); err != nil {
		t.Fatal(err)
	}
	return newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		lo, hi := min((page-1)*2, len(recs)), min(page*2, len(recs))
		body := []byte("[")
		for i, rec := range recs[lo:hi] {
			if i > 0 {
				body = append(body, ',')
			}
			body = append(body, rec...)
		}
		body = append(body, ']')
		if !bare {
			body = []byte(`{"meta":{"page":` + strconv.Itoa(page) + `,"more":` + strconv.FormatBool(hi < len(recs)) + `},"data":` + string(body) + `}`)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}

// mapAll maps items through the block and returns the outcomes.
func mapAll(t *testing.T, b *mapping.Block, items []map[string]any) []mapping.Outcome {
	t.Helper()
	var out []mapping.Outcome
	for _, it := range items {
		if err := b.Process(context.Background(), it, func(o mapping.Outcome) { out = append(out, o) }); err != nil {
			t.Fatalf("Process: %v", err)
		}
	}
	return out
}

// The same entities with and without projection, through the custom
// integration; the projected records hold only what the mapping reads.
func TestProjectedListingSameEntities(t *testing.T) {
	t.Parallel()
	cfg, err := mapping.Parse([]byte(projMapping))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mapping.Compile(cfg, mapping.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := m.Blocks[0]
	fp := b.Footprint()
	if fp == nil {
		t.Fatal("the mapping has no footprint")
	}
	tests := []struct {
		name      string
		bare      bool
		selector  string
		projected bool // the records come cut to the footprint
	}{
		{"plain data_path", false, `{"data_path":".data","pagination":{"type":"page","has_more_path":"meta.more"}}`, true},
		{"no data_path, array body", true, `{"pagination":{"type":"page","page_size":2}}`, true},
		{"JQ data_path", false, `{"data_path":".data | map(.)","pagination":{"type":"page","has_more_path":"meta.more"}}`, false},
		{"JQ has_more_path", false, `{"data_path":".data","pagination":{"type":"page","has_more_path":".data | length == 2"}}`, false},
		{"has_more_path under the records' key", false, `{"data_path":".data","pagination":{"type":"page","has_more_path":"data.0"}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := servePages(t, tt.bare)
			h := newSource(t, api.URL)
			sel := obj(t, tt.selector)
			var whole, cut []map[string]any
			for _, run := range []struct {
				items *jsonx.Projection
				into  *[]map[string]any
			}{{nil, &whole}, {fp, &cut}} {
				err := h.src.Resync(context.Background(), integrations.Request{Kind: "/services", Selector: sel, Items: run.items}, func(page []integrations.Item) error {
					*run.into = append(*run.into, page...)
					return nil
				})
				if err != nil {
					t.Fatalf("Resync: %v", err)
				}
			}
			if len(whole) != 6 {
				t.Fatalf("got %d records, want 6", len(whole))
			}
			bigEq := cmp.Comparer(func(a, b *big.Int) bool { return a.Cmp(b) == 0 })
			want, got := mapAll(t, b, whole), mapAll(t, b, cut)
			if diff := cmp.Diff(want, got, bigEq); diff != "" {
				t.Errorf("entities (-whole +projected):\n%s", diff)
			}
			if n := len(want); n != 6 || want[0].Entity != nil || want[1].Entity == nil {
				t.Fatalf("outcomes %+v: want record 0 filtered (archived) and the rest mapped", want)
			}
			_, hasEmail := cut[1]["owner"].(map[string]any)["email"]
			_, hasCreated := cut[1]["created_at"]
			if tt.projected == (hasEmail || hasCreated) {
				t.Errorf("projected = %v, but record 1 is %v", tt.projected, cut[1])
			}
			if _, ok := whole[1]["owner"].(map[string]any)["email"]; !ok {
				t.Errorf("whole record 1 lacks owner.email: %v", whole[1])
			}
		})
	}
}

// A path parameter's records are read by the integration (field, filter)
// and handed on as __parent: they stay whole while the leaf records are
// projected.
func TestProjectionKeepsParentRecordsWhole(t *testing.T) {
	t.Parallel()
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/teams":
			writeJSON(w, []any{
				map[string]any{"slug": "core", "active": true, "lead": "ada"},
				map[string]any{"slug": "old", "active": false, "lead": "bob"},
			})
		case "/teams/core/members":
			writeJSON(w, []any{map[string]any{"id": "m1", "email": "m1@example.com", "role": "dev"}})
		default:
			http.NotFound(w, r)
		}
	})
	h := newSource(t, api.URL)
	sel := obj(t, `{"path_parameters":{"team":{"endpoint":"/teams","field":".slug","filter":".active"}}}`)
	proj := &jsonx.Projection{Keys: map[string]*jsonx.Projection{"id": nil}}
	var got []map[string]any
	err := h.src.Resync(context.Background(), integrations.Request{Kind: "/teams/{team}/members", Selector: sel, Items: proj}, func(page []integrations.Item) error {
		got = append(got, page...)
		return nil
	})
	if err != nil {
		t.Fatalf("Resync: %v", err)
	}
	want := []map[string]any{{
		"id":                "m1",
		"__parent":          map[string]any{"slug": "core", "active": true, "lead": "ada"},
		"__path_parameters": map[string]any{"team": "core"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}
