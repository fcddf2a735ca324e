package verdict

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/locust"
	"github.com/logcorr/logcorr/parser"
)

// TestClientFindingsInRouteOrder: anchors of one path and status that
// differ by method alone (a record that names no method, beside the
// access lines') give one finding each, always in the same order; the
// map's order once put them either way round (debug-off-long's two
// UNDERCOUNT 500 lines swapped from run to run).
func TestClientFindingsInRouteOrder(t *testing.T) {
	const path = "/accounts/login/"
	run := &locust.Run{Stats: []locust.Stat{{Method: "POST", Name: path, Requests: 10, Failures: 2}}}
	anchors := map[Route]AnchorCount{
		{"POST", path, 500}: {Total: 68, WithAccess: 35},
		{"", path, 500}:     {Total: 45},
		{"POST", path, 502}: {Total: 3},
	}
	var first []string
	for range 30 {
		checks := CheckClient(run, NewTraffic([]string{path}), anchors, []string{path})
		require.Len(t, checks, 1)
		var whys []string
		for _, f := range checks[0].Findings {
			whys = append(whys, f.Why)
		}
		if first == nil {
			first = whys
			continue
		}
		require.Equal(t, first, whys)
	}
	require.Len(t, first, 4, "requests, then three unseen-response findings: %q", first)
	assert.Contains(t, first[1], "logged 45 500 responses", "the record without a method first")
	assert.Contains(t, first[2], "logged 68 500 responses")
	assert.Contains(t, first[3], "logged 3 502 responses")
}

// TestProxyCountsKilledOnce: behind nginx, a request uWSGI killed is in
// nginx's log already, as the 502 it answered for it; the requests Locust
// made are set against nginx's lines once, not with the kills on top.
func TestProxyCountsKilledOnce(t *testing.T) {
	const path = "/proyek/audit-trail/"
	tr := NewTraffic([]string{path})
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	add := func(proxy bool, status int, tag parser.Tag) {
		ev := parser.Event{Kind: parser.KindAccess, Proxy: proxy, Method: "GET", Path: path, Status: status, Tag: tag, Time: at}
		tr.Event(&ev, nil)
	}
	for range 3 {
		add(true, 200, "")
		add(false, 200, "")
	}
	for range 2 {
		add(true, 502, "")
		add(false, 0, parser.TagKilled)
	}
	run := &locust.Run{Stats: []locust.Stat{{Method: "GET", Name: path, Requests: 5, Failures: 2}}}
	checks := CheckClient(run, tr, nil, []string{path})
	require.Len(t, checks, 1)
	assert.Equal(t, map[int]int{200: 3, 502: 2, 0: 2}, checks[0].ServerByStatus)
	for _, f := range checks[0].Findings {
		assert.NotEqual(t, "requests", f.What, "5 requests each side: %s", f.Why)
	}
}

// TestRedirectedFailuresCountedOnce: a failure Locust recorded under a
// request that redirected to the login page is a GET of it, whatever the
// first request's method: it counts for GET /accounts/login/, never for
// POST too; a locustfile's own name for the URL is no redirect.
func TestRedirectedFailuresCountedOnce(t *testing.T) {
	const path = "/accounts/login/"
	tr := NewTraffic([]string{path})
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, r := range []struct {
		method string
		n      int
	}{{"GET", 6}, {"POST", 4}} {
		for range r.n {
			ev := parser.Event{Kind: parser.KindAccess, Proxy: true, Method: r.method, Path: path, Status: 504, Time: at}
			tr.Event(&ev, nil)
		}
	}
	run := &locust.Run{
		Stats: []locust.Stat{{Method: "GET", Name: path, Requests: 6, Failures: 1}, {Method: "POST", Name: path, Requests: 4, Failures: 4}},
		Failures: []locust.Failure{
			{Method: "GET", Name: path, Status: 504, URLPath: path, Occurrences: 1},
			{Method: "POST", Name: "/accounts/logout/", Status: 504, URLPath: path, Occurrences: 5},
			{Method: "POST", Name: path, Status: 504, URLPath: path, Occurrences: 4},
			{Method: "GET", Name: "login page", Status: 504, URLPath: path, Occurrences: 2},
		},
	}
	checks := CheckClient(run, tr, nil, []string{path})
	require.Len(t, checks, 2)
	for _, c := range checks {
		found := 0
		for _, f := range c.Findings {
			if f.What != "504 responses" {
				continue
			}
			found++
			assert.Equal(t, Agree, f.Kind, "%s: %s", c.Method, f.Why)
			assert.NotContains(t, f.Why, "login page")
			if c.Method == "POST" {
				assert.NotContains(t, f.Why, "redirect", f.Why)
			}
		}
		assert.Equal(t, 1, found, "%s: one finding of its 504s", c.Method)
	}
}
