package synthetic

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
)

func collect(t *testing.T, s *Source, kind string) []integrations.Item {
	t.Helper()
	var items []integrations.Item
	pages := 0
	err := s.Resync(context.Background(), integrations.Request{Kind: kind}, func(page []integrations.Item) error {
		pages++
		if len(page) > s.opts.PageSize {
			t.Errorf("page of %d items, page size %d", len(page), s.opts.PageSize)
		}
		items = append(items, page...)
		return nil
	})
	if err != nil {
		t.Fatalf("Resync(%s): %v", kind, err)
	}
	return items
}

func byID(items []integrations.Item) map[string]integrations.Item {
	m := make(map[string]integrations.Item, len(items))
	for _, it := range items {
		m[it["id"].(string)] = it
	}
	return m
}

func TestServicesAreDeterministicAndServiceSized(t *testing.T) {
	t.Parallel()
	s := NewSource(Options{Count: 1000, PageSize: 64})
	a, b := collect(t, s, "service"), collect(t, s, "service")
	if len(a) != 1000 {
		t.Fatalf("%d services, want 1000", len(a))
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("two runs differ (-first +second):\n%s", diff)
	}
	if len(byID(a)) != 1000 {
		t.Errorf("identifiers are not unique")
	}
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if per := len(raw) / len(a); per < 900 || per > 1400 {
		t.Errorf("%d bytes per item, want about 1 KB", per)
	}
	owner, ok := a[3]["owner"].(map[string]any)
	if !ok || owner["team"] != "team-00001" {
		t.Errorf("service 3 owner = %v, want team-00001 (3 mod 2 teams)", a[3]["owner"])
	}
	teams := collect(t, s, "team")
	if len(teams) != Teams(1000) || teams[1]["slug"] != "team-00001" {
		t.Errorf("teams = %v, want %d ending team-00001", teams, Teams(1000))
	}
}

func TestChangeAndRemovePercent(t *testing.T) {
	t.Parallel()
	base := byID(collect(t, NewSource(Options{Count: 2000}), "service"))
	variant := collect(t, NewSource(Options{Count: 2000, ChangePercent: 1, RemovePercent: 1}), "service")
	if len(variant) != 1980 {
		t.Errorf("%d services with 1%% removed, want 1980", len(variant))
	}
	changed := 0
	for _, it := range variant {
		orig, ok := base[it["id"].(string)]
		if !ok {
			t.Fatalf("service %v is new", it["id"])
		}
		if !cmp.Equal(orig, it) {
			changed++
			if it["lifecycle"] != "deprecated" {
				t.Errorf("service %v changed but lifecycle = %v", it["id"], it["lifecycle"])
			}
		}
	}
	if changed != 20 {
		t.Errorf("%d services changed, want 20 (1%%)", changed)
	}
}

func TestDefinitionParams(t *testing.T) {
	t.Parallel()
	def := Definition()
	src, err := def.New(integrations.Settings{Values: integrations.Values{"synthetic-count": {"250"}, "synthetic-page-size": {"50"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(collect(t, src.(*Source), "service")); got != 250 {
		t.Errorf("%d services, want 250", got)
	}
	for _, bad := range []integrations.Values{
		{"synthetic-count": {"many"}},
		{"synthetic-page-size": {"0"}},
		{"synthetic-change-percent": {"101"}},
	} {
		_, err := def.New(integrations.Settings{Values: bad})
		if !errors.Is(err, integrations.ErrConfig) {
			t.Errorf("New(%v) = %v, want ErrConfig", bad, err)
		}
	}
	err = NewSource(Options{Count: 1}).Resync(context.Background(), integrations.Request{Kind: "repo"}, func([]integrations.Item) error { return nil })
	if !errors.Is(err, integrations.ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
}
