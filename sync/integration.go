package sync

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
	"gopkg.in/yaml.v3"
)

func createIntegration(ctx context.Context, cfg Config, m *mapping.Mapping) error {
	src := cfg.Mapping
	if src == nil {
		b, err := cfg.Definition.DefaultMapping()
		if err != nil {
			return err
		}
		src = b
	}
	conf, err := toJSON(src)
	if err != nil {
		return fmt.Errorf("encoding mapping for the new integration: %w", err)
	}
	_, err = cfg.Client.CreateIntegration(ctx, port.Integration{
		InstallationID:      cfg.Identifier,
		InstallationAppType: cfg.Definition.Type,
		Version:             cfg.Version,
		Config:              conf,
	})
	if err != nil {
		return fmt.Errorf("creating integration %q: %w", cfg.Identifier, err)
	}
	cfg.logger().Info("created the integration in Port", "identifier", cfg.Identifier, "blocks", len(m.Blocks))
	return nil
}

func toJSON(src []byte) (json.RawMessage, error) {
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
