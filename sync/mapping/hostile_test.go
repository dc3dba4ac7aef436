package mapping

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/internal/budget"
)

// Every gojq path to the outside is unavailable or inert: one case per
// function. A mapping can be edited by anyone with access to the
// integration in Port's UI.
func TestSandbox(t *testing.T) {
	// Not parallel-safe with t.Setenv.
	t.Setenv("TIDE_SANDBOX_SECRET", "s3cret")
	tests := []struct {
		name        string
		expr        string
		wantCompile string // a compile error containing this; "" when it compiles
		want        any    // the property's value
		wantErr     string // the property failed with this runtime error
	}{
		{name: "env", expr: `env`, want: map[string]any{}},
		{name: "$ENV", expr: `$ENV`, want: map[string]any{}},
		{name: "getpath on env", expr: `env | getpath(["TIDE_SANDBOX_SECRET"])`, want: nil},
		{name: "getpath on $ENV", expr: `$ENV | getpath(["TIDE_SANDBOX_SECRET"])`, want: nil},
		{name: "env keys", expr: `[env | keys[]] | length`, want: 0.0},
		{name: "input", expr: `input`, wantCompile: "input"},
		{name: "inputs", expr: `[inputs]`, wantCompile: "input"},
		{name: "input_filename", expr: `input_filename`, want: nil},
		{name: "debug", expr: `.a | debug`, want: "x"},
		{name: "debug(msg)", expr: `.a | debug("seen: \(.)")`, want: "x"},
		{name: "stderr", expr: `.a | stderr`, want: "x"},
		{name: "halt", expr: `halt`, want: nil},
		{name: "halt_error", expr: `"boom" | halt_error`, wantErr: "boom"},
		{name: "halt_error(code)", expr: `{"a":1} | halt_error(5)`, wantErr: "{\"a\":1}"},
		{name: "import", expr: `import "a" as a; a::f`, wantCompile: "module"},
		{name: "include", expr: `include "a"; f`, wantCompile: "module"},
		{name: "import data", expr: `import "secrets" as $s; $s`, wantCompile: "module"},
		{name: "modulemeta", expr: `"a" | modulemeta`, wantErr: "module"},
		{name: "$__prog_args", expr: `$__prog_args`, wantCompile: "variable not defined"},
		{name: "input_line_number", expr: `input_line_number`, wantCompile: "function not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := FromMap(map[string]any{"resources": []any{map[string]any{
				"kind": "k", "selector": map[string]any{"query": "true"},
				"port": map[string]any{"entity": map[string]any{"mappings": map[string]any{
					"identifier": `"id"`, "blueprint": `"b"`, "properties": map[string]any{"v": tt.expr},
				}}},
			}}})
			if err != nil {
				t.Fatal(err)
			}
			m, err := Compile(cfg, Options{})
			if tt.wantCompile != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantCompile) {
					t.Fatalf("Compile(%s) = %v, want an error containing %q", tt.expr, err, tt.wantCompile)
				}
				return
			}
			if err != nil {
				t.Fatalf("Compile(%s): %v", tt.expr, err)
			}
			outs, err := process(t, m.Blocks[0], map[string]any{"a": "x"})
			if err != nil {
				t.Fatal(err)
			}
			o := outs[0]
			if tt.wantErr != "" {
				if len(o.Misconfigured) != 1 || !strings.Contains(o.Misconfigured[0].Err, tt.wantErr) {
					t.Fatalf("misconfigured %+v, want an error containing %q", o.Misconfigured, tt.wantErr)
				}
				return
			}
			if diff := cmp.Diff(tt.want, o.Entity.Properties["v"]); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.expr, diff)
			}
			if os.Getenv("TIDE_SANDBOX_SECRET") != "s3cret" {
				t.Fatal("the environment changed")
			}
		})
	}
}

// An item past its budget fails the block with the field and expression
// named; the run's context stops an evaluation at once.
func TestBudgets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mapping string // mappings, with ITEMS in place of an itemsToParse line
		limits  budget.Limits
		ctx     func() context.Context
		want    []string // in the error
		wantIs  error
	}{
		{
			name:   "memory: a built array",
			limits: budget.Limits{MaxMemory: 8 << 20},
			mapping: `
          identifier: .id
          blueprint: '"b"'
          title: '[range(1e8)] | length | tostring'`,
			want:   []string{`title '[range(1e8)] | length | tostring'`, "per-item budget of 8MiB", "--jq-max-memory"},
			wantIs: budget.ErrExceeded,
		},
		{
			name:   "memory: own recursion",
			limits: budget.Limits{MaxMemory: 8 << 20},
			mapping: `
          identifier: .id
          blueprint: '"b"'
          properties:
            p: 'def f: ., f; [f] | length'`,
			want:   []string{`properties.p 'def f: ., f; [f] | length'`, "per-item budget"},
			wantIs: budget.ErrExceeded,
		},
		{
			name:   "memory: a value that shares itself",
			limits: budget.Limits{MaxMemory: 1 << 20},
			mapping: `
          identifier: .id
          blueprint: '"b"'
          properties:
            p: 'reduce range(40) as $_ (0; [., .])'`,
			want:   []string{`properties.p`, "larger than its per-item budget of 1MiB once written out"},
			wantIs: budget.ErrExceeded,
		},
		{
			name:   "time: a loop that allocates nothing it keeps",
			limits: budget.Limits{ItemTimeout: 50 * time.Millisecond},
			mapping: `
          identifier: .id
          blueprint: '"b"'
          title: 'last(range(1e15)) | tostring'`,
			want:   []string{`title 'last(range(1e15)) | tostring'`, "time budget of 50ms", "--jq-item-timeout"},
			wantIs: budget.ErrExceeded,
		},
		{
			name:   "time: the selector",
			limits: budget.Limits{ItemTimeout: 50 * time.Millisecond},
			mapping: `
          identifier: .id
          blueprint: '"b"'`,
			want:   []string{"selector.query", "time budget"},
			wantIs: budget.ErrExceeded,
		},
		{
			name:   "time: itemsToParse",
			limits: budget.Limits{ItemTimeout: 50 * time.Millisecond},
			mapping: `
          identifier: .id
          blueprint: '"b"'
ITEMS      itemsToParse: '[range(1e15) | select(. < 0)]'`,
			want:   []string{"itemsToParse '[range(1e15) | select(. < 0)]'", "time budget"},
			wantIs: budget.ErrExceeded,
		},
		{
			name: "the run's context",
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(20*time.Millisecond, cancel)
				return ctx
			},
			mapping: `
          identifier: .id
          blueprint: '"b"'
          title: 'last(range(1e15)) | tostring'`,
			want:   []string{"title", "context canceled"},
			wantIs: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			query := "true"
			if strings.Contains(tt.name, "selector") {
				query = "last(range(1e15)) > 0"
			}
			mappings, items, _ := strings.Cut(tt.mapping, "ITEMS")
			src := "resources:\n  - kind: k\n    selector:\n      query: '" + query + "'\n    port:\n"
			if items != "" {
				src += "      " + strings.TrimSpace(items) + "\n"
			}
			src += "      entity:\n        mappings:" + mappings + "\n"
			m := compileYAML(t, src, Options{Budget: tt.limits})
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			err := m.Blocks[0].Process(ctx, map[string]any{"id": "a"}, func(Outcome) {})
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("Process = %v, want an error wrapping %v", err, tt.wantIs)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// A long loop that keeps nothing is garbage, not a built value: it runs to
// its end under the memory budget. Not parallel: the budget reads the
// process's heap, which other tests would grow.
func TestBudgetGarbageIsNotGrowth(t *testing.T) {
	b := block(t, "true", map[string]any{
		"identifier": ".id", "blueprint": `"b"`,
		"title": `reduce range(300000) as $i (0; [$i, "padding padding padding"] | .[0]) | tostring`,
	})
	m := b
	m.budget = budget.Limits{MaxMemory: 8 << 20, ItemTimeout: time.Minute}
	outs, err := process(t, m, map[string]any{"id": "a"})
	if err != nil {
		t.Fatal(err)
	}
	if got := outs[0].Entity.Title; got != "299999" {
		t.Errorf("title %v, want 299999", got)
	}
}

// gojq's delpaths rewrites, in place, every object under the value it
// deletes from; the item must stay untouched while the integration may
// still read it from another goroutine (run with -race, which flags the
// write), and must come out equal.
func TestDeleteNeverWritesTheItem(t *testing.T) {
	t.Parallel()
	src := `resources:
  - kind: k
    selector:
      query: 'del(.meta.x) | has("meta")'
    port:
      itemsToParse: .list
      entity:
        mappings:
          identifier: .item.id
          blueprint: '"b"'
          title: '.meta | delpaths([["y"]]) | keys | join(",")'
          properties:
            rest: 'del(.item) | del(.meta.deep.z) | .meta.deep | keys'
            mod: '.meta.deep |= (.z = 1) | .meta.deep.z'
`
	m := compileYAML(t, src, Options{})
	fresh := func() map[string]any {
		return item(t, `{"meta":{"x":1,"y":2,"deep":{"z":3,"w":[{"v":1}]}},"list":[{"id":"a","n":{"k":1}},{"id":"b","n":{"k":2}}]}`)
	}
	it := fresh()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, _ = appendValue(nil, it) // reads every value of the item
		}
	}()
	var got []Outcome
	for range 50 {
		got = got[:0]
		if err := m.Blocks[0].Process(context.Background(), it, func(o Outcome) { got = append(got, o) }); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	<-done
	if diff := cmp.Diff(fresh(), it); diff != "" {
		t.Errorf("the item changed (-before +after):\n%s", diff)
	}
	if len(got) != 2 || got[0].Entity == nil {
		t.Fatalf("outcomes %+v", got)
	}
	want := map[string]any{"rest": []any{"w"}, "mod": 1.0}
	if diff := cmp.Diff(want, got[0].Entity.Properties); diff != "" {
		t.Errorf("properties (-want +got):\n%s", diff)
	}
	if got[0].Entity.Title != "deep,x" {
		t.Errorf("title %v, want deep,x", got[0].Entity.Title)
	}
}
