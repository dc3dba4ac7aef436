package sync

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/sync/port"
)

// The index finds every identifier, including ones whose hash collides
// with another's, and returns exactly the unseen ones as stale.
func TestIndexCollisions(t *testing.T) {
	t.Parallel()
	for name, hashID := range map[string]func(string) uint64{
		"real":        newIndex("svc", nil).ids.hashID,
		"all collide": func(string) uint64 { return 7 },
		"by length":   func(s string) uint64 { return uint64(len(s)) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cs := compareSet{has: 0}
			x := newIndex("svc", []compareSet{cs})
			x.ids.hashID = hashID
			var page []port.Entity
			var ids []string
			for i := range 50 {
				id := fmt.Sprintf("svc-%d", i*7)
				ids = append(ids, id)
				page = append(page, port.Entity{Identifier: id, Blueprint: "svc"})
			}
			h := newHasher()
			x.load(h, page[:30], false)
			x.load(h, page[25:], false) // 5 duplicates across pages
			if x.len() != 50 {
				t.Fatalf("len = %d, want 50", x.len())
			}
			sum := h.sum(cs.portValues(&page[0]))
			for i, id := range ids {
				if i%3 == 0 {
					continue
				}
				found, equal, _ := x.match(id, 0, sum)
				if !found || !equal {
					t.Errorf("match(%s) = %v, %v", id, found, equal)
				}
			}
			if found, _, _ := x.match("svc-1", 0, sum); found {
				t.Error("match(svc-1) found an identifier never loaded")
			}
			x.markSeen(ids[3])
			x.protect(ids[6])
			x.protect("nope")
			x.confirm(ids[0])
			var del, kept []string
			for _, u := range x.unseen() {
				if u.listed != (u.id == ids[0]) {
					t.Errorf("unseen %s: listed %v", u.id, u.listed)
				}
				if u.protected {
					kept = append(kept, u.id)
				} else {
					del = append(del, u.id)
				}
			}
			var wantDel []string
			for i := 0; i < 50; i += 3 {
				if i != 3 && i != 6 {
					wantDel = append(wantDel, ids[i])
				}
			}
			slices.Sort(del)
			slices.Sort(wantDel)
			if diff := cmp.Diff(wantDel, del); diff != "" {
				t.Errorf("stale (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{ids[6]}, kept); diff != "" {
				t.Errorf("kept (-want +got):\n%s", diff)
			}
		})
	}
}
