package sync

import (
	"fmt"
	"math"
	"testing"
)

// positionByFmt is how position wrote an item's place before it was built
// with strconv: the reference its text must keep.
func positionByFmt(page, index int, item map[string]any) string {
	if p, ok := item["__path"].(string); ok && p != "" {
		return p
	}
	pos := fmt.Sprintf("page %d, item %d", page, index+1)
	switch id := item["id"].(type) {
	case string:
		pos += fmt.Sprintf(", id %q", id)
	case float64, int, int64:
		pos += fmt.Sprintf(", id %v", id)
	}
	return pos
}

func TestPositionText(t *testing.T) {
	t.Parallel()
	ids := []any{nil, "svc-1", `quote " and \ back`, "日本", "tab\tnew\nline", "bad \xff utf8", "\u2028", "",
		1, -7, math.MaxInt, int64(math.MinInt64), 3.0, 0.5, -0.0, 1e21, 1e20, 123456789.0, 1e-7, math.MaxFloat64,
		true, []any{"x"}, map[string]any{"a": 1.0}}
	for _, id := range ids {
		for _, pi := range [][2]int{{1, 0}, {17, 99}, {0, -1}, {math.MaxInt32, math.MaxInt32}} {
			for _, item := range []map[string]any{
				{"id": id},
				{"id": id, "__path": "repos/a/file.yml"},
				{"id": id, "__path": ""},
				{"id": id, "__path": 3.0},
			} {
				if got, want := position(pi[0], pi[1], item), positionByFmt(pi[0], pi[1], item); got != want {
					t.Errorf("position(%d, %d, %v) = %q, want %q", pi[0], pi[1], item, got, want)
				}
			}
		}
	}
}

// BenchmarkPosition names one item's place, as mapping does for every
// item a source yields.
func BenchmarkPosition(b *testing.B) {
	item := map[string]any{"id": "svc-0001234", "name": "Service 1234"}
	b.ReportAllocs()
	for b.Loop() {
		if position(12, 34, item) == "" {
			b.Fatal("empty")
		}
	}
}
