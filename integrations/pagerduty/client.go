package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/httpx"
	"github.com/tide-sync/tide/internal/jsonx"
)

// Classic pagination: pages of pageSize, and PagerDuty answers no offset
// past MaxRecords (offset + limit must stay within it).
const (
	pageSize   = 100
	MaxRecords = 10000
)

// ErrIncomplete is a listing that could not be read to its end: PagerDuty's
// 10,000-record ceiling reached, or an answer saying more pages exist that
// cannot be followed. The resource block fails, so nothing is deleted.
var ErrIncomplete = integrations.ErrIncomplete

// do sends one request and decodes its JSON object.
func (s *Source) do(ctx context.Context, method, p string, q url.Values, body any) (map[string]any, *httpx.Response, error) {
	u := s.base + "/" + p
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	r := httpx.Request{Method: method, URL: u, Auth: s.auth}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		r.Body = b
	}
	resp, err := s.c.Do(ctx, r)
	if err != nil {
		return nil, nil, s.refusal(err)
	}
	v, err := resp.JSON()
	if err != nil {
		return nil, resp, fmt.Errorf("pagerduty: %s /%s: %w", method, p, err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, resp, fmt.Errorf("pagerduty: %s /%s: want a JSON object, got %s", method, p, jsonx.TypeName(v))
	}
	return obj, resp, nil
}

// refusal names what a 401 means for the user: the token or the region.
// It is a credentials error (integrations.ErrCredentials): the run exits 2.
func (s *Source) refusal(err error) error {
	var se *httpx.StatusError
	if errors.As(err, &se) && se.Status == http.StatusUnauthorized {
		return integrations.CredentialsError(tokenHint+", and --pagerduty-api-url for an EU account ("+EUAPIURL+")",
			fmt.Errorf("PagerDuty rejected the token (401): %w", err))
	}
	return err
}

// CheckCredentials asks PagerDuty for the account's abilities (GET
// /abilities) before anything is written: one small request per run that
// an account key, a user key and an OAuth token may all send (a scoped
// OAuth token needs abilities.read; without it, the 403 is no verdict on
// the token and is left for the blocks). A 401 is a credentials error;
// anything else is left for the blocks to report.
func (s *Source) CheckCredentials(ctx context.Context, _ []integrations.Request) error {
	if _, _, err := s.do(ctx, http.MethodGet, "abilities", nil, nil); errors.Is(err, integrations.ErrCredentials) {
		return err
	}
	return nil
}

// list reads every page of the collection at path p and emits each. The
// items are under the key named like the path's last segment. An offset
// listing asks for total and fails when the collection shifted while it
// was read (integrations.ShiftGuard).
func (s *Source) list(ctx context.Context, p string, q url.Values, emit integrations.Emit) error {
	key := path.Base(p)
	query := url.Values{}
	for k, v := range q {
		query[k] = v
	}
	offset := 0
	cursor := ""              // cursor pagination once an answer carries next_cursor
	seen := map[string]bool{} // cursors already followed
	emptyRun := 0             // consecutive empty pages that gave a cursor
	guard := integrations.ShiftGuard{Path: "/" + p}
	for n := 1; ; n++ {
		query.Set("limit", strconv.Itoa(pageSize))
		if cursor == "" {
			query.Set("offset", strconv.Itoa(offset))
			// total=true has PagerDuty count the collection on every
			// page, which tells a listing that shifted while it was read.
			query.Set("total", "true")
		} else {
			query.Del("offset")
			query.Del("total")
			query.Set("cursor", cursor)
		}
		obj, _, err := s.do(ctx, http.MethodGet, p, query, nil)
		if err != nil {
			return fmt.Errorf("page %d: %w", n, err)
		}
		raw, ok := obj[key].([]any)
		if !ok {
			return fmt.Errorf("page %d: pagerduty: GET /%s: the answer has no %q list", n, p, key)
		}
		items, err := objects(raw, key)
		if err != nil {
			return fmt.Errorf("page %d: pagerduty: GET /%s: %w", n, p, err)
		}
		more, _ := obj["more"].(bool)
		if _, cursored := obj["next_cursor"]; !cursored && cursor == "" {
			total, counted := obj["total"].(float64)
			if err := guard.Page(items, int(total), counted); err != nil {
				return err
			}
		}
		if len(items) > 0 {
			if err := emit(items); err != nil {
				return err
			}
		}
		if nc, cursored := obj["next_cursor"]; cursored {
			// Cursor-based pagination (e.g. audit/records): the next page is
			// asked with cursor=next_cursor; a null next_cursor is the end.
			if nc == nil {
				return nil
			}
			next, ok := nc.(string)
			if !ok || next == "" {
				return fmt.Errorf("page %d: pagerduty: GET /%s: %w: next_cursor is %v, not a cursor", n, p, ErrIncomplete, nc)
			}
			if seen[next] {
				return fmt.Errorf("page %d: pagerduty: GET /%s: %w: next_cursor repeats a cursor already followed", n, p, ErrIncomplete)
			}
			if len(items) == 0 {
				emptyRun++
				if emptyRun > 1 {
					return fmt.Errorf("page %d: pagerduty: GET /%s: %w: consecutive empty pages still give a next_cursor", n, p, ErrIncomplete)
				}
			} else {
				emptyRun = 0
			}
			seen[next] = true
			cursor = next
			continue
		}
		if cursor != "" {
			return fmt.Errorf("page %d: pagerduty: GET /%s: %w: a cursor page has no next_cursor", n, p, ErrIncomplete)
		}
		if !more {
			return guard.Done()
		}
		if len(items) == 0 {
			return fmt.Errorf("page %d: pagerduty: GET /%s: %w: an empty page says more pages exist", n, p, ErrIncomplete)
		}
		offset += len(items)
		if offset+pageSize > MaxRecords {
			return fmt.Errorf("pagerduty: GET /%s: %w: PagerDuty lists at most %d records and more exist past %d; narrow the resource block's selector.apiQueryParams (e.g. since/until, statuses, service_ids, team_ids) so each listing stays under the ceiling",
				p, ErrIncomplete, MaxRecords, offset)
		}
	}
}

// listAll collects a whole listing (enrichment lookups).
func (s *Source) listAll(ctx context.Context, p string, q url.Values) ([]integrations.Item, error) {
	var all []integrations.Item
	err := s.list(ctx, p, q, func(page []integrations.Item) error {
		all = append(all, page...)
		return nil
	})
	return all, err
}

func objects(raw []any, key string) ([]integrations.Item, error) {
	items := make([]integrations.Item, 0, len(raw))
	for i, x := range raw {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s[%d]: want an object, got %s", key, i, jsonx.TypeName(x))
		}
		items = append(items, m)
	}
	return items, nil
}
