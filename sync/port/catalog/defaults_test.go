package catalog_test

import (
	"testing"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/custom"
	"github.com/tide-sync/tide/integrations/file"
	"github.com/tide-sync/tide/integrations/github"
	"github.com/tide-sync/tide/integrations/linear"
	"github.com/tide-sync/tide/integrations/pagerduty"
	"github.com/tide-sync/tide/integrations/synthetic"
	"github.com/tide-sync/tide/sync/port/catalog"
)

// Every blueprint an integration ships parses, and its relations target
// blueprints of the same set: Port would accept them.
func TestDefaultBlueprintsParse(t *testing.T) {
	t.Parallel()
	for _, def := range []integrations.Definition{custom.Definition(), file.Definition(), github.Definition(), linear.Definition(), pagerduty.Definition(), synthetic.Definition()} {
		raws, err := def.Blueprints()
		if err != nil {
			t.Fatalf("%s: %v", def.Type, err)
		}
		set := catalog.Set{}
		for _, raw := range raws {
			bp, err := catalog.ParseBlueprint(raw)
			if err != nil {
				t.Errorf("%s: blueprint %v: %v", def.Type, raw["identifier"], err)
				continue
			}
			set[bp.Identifier] = bp
		}
		for id, bp := range set {
			if vs := bp.CheckTargets(set); len(vs) > 0 {
				t.Errorf("%s: blueprint %s: %v", def.Type, id, vs)
			}
		}
	}
}
