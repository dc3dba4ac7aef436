package custom

import (
	"context"
	"fmt"
	"testing"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/jsonx"
	"github.com/tide-sync/tide/sync/mapping"
)

// A plain JQ page path (has_more_path ".more") on a body that is the
// record array fails on gojq's "expected an object but got: array (...)",
// whose text previews the records: projected, the error names other
// records than the answer held.
func TestReviewJQPagePathOnArrayBodySameError(t *testing.T) {
	t.Parallel()
	cfg, err := mapping.Parse([]byte(projMapping))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mapping.Compile(cfg, mapping.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fp := m.Blocks[0].Footprint()
	api := servePages(t, true)
	h := newSource(t, api.URL)
	sel := obj(t, `{"pagination":{"type":"page","page_size":2,"has_more_path":".more"}}`)
	var errs []string
	for _, items := range []*jsonx.Projection{nil, fp} {
		err := h.src.Resync(context.Background(), integrations.Request{Kind: "/services", Selector: sel, Items: items}, func([]integrations.Item) error { return nil })
		errs = append(errs, fmt.Sprint(err))
	}
	if errs[0] != errs[1] {
		t.Errorf("error whole:\n  %s\nprojected:\n  %s", errs[0], errs[1])
	}
}
