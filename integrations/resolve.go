package integrations

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// ResolveEach is the fan-out of a ValueResolver's ResolveValues: for each
// item that has a target (target's second result), it calls resolve once
// per ref, at most limit calls at once; an item without a target resolves
// every ref to nil. The first error cancels the calls still running and is
// returned as resolve returned it. The result is ResolveValues': one map
// per item, in order, keyed by ref.
func ResolveEach[T any](ctx context.Context, limit int, items []Item, refs []string,
	target func(Item) (T, bool), resolve func(ctx context.Context, t T, ref string) (any, error)) ([]map[string]any, error) {
	vals := make([][]any, len(items)) // vals[i][j]: item i, ref j
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i, it := range items {
		vals[i] = make([]any, len(refs))
		t, ok := target(it)
		if !ok {
			continue
		}
		for j, ref := range refs {
			g.Go(func() error {
				v, err := resolve(gctx, t, ref)
				if err != nil {
					return err
				}
				vals[i][j] = v
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(items))
	for i := range items {
		out[i] = make(map[string]any, len(refs))
		for j, ref := range refs {
			out[i][ref] = vals[i][j]
		}
	}
	return out, nil
}
