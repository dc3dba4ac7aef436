package mapping

// STUB: the mapping helper replaces this file with the implementation,
// keeping these signatures.

import "errors"

// ErrInvalid is wrapped by every Parse and Compile error (the CLI exits 2).
var ErrInvalid = errors.New("invalid mapping")

// Parse decodes a port-app-config from YAML or JSON, applies defaults and
// validates it. Errors wrap ErrInvalid and name the field path
// (e.g. `resources[2].selector.query: required`).
func Parse(data []byte) (*Config, error) { panic("TODO") }

// FromMap parses an already decoded config (e.g. the integration object's
// "config" from Port).
func FromMap(m map[string]any) (*Config, error) { panic("TODO") }

// Options tune compilation.
type Options struct {
	// Env is what `env` and `$ENV` show to expressions; nil shows {}.
	Env map[string]string
}

// Mapping is a compiled config.
type Mapping struct {
	Config *Config
	Blocks []*Block
}

// Block is one compiled resource block.
type Block struct {
	Index    int
	Resource *Resource
}

// FieldSet says which fields a block's entities carry.
type FieldSet struct {
	Has        Field
	Properties []string // sorted property keys
	Relations  []string // sorted relation keys
}

// Compile compiles every expression of cfg once. A syntax error anywhere is
// returned as a *CompileError (wrapping ErrInvalid) listing every bad
// expression with its resource index, kind, field path and text.
func Compile(cfg *Config, opts Options) (*Mapping, error) { panic("TODO") }

// Blueprint returns the block's blueprint when the expression is a constant
// string (e.g. '"service"'); ok is false for a computed blueprint.
func (b *Block) Blueprint() (bp string, ok bool) { panic("TODO") }

// Fields returns the fields this block maps.
func (b *Block) Fields() FieldSet { panic("TODO") }

// Process expands item with itemsToParse (when set), runs the selector and
// the mappings on each expanded item, and calls emit once per expanded item.
// It returns an error (the block fails) when the selector yields a
// non-boolean or fails.
func (b *Block) Process(item map[string]any, emit func(Outcome)) error { panic("TODO") }
