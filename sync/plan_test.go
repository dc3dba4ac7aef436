package sync

import (
	"fmt"
	"math/big"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// catalog lists "blueprint/identifier" of every entity in the fake.
func (w *world) catalog() []string {
	var out []string
	for _, bp := range w.fake.Blueprints() {
		for _, id := range w.ids(bp) {
			out = append(out, bp+"/"+id)
		}
	}
	sort.Strings(out)
	return out
}

func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	out := []string{}
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

func planIDs(ps []PlanEntity) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.Blueprint+"/"+p.Identifier)
	}
	sort.Strings(out)
	return out
}

// A dry run then a real run on the same inputs: the real run creates,
// updates and deletes what the plan says, and keeps what it blocks, over
// the deletion-safety scenarios whose outcome does not hang on a fault.
func TestDryRunPlanIsTheRealRun(t *testing.T) {
	t.Parallel()
	bigA, _ := new(big.Int).SetString("1234567890123456789", 10)
	bigB, _ := new(big.Int).SetString("1234567890123456788", 10)
	type step struct {
		mapping string
		mod     func(*Config)
		source  func(w *world)
	}
	tests := []struct {
		name       string
		first      step
		then       step
		wantStatus Status
	}{
		{"stale entities deleted",
			step{fmt.Sprintf(teamMapping, 0.9), nil, func(w *world) { w.src.items["team"] = teams(seq("t", 5)...) }},
			step{fmt.Sprintf(teamMapping, 0.9), nil, func(w *world) {
				w.src.items["team"] = append(teams(seq("t", 3)...), map[string]any{"id": "new", "name": "N"})
				w.src.items["team"][0]["name"] = "renamed"
			}}, StatusCompleted},
		{"3: --kinds keeps relation targets",
			step{fmt.Sprintf(relMapping, true), nil, func(w *world) {
				w.src.items["team"] = teams("t1", "t2", "t3")
				w.src.items["svc"] = items(map[string]any{"id": "s1", "owner": "t1"})
			}},
			step{fmt.Sprintf(relMapping, true), func(c *Config) { c.Kinds = []string{"team"} }, func(w *world) { w.src.items["team"] = teams("t3") }},
			StatusCompleted},
		{"4: search identifiers",
			step{fmt.Sprintf(teamMapping, 0.9), nil, func(w *world) { w.src.items["team"] = teams("t1", "t2", "t3") }},
			step{searchMapping, nil, func(w *world) {}}, StatusCompleted},
		{"4: a search identifier matching nothing blocks deletes",
			step{fmt.Sprintf(teamMapping, 0.9), nil, func(w *world) { w.src.items["team"] = teams(seq("t", 5)...) }},
			step{searchMapping, nil, func(w *world) { w.src.items["team"] = append(teams(seq("t", 3)...), map[string]any{"id": "nope"}) }},
			StatusFailed},
		{"5: per-blueprint threshold",
			step{kindsMapping, nil, func(w *world) {
				w.src.items["team"] = teams(seq("t", 20)...)
				w.src.items["svc"] = teams("s1", "s2", "s3")
				w.src.items["svc-extra"] = nil
			}},
			step{kindsMapping, nil, func(w *world) { w.src.items["svc"] = nil; w.src.items["team"] = teams(seq("t", 19)...) }},
			StatusBlocked},
		{"6: unmappable items",
			step{fmt.Sprintf(teamMapping, 0.9), nil, func(w *world) { w.src.items["team"] = teams(seq("t", 5)...) }},
			step{fmt.Sprintf(teamMapping, 0.9), nil, func(w *world) {
				w.src.items["team"] = append(teams(seq("t", 3)...), map[string]any{"team_id": "t004"})
			}}, StatusBlocked},
		{"7: big integer ids",
			step{fmt.Sprintf(teamMapping, 0.9), nil, func(w *world) { w.src.items["team"] = teams("t1") }},
			step{fmt.Sprintf(teamMapping, 0.9), nil, func(w *world) {
				w.src.items["team"] = items(map[string]any{"id": bigA, "name": "A"}, map[string]any{"id": bigB, "name": "B"}, map[string]any{"id": "t1", "name": "T1"})
			}}, StatusCompleted},
		{"8: duplicate identifiers",
			step{fmt.Sprintf(teamMapping, 0.9), nil, func(w *world) { w.src.items["team"] = teams("t1", "t2") }},
			step{fmt.Sprintf(teamMapping, 0.9), nil, func(w *world) {
				w.src.items["team"] = items(map[string]any{"id": "t1", "name": "x"}, map[string]any{"id": "t1", "name": "y"}, map[string]any{"id": "t3", "name": "z"})
			}}, StatusCompleted},
		{"12: only what the listing confirms",
			step{fmt.Sprintf(teamMapping, 0.9), nil, func(w *world) {
				w.src.items["team"] = teams(seq("t", 4)...)
			}},
			step{fmt.Sprintf(teamMapping, 0.9), nil, func(w *world) {
				if err := w.fake.PutEntity("team", map[string]any{"identifier": "imposter"}, "port-ocean/test/1.0/it/exporter-b"); err != nil {
					w.t.Fatal(err)
				}
				w.src.items["team"] = teams(seq("t", 3)...)
			}}, StatusCompleted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			tt.first.source(w)
			if res := w.run(tt.first.mapping, tt.first.mod); res.Status != StatusCompleted {
				t.Fatalf("first run: %s %v", res.Status, res.Errors)
			}
			tt.then.source(w)
			before := w.catalog()
			dry := w.run(tt.then.mapping, func(c *Config) {
				if tt.then.mod != nil {
					tt.then.mod(c)
				}
				c.DryRun = true
			})
			if diff := cmp.Diff(before, w.catalog()); diff != "" {
				t.Fatalf("the dry run changed the catalog (-before +after):\n%s", diff)
			}
			real := w.run(tt.then.mapping, tt.then.mod)
			after := w.catalog()
			p := dry.Plan
			if diff := cmp.Diff(planIDs(p.Creates), minus(after, before)); diff != "" {
				t.Errorf("creates (-plan +real):\n%s", diff)
			}
			if diff := cmp.Diff(planIDs(p.Deletes), minus(before, after)); diff != "" {
				t.Errorf("deletes (-plan +real):\n%s", diff)
			}
			got := []int{real.Total.Created, real.Total.Updated, real.Total.Deleted}
			if diff := cmp.Diff([]int{len(p.Creates), len(p.Updates), len(p.Deletes)}, got); diff != "" {
				t.Errorf("created, updated, deleted (-plan +real):\n%s", diff)
			}
			var kept []string
			for _, k := range real.Deletion.Entities {
				if k.Reason.Guard() {
					kept = append(kept, k.Blueprint+"/"+k.Identifier)
				}
			}
			sort.Strings(kept)
			if diff := cmp.Diff(planIDs(p.Blocked), append([]string{}, kept...)); diff != "" {
				t.Errorf("blocked (-plan +real):\n%s", diff)
			}
			if tt.wantStatus != "" && (dry.Status != tt.wantStatus || real.Status != tt.wantStatus) {
				t.Errorf("status: dry %s, real %s, want %s", dry.Status, real.Status, tt.wantStatus)
			}
		})
	}
}

// An entity under a search identifier with a field left out (its
// expression raised) is still written by the real run, which then marks
// the entity the search resolves to as seen; the dry run resolves the
// search the same way instead of planning that entity's delete.
func TestDryRunOmittedFieldUnderSearchIdentifier(t *testing.T) {
	t.Parallel()
	const m = `
resources:
  - kind: team
    selector: {query: "true"}
    port:
      entity:
        mappings:
          identifier:
            combinator: '"and"'
            rules:
              - {property: '"$identifier"', operator: '"="', value: .id}
          blueprint: '"team"'
          properties: {size: .size | tonumber}
`
	w := newWorld(t)
	w.src.items["team"] = teams("t1", "t2", "t3")
	w.run(fmt.Sprintf(teamMapping, 0.9), nil)
	for i, it := range w.src.items["team"] {
		it["size"] = fmt.Sprint(i)
	}
	w.src.items["team"][0]["size"] = "not a number" // t1's size raises: the field is left out
	dry := w.run(m, func(c *Config) { c.DryRun = true })
	real := w.run(m, nil)
	if diff := cmp.Diff([]string{"t1", "t2", "t3"}, w.ids("team")); diff != "" {
		t.Fatalf("teams after the real run (-want +got):\n%s", diff)
	}
	if len(dry.Plan.Deletes) != real.Deletion.Deleted {
		t.Errorf("dry run plans %d deletes %v, the real run deleted %d", len(dry.Plan.Deletes), dry.Plan.Deletes, real.Deletion.Deleted)
	}
	var updated []string
	for _, u := range dry.Plan.Updates {
		updated = append(updated, u.Identifier)
	}
	sort.Strings(updated)
	if diff := cmp.Diff([]string{"t1", "t2", "t3"}, updated); diff != "" {
		t.Errorf("planned updates (-want +got):\n%s", diff)
	}
}
