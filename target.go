package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/sync/port/local"
)

// Where a sync writes: Port (by URL or region) or the embedded local target.

const defaultPortURL = "https://api.port.io"

// regions maps --port-region to Port's API hosts.
var regions = map[string]string{"eu": "https://api.port.io", "us": "https://api.us.port.io"}

// target resolves --port-url and --port-region.
func (o *portOptions) target() (baseURL, localPath string, err error) {
	if strings.HasPrefix(o.portURL, "local:") {
		p := strings.TrimPrefix(o.portURL, "local:")
		if p == "" {
			return "", "", fmt.Errorf("%w: --port-url local:PATH needs a file path, e.g. local:.tide/catalog.json", errUsage)
		}
		return "", p, nil
	}
	if o.portRegion != "" {
		u, ok := regions[strings.ToLower(o.portRegion)]
		if !ok {
			return "", "", fmt.Errorf("%w: --port-region %q: want eu or us", errUsage, o.portRegion)
		}
		if o.portURL != "" && strings.TrimRight(o.portURL, "/") != u {
			return "", "", fmt.Errorf("%w: --port-region %s and --port-url %s disagree; give one", errUsage, o.portRegion, o.portURL)
		}
		return u, "", nil
	}
	if o.portURL == "" {
		return defaultPortURL, "", nil
	}
	u, perr := url.Parse(o.portURL)
	if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", "", fmt.Errorf("%w: --port-url %q: want an http(s) URL like %s, or local:PATH", errUsage, o.portURL, defaultPortURL)
	}
	return strings.TrimRight(o.portURL, "/"), "", nil
}

// openLocal loads the file-backed local target and seeds its blueprints:
// the integration's defaults (without --blueprints, so the quickstart works
// with no flags; with it, only when --init-resources asks), then
// --blueprints.
func openLocal(path string, def integrations.Definition, blueprintsFile string, initResources bool) (*local.Server, error) {
	s := local.New(local.Options{ClientID: "local", ClientSecret: "local"})
	if err := s.LoadFile(path); err != nil {
		return nil, fmt.Errorf("%w: --port-url local:%s: %v", errUsage, path, err)
	}
	if blueprintsFile == "" || initResources {
		bps, err := def.Blueprints()
		if err != nil {
			return nil, err
		}
		if err := s.Seed(bps); err != nil {
			return nil, fmt.Errorf("%w: seeding the local target: %v", errUsage, err)
		}
	}
	if blueprintsFile != "" {
		extra, err := readBlueprints(blueprintsFile)
		if err != nil {
			return nil, err
		}
		// The file is the truth for the blueprints it names: a changed
		// definition replaces the stored one.
		if _, _, err := s.Apply(extra); err != nil {
			return nil, fmt.Errorf("%w: --blueprints %s: %v", errUsage, blueprintsFile, err)
		}
	}
	return s, nil
}

// readBlueprints reads --blueprints: a JSON array of blueprints, or Port's
// export shape {"ok": true, "blueprints": [...]} (GET /v1/blueprints).
func readBlueprints(path string) ([]map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: --blueprints: %v", errUsage, err)
	}
	var list []map[string]any
	if err := json.Unmarshal(b, &list); err == nil {
		return list, nil
	}
	var export struct {
		Blueprints []map[string]any `json:"blueprints"`
	}
	if err := json.Unmarshal(b, &export); err != nil || export.Blueprints == nil {
		return nil, fmt.Errorf("%w: --blueprints %s: want a JSON array of blueprints or Port's export {\"ok\": true, \"blueprints\": [...]}", errUsage, path)
	}
	return export.Blueprints, nil
}
