package linear

import "github.com/tide-sync/tide/integrations"

// selectorFields lists the selector fields each kind reads besides query,
// for SelectorKeys and for `tide list` and `tide validate` without a key:
// none, as Ocean's Linear integration reads none (it lists every team,
// label and issue the key sees).
func selectorFields() map[string][]integrations.SelectorField {
	out := make(map[string][]integrations.SelectorField, len(kinds))
	for _, k := range kinds {
		out[k] = []integrations.SelectorField{}
	}
	return out
}

func fieldNames(fs []integrations.SelectorField) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}
