package main

import "testing"

// Every integration declares the selector fields of every kind it offers
// ("*" for open kinds), so `tide list` shows them and `tide validate`
// checks a mapping's selector keys without the vendor's credentials.
func TestEveryKindDeclaresItsSelectorFields(t *testing.T) {
	t.Parallel()
	for _, d := range registry().All() {
		kinds := d.Kinds
		if d.OpenKinds {
			kinds = append([]string{"*"}, kinds...)
		}
		for _, k := range kinds {
			if _, ok := d.SelectorKeys(k); !ok {
				t.Errorf("integration %q, kind %q: no selector fields declared (Definition.Selectors)", d.Type, k)
			}
		}
	}
}
