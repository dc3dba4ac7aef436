package github

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/sync/mapping"
)

// The README's example mappings for the other kinds compile, pass selector
// validation, and give every fixture item an identifier.
func TestREADMEExampleMappings(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "Example mappings for the other kinds"
	_, rest, ok := strings.Cut(string(b), marker)
	if !ok {
		t.Fatalf("README.md lacks %q", marker)
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	src, _, _ := strings.Cut(rest, "```")
	cfg, err := mapping.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mapping.Compile(cfg, mapping.Options{})
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{"organization": true, "repository": true, "pull-request": true}
	e := patEnv(t, 100)
	for _, blk := range m.Blocks {
		kind := blk.Resource.Kind
		covered[kind] = true
		req := integrations.Request{Kind: kind, Selector: blk.Resource.Selector.Extra, Config: m.Config.Extra}
		if err := e.src.ValidateRequest(req); err != nil {
			t.Errorf("%s: %v", kind, err)
			continue
		}
		items, err := resync(t, e.src, kind, req.Selector, req.Config)
		if err != nil {
			t.Errorf("%s: %v", kind, err)
			continue
		}
		if len(items) == 0 {
			t.Errorf("%s: the fixtures yield no item for the example", kind)
		}
		for _, it := range items {
			err := blk.Process(context.Background(), it, func(o mapping.Outcome) {
				if o.Entity == nil {
					t.Errorf("%s: item %v mapped to no entity", kind, it["id"])
					return
				}
				if id, ok := o.Entity.ID(); !ok || id == "" {
					t.Errorf("%s: no identifier", kind)
				}
			})
			if err != nil {
				t.Errorf("%s: %v", kind, err)
			}
		}
	}
	for _, k := range kinds {
		if !covered[k] {
			t.Errorf("the README has no example mapping for kind %s", k)
		}
	}
}
