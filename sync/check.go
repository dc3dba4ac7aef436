package sync

import (
	"context"
	"errors"

	"github.com/tide-sync/tide/sync/mapping"
)

// ErrNoMapping is returned by Check when cfg.Mapping is empty.
var ErrNoMapping = errors.New("no mapping to check")

// Check runs, without fetching or writing anything, every check a sync runs
// before its first write: the mapping parses with strict keys and its JQ
// compiles; each block's kind exists and its selector is one the kind
// reads; and, when cfg.Client is set, every blueprint the mapping writes
// exists and declares the properties and relations mapped to it.
//
// cfg.Source may be nil (its credentials are not at hand): selector keys
// are then held against cfg.Definition.Selectors and selector values are
// not checked. cfg.Client only reads blueprints. The compiled mapping is
// returned when it compiled, even when a later check failed, so a caller
// can place a problem on a line; its Config.Warnings lists ignored keys.
func Check(ctx context.Context, cfg Config) (*mapping.Mapping, error) {
	if len(cfg.Mapping) == 0 {
		return nil, ErrNoMapping
	}
	m, err := compileMapping(cfg.Mapping, cfg.MappingName, cfg.jqOptions())
	if err != nil {
		return nil, err
	}
	if err := checkKinds(cfg, m); err != nil {
		return m, err
	}
	if cfg.Client == nil {
		return m, nil
	}
	if err := cfg.Client.Authenticate(ctx); err != nil {
		return m, err
	}
	if _, _, err := checkBlueprints(ctx, cfg, m); err != nil {
		return m, err
	}
	return m, nil
}
