package github

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/sync/mapping"
)

// docsWithoutEntities names the blocks of Port's GitHub documentation
// that load and run but map no entity from Ocean's items, and why.
var docsWithoutEntities = map[string]string{
	"team-members.yml#1": "itemsToParse puts each member under .item, and the page maps .login (the team's, null): no identifier, in Ocean too",
}

// docsRefused names the blocks tide refuses on purpose, with the error.
var docsRefused = map[string]string{
	// The page's placeholder repository (test-repo in my-org): a repository
	// named in selector.files that does not exist fails the block, since
	// syncing it as "no files" would delete the block's entities.
	"file-kind.yml#1": `repository "test-repo" is not among the organisations' repositories`,
}

// Every mapping of Port's GitHub (Ocean) documentation pages that tide
// keeps as a fixture loads, passes selector validation, and runs against
// the fake with its file:// values resolved; each block maps entities
// unless docsWithoutEntities says why it cannot.
func TestPortDocsMappings(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/port-docs/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../../sync/mapping/testdata/ocean-docs/github-ocean-*.yml")
	files = append(files, more...)
	files = append(files, "testdata/ocean-port-app-config.yml")
	if len(files) < 19 {
		t.Fatalf("found %d mapping fixtures, want every one kept (19)", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(b), "# Source: https://") && !strings.Contains(f, "ocean-port-app-config") {
				t.Errorf("%s does not start with its source URL", f)
			}
			cfg, err := mapping.Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			m, err := mapping.Compile(cfg, mapping.Options{})
			if err != nil {
				t.Fatal(err)
			}
			e := orgEnv(t)
			for i, blk := range m.Blocks {
				name := strings.TrimPrefix(filepath.Base(f), "github-ocean-") + "#" + strconv.Itoa(i)
				req := integrations.Request{Kind: blk.Resource.Kind, Selector: blk.Resource.Selector.Extra, Config: m.Config.Extra}
				if err := e.src.ValidateRequest(req); err != nil {
					t.Fatalf("block %d (%s): %v", i, req.Kind, err)
				}
				items, err := resync(t, e.src, req.Kind, req.Selector, req.Config)
				if want, ok := docsRefused[name]; ok {
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Errorf("block %d (%s): err = %v, want %q", i, req.Kind, err, want)
					}
					continue
				}
				if err != nil {
					t.Fatalf("block %d (%s): %v", i, req.Kind, err)
				}
				for _, ref := range blk.References() {
					if ref.Prefix != filePrefix {
						t.Fatalf("block %d: %s is not resolved by GitHub", i, ref.Value)
					}
				}
				refs := mapping.Values(blk.References())
				var vals []map[string]any
				if len(refs) > 0 {
					page := make([]integrations.Item, len(items))
					for j, it := range items {
						page[j] = it
					}
					if vals, err = e.src.ResolveValues(context.Background(), req, page, refs); err != nil {
						t.Fatalf("block %d: resolving %v: %v", i, refs, err)
					}
				}
				var ids []string
				for j, it := range items {
					var v map[string]any
					if vals != nil {
						v = vals[j]
					}
					err := blk.ProcessResolved(context.Background(), it, v, func(o mapping.Outcome) {
						if o.Entity == nil {
							return
						}
						if id, ok := o.Entity.ID(); ok && id != "" {
							ids = append(ids, id)
						}
						for _, mc := range o.Misconfigured {
							if mc.Err == "the integration did not resolve this value" {
								t.Errorf("block %d: %s was not resolved", i, mc.Expr)
							}
						}
					})
					if err != nil {
						t.Fatalf("block %d: %v", i, err)
					}
				}
				sort.Strings(ids)
				_, excused := docsWithoutEntities[name]
				switch {
				case len(ids) == 0 && !excused:
					t.Errorf("block %d (%s): %d items mapped to no entity", i, req.Kind, len(items))
				case len(ids) > 0 && excused:
					t.Errorf("block %d (%s) is listed as mapping nothing but mapped %v", i, req.Kind, ids)
				}
			}
		})
	}
}
