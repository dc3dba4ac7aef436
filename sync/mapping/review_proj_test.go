package mapping

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tide-sync/tide/internal/jsonx"
)

// A string-interpolated key in a suffix index (`.a."\(.b)"`) is evaluated
// against the term's input, the item, not against `.a`: its reads must be
// in the footprint.
func TestReviewFootprintInterpolatedSuffixKey(t *testing.T) {
	for _, expr := range []string{
		`.labels."\(.env)"`,
		`.labels[0]."\(.env)"`,
		`{"prod": "p", "dev": "d"}."\(.env)"`,
		`$ENV."\(.env)" // "none"`,
	} {
		t.Run(expr, func(t *testing.T) {
			b := block(t, "true", map[string]any{"identifier": ".id", "blueprint": `"svc"`, "title": expr})
			raw := []byte(`[{"id": "x", "env": "prod", "labels": {"prod": "P", "null": "N"}}]`)
			proj := b.Footprint()
			full, err := jsonx.DecodeExactInts(raw)
			if err != nil {
				t.Fatal(err)
			}
			cut, err := jsonx.DecodeProjected(raw, nil, proj)
			if err != nil {
				t.Fatal(err)
			}
			var want, got []Outcome
			werr := b.Process(context.Background(), full.([]any)[0].(map[string]any), func(o Outcome) { want = append(want, o) })
			gerr := b.Process(context.Background(), cut.([]any)[0].(map[string]any), func(o Outcome) { got = append(got, o) })
			if fmt.Sprint(werr) != fmt.Sprint(gerr) {
				t.Fatalf("footprint %s: error %v whole, %v projected", proj, werr, gerr)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("footprint %s: outcomes differ (-whole +projected):\n%s", proj, diff)
			}
		})
	}
}
