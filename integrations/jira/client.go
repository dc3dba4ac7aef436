package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	gosync "sync"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/httpx"
)

// pageSize is the page size Ocean asks for on every Jira listing.
const pageSize = 50

// Base paths under the site (or the gateway URL).
const (
	apiBase      = "/rest/api/3"
	agileBase    = "/rest/agile/1.0"
	softwareBase = "/rest/software/1.0"
	teamsBase    = "/gateway/api/public/teams/v1/org/"
)

// ErrIncomplete marks a listing that ended before Jira said it had: the
// block fails instead of delivering a shorter list.
var ErrIncomplete = integrations.ErrIncomplete

// emitter serialises emits from concurrent fetches: the engine's Emit is
// called from one goroutine at a time.
type emitter struct {
	mu    gosync.Mutex
	emit  integrations.Emit
	count int
}

func (e *emitter) send(items []map[string]any) error {
	if len(items) == 0 {
		return nil
	}
	page := make([]integrations.Item, len(items))
	for i, it := range items {
		page[i] = it
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.count += len(items)
	return e.emit(page)
}

// call sends one request and decodes its JSON answer.
func (s *Source) call(ctx context.Context, method, path string, q url.Values, body any) (any, error) {
	u := s.site + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	r := httpx.Request{Method: method, URL: u, Auth: s.auth}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r.Body = b
	}
	resp, err := s.c.Do(ctx, r)
	if err != nil {
		return nil, s.refusal(err)
	}
	v, err := resp.JSON()
	if err != nil {
		return nil, fmt.Errorf("jira: %s %s: %w", method, path, err)
	}
	return v, nil
}

// refusal says what a 401, 403 or 404 means for the user. A 401 is Jira
// refusing the credentials (integrations.ErrCredentials): the run exits 2.
func (s *Source) refusal(err error) error {
	var se *httpx.StatusError
	if !errors.As(err, &se) {
		return err
	}
	switch se.Status {
	case http.StatusUnauthorized:
		if scopeMismatch(se) {
			return integrations.CredentialsError(s.check, fmt.Errorf("Jira refused the token for this API (401: scope does not match: the token lacks a scope this kind needs): %w", err))
		}
		return integrations.CredentialsError(s.check, fmt.Errorf("Jira rejected the credentials (401): %w", err))
	case http.StatusForbidden:
		return fmt.Errorf("Jira refused access (403: the account lacks a permission here): %w", err)
	case http.StatusNotFound:
		return fmt.Errorf("not found, or not visible to this account (404): %w", err)
	}
	return err
}

// scopeMismatch reports Atlassian's answer to a valid token that lacks the
// OAuth scope one API needs: a 401 saying "scope does not match".
func scopeMismatch(se *httpx.StatusError) bool {
	return se.Status == http.StatusUnauthorized && bytes.Contains(bytes.ToLower(se.Body), []byte("scope does not match"))
}

// CheckCredentials asks Jira whose credentials these are (GET
// /rest/api/3/myself), before anything is written: one request more per
// run, and the one Jira answers only to an authenticated account (listings
// answer an anonymous caller with what is public). A 401 is a credentials
// error, and so is a 403 there: the account cannot use the site's API at
// all (no access to the site, or a CAPTCHA pending after failed logins).
// A 401 saying the OAuth scope does not match is not: the token is valid
// but lacks read:jira-user, which only some kinds need, so the blocks
// find out what it can read. Anything else is left for the blocks.
func (s *Source) CheckCredentials(ctx context.Context, _ []integrations.Request) error {
	resp, err := s.c.Do(ctx, httpx.Request{Method: http.MethodGet, URL: s.site + apiBase + "/myself", Auth: s.auth})
	var se *httpx.StatusError
	switch {
	case err == nil:
		if v, jerr := resp.JSON(); jerr == nil {
			if me, ok := v.(map[string]any); ok {
				s.log.Debug("Jira accepted the credentials", "accountId", me["accountId"], "accountType", me["accountType"])
			}
		}
		return nil
	case !errors.As(err, &se) || scopeMismatch(se):
		return nil
	case se.Status == http.StatusUnauthorized:
		return integrations.CredentialsError(s.check, fmt.Errorf("Jira rejected the credentials (401): %w", err))
	case se.Status == http.StatusForbidden:
		return integrations.CredentialsError(s.check, fmt.Errorf("Jira refused the first request of the run (403: the account cannot use this site's API, or must solve a CAPTCHA in the browser after failed logins): %w", err))
	}
	return nil
}

// object reads an answer that must be a JSON object.
func object(v any, path string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("jira: %s: the answer is %s, not an object", path, kindOf(v))
	}
	return m, nil
}

// itemsAt reads the list under key (key "" : the answer is the list).
func itemsAt(v any, key, path string) ([]map[string]any, map[string]any, error) {
	var raw []any
	var obj map[string]any
	if key == "" {
		l, ok := v.([]any)
		if !ok {
			return nil, nil, fmt.Errorf("jira: %s: the answer is %s, not a list", path, kindOf(v))
		}
		raw = l
	} else {
		var err error
		if obj, err = object(v, path); err != nil {
			return nil, nil, err
		}
		switch l := obj[key].(type) {
		case []any:
			raw = l
		case nil:
			// A page without its list says nothing about what exists.
			return nil, nil, fmt.Errorf("jira: %s: the answer has no %q list", path, key)
		default:
			return nil, nil, fmt.Errorf("jira: %s: %q is %s, not a list", path, key, kindOf(l))
		}
	}
	out := make([]map[string]any, 0, len(raw))
	for i, x := range raw {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("jira: %s: %s[%d] is %s, not an object", path, key, i, kindOf(x))
		}
		out = append(out, m)
	}
	return out, obj, nil
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "a number"
}

func number(v any) (int, bool) {
	switch n := v.(type) {
	case float64:
		return int(n), true
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

// offsetScheme says how an offset listing (startAt, maxResults) ends when
// the answer carries neither isLast nor total.
type offsetScheme int

const (
	// coreOffset: Jira's platform lists; only an empty page ends a list
	// without isLast or total (users/search filters pages, so a short
	// page proves nothing).
	coreOffset offsetScheme = iota
	// agileOffset: Jira Software's lists; a page shorter than maxResults
	// ends a list without isLast or total (Ocean's rule).
	agileOffset
)

// offset pages through a startAt/maxResults listing. It stops exactly
// where Jira says: isLast true; else startAt reaching total; else the
// scheme's rule. A page that contradicts the answer (empty while isLast is
// false or total is not reached) is an incomplete listing.
func (s *Source) offset(ctx context.Context, path string, q url.Values, key string, scheme offsetScheme, fn func([]map[string]any) error) error {
	if q == nil {
		q = url.Values{}
	}
	start := 0
	guard := integrations.ShiftGuard{Path: path}
	for page := 1; ; page++ {
		q.Set("startAt", strconv.Itoa(start))
		q.Set("maxResults", strconv.Itoa(pageSize))
		v, err := s.call(ctx, http.MethodGet, path, q, nil)
		if err != nil {
			return pageErr(page, err)
		}
		items, obj, err := itemsAt(v, key, path)
		if err != nil {
			return pageErr(page, err)
		}
		total, counted := number(obj["total"])
		if err := guard.Page(items, total, counted); err != nil {
			return err
		}
		if err := fn(items); err != nil {
			return err
		}
		start += len(items)
		if obj != nil {
			if last, ok := obj["isLast"].(bool); ok {
				if last {
					return guard.Done()
				}
				if len(items) == 0 {
					return fmt.Errorf("%w: %s: page %d is empty although Jira says more follow (isLast false) after %d items", ErrIncomplete, path, page, start)
				}
				continue
			}
			if total, ok := number(obj["total"]); ok {
				if start >= total {
					return guard.Done()
				}
				if len(items) == 0 {
					return fmt.Errorf("%w: %s: the listing ended after %d of the %d items Jira counts (total)", ErrIncomplete, path, start, total)
				}
				continue
			}
		}
		if len(items) == 0 {
			return guard.Done()
		}
		if scheme == agileOffset {
			max := pageSize
			if obj != nil {
				if m, ok := number(obj["maxResults"]); ok && m > 0 {
					max = m
				}
			}
			if len(items) < max {
				return guard.Done()
			}
		}
	}
}

// tokenPage fetches one page of a token listing given the token ("" for
// the first page).
type tokenPage func(ctx context.Context, token string) (any, error)

// tokens pages through a nextPageToken listing (issue search, the
// software backlog): it stops on isLast true, or on a page without a
// token when Jira does not say isLast false. A repeated token is an error
// (the listing would never end).
func (s *Source) tokens(ctx context.Context, path, key string, get tokenPage, fn func([]map[string]any) error) error {
	seen := map[string]bool{}
	token := ""
	for page := 1; ; page++ {
		v, err := get(ctx, token)
		if err != nil {
			return pageErr(page, err)
		}
		items, obj, err := itemsAt(v, key, path)
		if err != nil {
			return pageErr(page, err)
		}
		if err := fn(items); err != nil {
			return err
		}
		last, hasLast := obj["isLast"].(bool)
		next, _ := obj["nextPageToken"].(string)
		switch {
		case hasLast && last:
			return nil
		case next == "" && hasLast:
			return fmt.Errorf("%w: %s: page %d says more follow (isLast false) but gives no nextPageToken", ErrIncomplete, path, page)
		case next == "":
			return nil
		case seen[next]:
			return fmt.Errorf("%w: %s: page %d repeats an earlier nextPageToken", ErrIncomplete, path, page)
		}
		seen[next] = true
		token = next
	}
}

func pageErr(page int, err error) error {
	if page == 1 {
		return err
	}
	return fmt.Errorf("page %d: %w", page, err)
}
