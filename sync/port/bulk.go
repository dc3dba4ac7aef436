package port

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Port's bulk limits. BulkUpsert and BulkDelete split longer input
// themselves; callers that batch or spread requests over workers size their
// batches by these, so each batch is one request.
const (
	MaxBulkEntities = 20      // entities in one bulk upsert
	MaxBulkBytes    = 1 << 20 // bytes in one request body
	MaxBulkDelete   = 100     // identifiers in one bulk delete
)

const bulkEnvelope = len(`{"entities":[]}`)

func (o UpsertOptions) query() url.Values {
	q := url.Values{
		"upsert":                          {"true"},
		"merge":                           {strconv.FormatBool(o.Merge)},
		"create_missing_related_entities": {strconv.FormatBool(o.CreateMissingRelatedEntities)},
		"validation_only":                 {"false"},
		"ocean_info_event_type":           {"resync"},
	}
	if o.ResyncID != "" {
		q.Set("ocean_info_resync_id", o.ResyncID)
	}
	return q
}

// splitBulk cuts entities into requests of ≤20 entities and ≤1 MiB; an
// entity too large on its own is returned in tooBig.
func splitBulk(entities []json.RawMessage) (batches [][]int, tooBig []int) {
	var cur []int
	size := bulkEnvelope
	for i, e := range entities {
		if bulkEnvelope+len(e) > MaxBulkBytes {
			tooBig = append(tooBig, i)
			continue
		}
		add := len(e)
		if len(cur) > 0 {
			add++ // comma
		}
		if len(cur) == MaxBulkEntities || size+add > MaxBulkBytes {
			batches = append(batches, cur)
			cur, size, add = nil, bulkEnvelope, len(e)
		}
		cur = append(cur, i)
		size += add
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	return batches, tooBig
}

func encodeBulk(entities []json.RawMessage, idx []int) []byte {
	size := bulkEnvelope + len(idx) // envelope and commas, one to spare
	for _, i := range idx {
		size += len(entities[i])
	}
	b := make([]byte, 0, size) // exactly once: no growing copies
	b = append(b, `{"entities":[`...)
	for k, i := range idx {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, entities[i]...)
	}
	return append(b, "]}"...)
}

// BulkUpsert upserts entities (each a JSON object) of one blueprint, split
// into requests of ≤20 entities and ≤1 MiB, with 413 falling back to single
// upserts (as Ocean does). It returns one result per input, in order. The
// error is non-nil only when the context ended.
// entities are not read after it returns: the caller may reuse their
// memory.
func (c *Client) BulkUpsert(ctx context.Context, blueprint string, entities []json.RawMessage, opts UpsertOptions) ([]UpsertResult, error) {
	results := make([]UpsertResult, len(entities))
	batches, tooBig := splitBulk(entities)
	for _, i := range tooBig {
		results[i].Err = fmt.Errorf("entity is %d bytes, over Port's 1 MiB request limit", len(entities[i]))
	}
	path := "/v1/blueprints/" + esc(blueprint) + "/entities/bulk"
	for _, idx := range batches {
		if err := ctx.Err(); err != nil {
			return results, context.Cause(ctx)
		}
		_, raw, err := c.send(ctx, http.MethodPost, path, opts.query(), encodeBulk(entities, idx), callOpts{writer: true})
		var ae *APIError
		switch {
		case errors.As(err, &ae) && ae.Status == http.StatusRequestEntityTooLarge:
			for _, i := range idx {
				results[i] = c.upsertOne(ctx, blueprint, entities[i], opts)
			}
		case err != nil:
			for _, i := range idx {
				results[i].Err = err
			}
			if ctx.Err() != nil {
				return results, context.Cause(ctx)
			}
		default:
			joinBulk(results, idx, raw, path)
		}
	}
	return results, nil
}

// joinBulk reads a 200/207 answer, joining results to inputs by index.
func joinBulk(results []UpsertResult, idx []int, raw []byte, path string) {
	out, err := decodeBulkAnswer(raw, len(idx))
	if err != nil {
		for _, i := range idx {
			results[i].Err = fmt.Errorf("port: POST %s: decoding the answer: %w", path, err)
		}
		return
	}
	done := make([]bool, len(idx))
	for _, e := range out.Entities {
		if e.Index < 0 || e.Index >= len(idx) {
			continue
		}
		results[idx[e.Index]] = UpsertResult{Identifier: e.Identifier, Created: e.Created}
		done[e.Index] = true
	}
	for _, e := range out.Errors {
		if e.Index < 0 || e.Index >= len(idx) {
			continue
		}
		ae := &APIError{Method: http.MethodPost, Path: path, Status: e.StatusCode, Code: e.Error, Message: e.Message}
		if e.Identifier == "unknown" {
			// Ocean drops these silently; a search identifier that matched
			// nothing is worth saying.
			ae.Message = "the search identifier matched no entity: " + ae.Message
		}
		results[idx[e.Index]] = UpsertResult{Err: ae}
		done[e.Index] = true
	}
	for k, ok := range done {
		if !ok {
			results[idx[k]].Err = fmt.Errorf("port: POST %s: no result for entity %d of the request", path, k)
		}
	}
}

// upsertOne is the single-entity fallback. Unlike Ocean, any error status
// is a failure.
func (c *Client) upsertOne(ctx context.Context, blueprint string, entity json.RawMessage, opts UpsertOptions) UpsertResult {
	var out struct {
		Entity struct {
			Identifier string `json:"identifier"`
		} `json:"entity"`
	}
	// A copy: the transport may still be reading a request body after
	// the answer came, and BulkUpsert's caller reuses entity's memory.
	body := bytes.Clone(entity)
	status, raw, err := c.send(ctx, http.MethodPost, "/v1/blueprints/"+esc(blueprint)+"/entities", opts.query(), body, callOpts{writer: true})
	if err != nil {
		return UpsertResult{Err: err}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return UpsertResult{Err: fmt.Errorf("decoding the upsert answer: %w", err)}
	}
	return UpsertResult{Identifier: out.Entity.Identifier, Created: status == http.StatusCreated}
}

// BulkDelete deletes identifiers of one blueprint in requests of ≤100 and
// returns the identifiers Port reports deleted. A failed request does not
// stop the others; the errors are joined.
func (c *Client) BulkDelete(ctx context.Context, blueprint string, ids []string, deleteDependents bool, resyncID string) ([]string, error) {
	q := url.Values{"delete_dependents": {strconv.FormatBool(deleteDependents)}, "ocean_info_event_type": {"resync"}}
	if resyncID != "" {
		q.Set("ocean_info_resync_id", resyncID)
	}
	path := "/v1/blueprints/" + esc(blueprint) + "/bulk/entities/delete"
	var deleted []string
	var errs []error
	for start := 0; start < len(ids); start += MaxBulkDelete {
		chunk := ids[start:min(start+MaxBulkDelete, len(ids))]
		body, _ := json.Marshal(map[string]any{"entities": chunk})
		var out struct {
			Deleted []string `json:"deletedEntities"`
		}
		if err := c.do(ctx, http.MethodPost, path, q, body, &out, callOpts{writer: true}); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		deleted = append(deleted, out.Deleted...)
	}
	return deleted, errors.Join(errs...)
}
