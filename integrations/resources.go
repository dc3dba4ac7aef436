package integrations

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
)

func readBlueprints(fsys fs.FS) ([]map[string]any, error) {
	if fsys == nil {
		return nil, nil
	}
	b, err := fs.ReadFile(fsys, "blueprints.json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var bps []map[string]any
	if err := json.Unmarshal(b, &bps); err != nil {
		return nil, fmt.Errorf("blueprints.json: %w", err)
	}
	return bps, nil
}

// Resources returns the resources/ directory of an integration's embedded
// files (its go:embed resources), as Definition.Resources wants it.
func Resources(embedded fs.FS) fs.FS {
	sub, err := fs.Sub(embedded, "resources")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}
