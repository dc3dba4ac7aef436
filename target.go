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
func (o *syncOptions) target() (baseURL, localPath string, err error) {
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
// the integration's defaults, then --blueprints.
func openLocal(path string, def integrations.Definition, blueprintsFile string) (*local.Server, error) {
	s := local.New(local.Options{ClientID: "local", ClientSecret: "local"})
	if err := s.LoadFile(path); err != nil {
		return nil, fmt.Errorf("%w: --port-url local:%s: %v", errUsage, path, err)
	}
	bps, err := def.Blueprints()
	if err != nil {
		return nil, err
	}
	if blueprintsFile != "" {
		b, err := os.ReadFile(blueprintsFile)
		if err != nil {
			return nil, fmt.Errorf("%w: --blueprints: %v", errUsage, err)
		}
		var extra []map[string]any
		if err := json.Unmarshal(b, &extra); err != nil {
			return nil, fmt.Errorf("%w: --blueprints %s: want a JSON array of blueprints: %v", errUsage, blueprintsFile, err)
		}
		bps = append(bps, extra...)
	}
	if err := s.Seed(bps); err != nil {
		return nil, fmt.Errorf("%w: seeding the local target: %v", errUsage, err)
	}
	return s, nil
}
