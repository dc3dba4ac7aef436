package custom

import (
	"context"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/internal/jsonx"
)

// A plain-key data_path is read without running JQ: the items (and the
// errors) are what the JQ gives, and the page's own array is handed on.
func TestPlainDataPathMatchesJQ(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ path, body string }{
		{".data", `{"data":[{"id":1},{"id":2}]}`},
		{".data", `{"data":{"id":1}}`},
		{".data", `{"data":null}`},
		{".data", `{"data":[]}`},
		{".data", `{"data":"text"}`},
		{".data", `{"data":[1,2]}`},
		{".data.items", `{"data":{"items":[{"id":1}]}}`},
		{".data.items", `{"data":null}`},
		{".data.items", `{"data":[{"items":1}]}`},
		{".data.items", `{"data":"x"}`},
		{".data", `[{"data":1}]`},
	} {
		body, err := jsonx.DecodeExactInts([]byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		fast, err := newItemsPath("/x", "data_path", tc.path, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if fast.keys == nil {
			t.Fatalf("%s: not read as plain keys", tc.path)
		}
		slow, err := newItemsPath("/x", "data_path", tc.path, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		slow.keys = nil // the JQ alone
		got, gotErr := fast.extract(context.Background(), []byte(tc.body), body)
		want, wantErr := slow.extract(context.Background(), []byte(tc.body), body)
		if (gotErr != nil) != (wantErr != nil) {
			t.Errorf("%s on %s: error %v, JQ's %v", tc.path, tc.body, gotErr, wantErr)
			continue
		}
		if diff := cmp.Diff(want, got, cmp.Transformer("nil", func(v []any) []any {
			if len(v) == 0 {
				return nil
			}
			return v
		})); diff != "" {
			t.Errorf("%s on %s (-JQ +plain):\n%s", tc.path, tc.body, diff)
		}
	}
	// No copy: the items are the decoded page's array.
	body, _ := jsonx.DecodeExactInts([]byte(`{"data":[{"id":1},{"id":2}]}`))
	ip, _ := newItemsPath("/x", "data_path", ".data", slog.New(slog.DiscardHandler))
	items, err := ip.extract(context.Background(), nil, body)
	if err != nil {
		t.Fatal(err)
	}
	if arr := body.(map[string]any)["data"].([]any); &arr[0] != &items[0] {
		t.Error("the items were copied out of the page")
	}
}
