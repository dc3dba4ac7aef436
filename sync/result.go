package sync

import (
	"sort"
	"time"
)

// Status is the outcome of a run, as reported to Port and in the summary.
type Status string

// Run outcomes.
const (
	StatusCompleted Status = "completed" // everything synced; stale entities pruned
	StatusBlocked   Status = "blocked"   // synced, but a deletion guard blocked stale deletes
	StatusFailed    Status = "failed"    // a block or writes failed
	StatusAborted   Status = "aborted"   // interrupted
)

// Result is everything a run did, the source of every report. Its JSON form
// (the --summary-file) is a contract for machines: integer counts under the
// keys created, updated, unchanged, deleted and failed, per block and total.
type Result struct {
	Status      Status         `json:"status"`
	Integration string         `json:"integration"`
	Identifier  string         `json:"identifier"`
	DryRun      bool           `json:"dryRun"`
	Kinds       []string       `json:"kinds,omitempty"`
	Blocks      []*BlockResult `json:"blocks"`
	Total       Counts         `json:"total"`
	Deletion    Deletion       `json:"deletion"`
	Plan        *Plan          `json:"plan,omitempty"`
	// Mapping says which mapping the run used.
	Mapping *MappingSource `json:"mapping,omitempty"`
	// Notices are what the run did that its author may not expect.
	Notices    []Notice  `json:"notices,omitempty"`
	Errors     []string  `json:"errors,omitempty"`
	StartedAt  time.Time `json:"startedAt"`
	DurationMS int64     `json:"durationMs"`
	// ConfigError is set when a resource block failed because the
	// integration's configuration was refused (errors.Is
	// integrations.ErrConfig: a vendor rejecting the credentials); the CLI
	// then exits 2. Its text is also in the block's Error.
	ConfigError error `json:"-"`
	// CredentialsRejected: a vendor refused the credentials during the
	// run (a block failed with integrations.ErrCredentials); exit 2.
	CredentialsRejected bool `json:"credentialsRejected,omitempty"`
}

// Counts are the per-block and total counters. A total is the sum of its
// column, except fetched: blocks reading the same kind with the same
// selector read the same items, which the total counts once.
type Counts struct {
	Fetched        int `json:"fetched"`
	FilteredOut    int `json:"filteredOut"`
	Mapped         int `json:"mapped"`
	FailedToMap    int `json:"failedToMap"`
	Created        int `json:"created"`
	Updated        int `json:"updated"`
	Unchanged      int `json:"unchanged"`
	Deleted        int `json:"deleted"`
	BlockedDeletes int `json:"blockedDeletes"`
	Failed         int `json:"failed"` // failed writes (upserts and deletes)
	// Duplicates are mapped entities whose identifier an earlier item of the
	// same block already gave; the earlier one (in source order) is written.
	Duplicates int `json:"duplicates,omitempty"`
}

func (c *Counts) add(o Counts) {
	c.Fetched += o.Fetched
	c.FilteredOut += o.FilteredOut
	c.Mapped += o.Mapped
	c.FailedToMap += o.FailedToMap
	c.Created += o.Created
	c.Updated += o.Updated
	c.Unchanged += o.Unchanged
	c.Deleted += o.Deleted
	c.BlockedDeletes += o.BlockedDeletes
	c.Failed += o.Failed
	c.Duplicates += o.Duplicates
}

// BlockResult is one resource block's share of a run.
type BlockResult struct {
	Index     int    `json:"index"`
	Kind      string `json:"kind"`
	Blueprint string `json:"blueprint,omitempty"` // "" when computed per item
	Skipped   bool   `json:"skipped,omitempty"`   // not selected by --kinds
	Counts
	Misconfigured []MisconfigStat `json:"misconfigured,omitempty"`
	Warnings      []string        `json:"warnings,omitempty"`
	WriteErrors   []string        `json:"writeErrors,omitempty"` // a few samples
	// DuplicateIDs samples the identifiers given by more than one item.
	DuplicateIDs []string `json:"duplicateIds,omitempty"`
	Error        string   `json:"error,omitempty"`
	// Partial says why the block's listing is short on purpose
	// (allow_partial): its blueprint is not pruned and the run is blocked.
	Partial    string `json:"partial,omitempty"`
	DurationMS int64  `json:"durationMs"`
}

// MisconfigStat is a mapping field that came out null or failed.
type MisconfigStat struct {
	Field string `json:"field"`
	Expr  string `json:"expression"`
	Count int    `json:"count"`
	Err   string `json:"error,omitempty"` // first runtime error seen
}

// DeletionState is what became of the stale entities of a run.
type DeletionState string

// Deletion states.
const (
	DeletionNone    DeletionState = "none"    // nothing was stale
	DeletionDone    DeletionState = "done"    // stale entities were deleted
	DeletionPlanned DeletionState = "planned" // a dry run: they would be deleted
	DeletionBlocked DeletionState = "blocked" // a guard (the threshold) kept them
	DeletionSkipped DeletionState = "skipped" // a block failed or the run was interrupted
)

// Deletion says what happened to stale entities.
type Deletion struct {
	State     DeletionState `json:"state"`
	Reason    string        `json:"reason,omitempty"`
	Owned     int           `json:"owned"` // owned entities in the pruned scope at start
	Stale     int           `json:"stale"` // owned and not seen this run
	Kept      int           `json:"kept"`  // stale but kept as relation targets of kept entities
	Deleted   int           `json:"deleted"`
	Blocked   int           `json:"blocked"` // stale entities a guard kept
	Failed    int           `json:"failed"`
	Threshold float64       `json:"threshold"`
	Rate      float64       `json:"rate"`
	// Scope lists the blueprints pruned; NotPruned the owned blueprints
	// left alone because --kinds did not select every block writing them.
	Scope     []string `json:"scope,omitempty"`
	NotPruned []string `json:"notPruned,omitempty"`
	Errors    []string `json:"errors,omitempty"` // a few delete failures
	// Entities names every stale entity that was not deleted (kept or
	// blocked) with its reason, sorted by blueprint and identifier.
	Entities []KeptEntity `json:"entities,omitempty"`
}

// Reason says why a stale entity was not deleted. The ledger decides it,
// in one place (sync/ledger.go).
type Reason string

// Reasons a stale entity is not deleted. The first two are kept by rule
// (the run is fine); every other one is a guard that blocked the delete.
const (
	ReasonRelationTarget Reason = "relation-target"     // a kept entity relates to it (createMissingRelatedEntities)
	ReasonNotConfirmed   Reason = "not-confirmed"       // the datasource-entities listing does not return it as owned
	ReasonBlockFailed    Reason = "block-failed"        // a resource block failed: the source state is incomplete
	ReasonWriteFailed    Reason = "write-failed"        // a write of this run failed
	ReasonUnresolved     Reason = "unresolved-write"    // a search identifier matched no single entity
	ReasonBlueprint      Reason = "blueprint-unread"    // a blueprint's relations could not be read
	ReasonInterrupted    Reason = "interrupted"         // SIGINT/SIGTERM or --timeout
	ReasonDeletionOff    Reason = "deletion-off"        // entityDeletionThreshold is 0
	ReasonThreshold      Reason = "threshold"           // stale share of all owned entities above the threshold
	ReasonBPThreshold    Reason = "blueprint-threshold" // stale share of the blueprint's owned entities above the threshold
	ReasonUnmappable     Reason = "unmappable-items"    // items of a block writing it had no identifier or blueprint
	ReasonRefused        Reason = "refused-by-port"     // Port refused the delete (dependents, with delete_dependents=false)
	ReasonPartial        Reason = "partial-listing"     // a block writing it was capped on purpose (allow_partial)
)

// Guard reports whether r is a guard that blocked a delete, as opposed
// to a rule that keeps the entity.
func (r Reason) Guard() bool { return r != ReasonRelationTarget && r != ReasonNotConfirmed }

// KeptEntity is one stale entity that was not deleted, and why.
type KeptEntity struct {
	Blueprint  string `json:"blueprint"`
	Identifier string `json:"identifier"`
	Reason     Reason `json:"reason"`
}

// Plan is what a dry run would write.
type Plan struct {
	CreateBlueprints []string     `json:"createBlueprints,omitempty"`
	UpdateBlueprints []string     `json:"updateBlueprints,omitempty"`
	Creates          []PlanEntity `json:"creates"`
	Updates          []PlanEntity `json:"updates"`
	Deletes          []PlanEntity `json:"deletes"`
	// Blocked lists stale entities a guard would keep (threshold or failed block).
	Blocked []PlanEntity `json:"blocked"`
}

// PlanEntity is one planned write.
type PlanEntity struct {
	Blueprint  string        `json:"blueprint"`
	Identifier string        `json:"identifier"`
	Block      int           `json:"block"` // resource index; -1 for deletes of unmapped blueprints
	Changes    []FieldChange `json:"changes,omitempty"`
	Reason     Reason        `json:"reason,omitempty"` // why a blocked delete is kept
}

// FieldChange is one field of a planned update.
type FieldChange struct {
	Field string `json:"field"`
	From  any    `json:"from"`
	To    any    `json:"to"`
}

func (p *Plan) sort() {
	for _, s := range [][]PlanEntity{p.Creates, p.Updates, p.Deletes, p.Blocked} {
		sort.Slice(s, func(i, j int) bool {
			if s[i].Blueprint != s[j].Blueprint {
				return s[i].Blueprint < s[j].Blueprint
			}
			if s[i].Identifier != s[j].Identifier {
				return s[i].Identifier < s[j].Identifier
			}
			return s[i].Block < s[j].Block
		})
	}
	sort.Strings(p.CreateBlueprints)
	sort.Strings(p.UpdateBlueprints)
}
