package sync

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
)

// benchSearchPage is one page of Port's entity search as the snapshot of
// the load benchmark's services reads it: 1000 entities with the included
// title, nine properties and the team relation.
func benchSearchPage() []byte {
	var b strings.Builder
	b.WriteString(`{"ok":true,"entities":[`)
	for i := range 1000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"identifier":"svc-%07d","title":"Service %d","properties":{`+
			`"description":"Service %d handles one slice of the storefront: it answers its API over gRPC and HTTP.",`+
			`"language":"go","lifecycle":"production","tier":%d,"url":"https://git.example.com/acme/svc-%d",`+
			`"topics":["payments","api","grpc"],"availability":99.95,"environments":["staging","production"],`+
			`"labels":{"cost-center":"cc-%d","pci":"false"}},"relations":{"team":"team-%05d"}}`, i, i, i, i%4, i, i%10, i%100)
	}
	b.WriteString(`],"next":"cursor"}`)
	return []byte(b.String())
}

var benchSet = compareSet{has: mapping.HasTitle | mapping.HasProperties | mapping.HasRelations,
	props: []string{"availability", "description", "environments", "labels", "language", "lifecycle", "tier", "topics", "url"},
	rels:  []string{"team"}}

// BenchmarkSnapshotPage reads one 1000-entity search page into a fresh
// index: decoded is the former path (jsonx into maps, then portSum),
// projected the current one (validating scan, canonical hash from the raw
// fields).
func BenchmarkSnapshotPage(b *testing.B) {
	raw := benchSearchPage()
	h := newHasher()
	b.Run("decoded", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			ents, _, err := oracleDecodePage(raw)
			if err != nil {
				b.Fatal(err)
			}
			x := newIndex("svc", []compareSet{benchSet})
			x.load(h, ents, false)
		}
	})
	b.Run("projected", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		x := newIndex("svc", []compareSet{benchSet})
		proj, fields := x.projection(true)
		for b.Loop() {
			page, _, err := port.DecodeProjectedPage(raw, proj)
			if err != nil {
				b.Fatal(err)
			}
			x := newIndex("svc", []compareSet{benchSet})
			l := &pageLoader{x: x, h: h, fields: fields}
			if err := l.load(page); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The benchmark's page hashes alike both ways (else it measures nothing).
func TestBenchSearchPageAgrees(t *testing.T) {
	t.Parallel()
	checkProjected(t, benchSearchPage(), []compareSet{benchSet})
}
