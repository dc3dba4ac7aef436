module github.com/tide-sync/tide

go 1.26.8

require (
	github.com/bmatcuk/doublestar/v4 v4.10.4 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/itchyny/gojq v0.12.20 // indirect
	github.com/itchyny/timefmt-go v0.1.9 // indirect
	github.com/lmittmann/tint v1.2.1 // indirect
	github.com/peterbourgon/ff/v3 v3.4.0 // indirect
	github.com/sethvargo/go-githubactions v1.4.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
