package correlate

import (
	"fmt"

	"github.com/logcorr/logcorr/parser"
	"strconv"
	"strings"
	"time"
)

// Defaults, chosen from the captures in testdata (docs/correlation.md has the
// measurements): a login 500's error record is logged up to 13 s after the
// PgBouncer query_wait_timeout line of its own request (2–18 s in other
// runs), and the reports of one request are up to ~6 s apart with DEBUG on
// but up to 38 s apart with DEBUG off, where Django's mail_admins handler
// delays the response after the error record has been timed.
const (
	DefaultBefore      = 20 * time.Second
	DefaultAfter       = 5 * time.Second
	DefaultSameRequest = 60 * time.Second
	DefaultSlack       = 2 * time.Second
)

// StatusRange is an inclusive range of HTTP statuses.
type StatusRange struct{ Lo, Hi int }

// ParseStatus reads "500", "5xx" or "500-504".
func ParseStatus(s string) (StatusRange, error) {
	s = strings.TrimSpace(s)
	if len(s) == 3 && strings.HasSuffix(strings.ToLower(s), "xx") && s[0] >= '1' && s[0] <= '9' {
		lo := int(s[0]-'0') * 100
		return StatusRange{lo, lo + 99}, nil
	}
	if a, b, ok := strings.Cut(s, "-"); ok {
		lo, err1 := strconv.Atoi(a)
		hi, err2 := strconv.Atoi(b)
		if err1 == nil && err2 == nil && lo >= 100 && hi <= 999 && lo <= hi {
			return StatusRange{lo, hi}, nil
		}
	} else if n, err := strconv.Atoi(s); err == nil && n >= 100 && n <= 999 {
		return StatusRange{n, n}, nil
	}
	return StatusRange{}, fmt.Errorf("status %q: want a code (500), a class (5xx) or a range (500-504)", s)
}

func (r StatusRange) String() string {
	switch {
	case r.Lo == r.Hi:
		return strconv.Itoa(r.Lo)
	case r.Lo%100 == 0 && r.Hi == r.Lo+99:
		return fmt.Sprintf("%dxx", r.Lo/100)
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// Config says which responses are anchors and how wide their windows are.
type Config struct {
	Paths    []string
	Statuses []StatusRange
	Methods  []string // empty: any
	// Before and After bound the window around an anchor's time in which
	// evidence of its cause is looked for.
	Before, After time.Duration
	// SameRequest is how far apart the reports of one request (error
	// record, auth line, access line) may be.
	SameRequest time.Duration
	// Causes is the catalogue, Builtin when nil.
	Causes Catalogue
	// Since and Until restrict anchors to [Since, Until); zero is
	// unbounded. Evidence is still looked for around them, beyond the
	// bounds, and anchors outside still claim theirs, so that a chain in
	// the range is the chain an unrestricted run gives.
	Since, Until time.Time
	// Slow, when positive, also makes anchors of responses on Paths that
	// took at least that long, as a log that states durations says
	// (whatever their status); their chains explain the time.
	Slow time.Duration
}

// InRange reports whether an anchor time lies in [Since, Until).
func (c *Config) InRange(t time.Time) bool {
	return (c.Since.IsZero() || !t.Before(c.Since)) && (c.Until.IsZero() || t.Before(c.Until))
}

// reaches reports whether a cause event can lie in the window of an anchor
// in range: the windows reach Before ahead of Since and After past Until.
func (c *Config) reaches(t time.Time) bool {
	return (c.Since.IsZero() || !t.Before(c.Since.Add(-c.Before))) && (c.Until.IsZero() || t.Before(c.Until.Add(c.After)))
}

// DefaultConfig anchors on 500s of POST-or-any /accounts/login/.
func DefaultConfig() Config {
	return Config{
		Paths:       []string{"/accounts/login/"},
		Statuses:    []StatusRange{{500, 500}},
		Before:      DefaultBefore,
		After:       DefaultAfter,
		SameRequest: DefaultSameRequest,
		Causes:      Builtin,
	}
}

func (c *Config) wantsResponse(ev *parser.Event) bool {
	method, path, status := ev.Method, ev.Path, ev.Status
	if !c.onPath(path) {
		return false
	}
	// With Slow, every request that states its duration is assembled: one
	// log's report can be slow while another's is not (a proxy's includes
	// the time the request queued for a worker), and which is the
	// request's own time is known only once its reports are in.
	if !c.WantsStatus(status) && !(ev.Killed() && c.wantsKilled()) && (c.Slow <= 0 || (ev.Duration <= 0 && !proxyGaveUp(ev))) {
		return false
	}
	if len(c.Methods) == 0 || method == "" {
		return true
	}
	for _, m := range c.Methods {
		if strings.EqualFold(m, method) {
			return true
		}
	}
	return false
}

// proxyGaveUp: the proxy's own report of a request it answered itself
// (nginx's "upstream timed out … request: …" line): with Slow, it is a
// report of a slow request whose access line states the time.
func proxyGaveUp(ev *parser.Event) bool {
	return ev.Proxy && ev.Kind == parser.KindRequestLog
}

// onPath reports whether a path is one anchors are taken on.
func (c *Config) onPath(path string) bool {
	for _, p := range c.Paths {
		if p == path {
			return true
		}
	}
	return false
}

// WantsStatus reports whether a status makes an anchor by itself.
func (c *Config) WantsStatus(status int) bool {
	for _, r := range c.Statuses {
		if status >= r.Lo && status <= r.Hi {
			return true
		}
	}
	return false
}

// wantsKilled reports whether requests the server killed before they had
// a response (uWSGI's harakiri) are anchors: when any 5xx is, since such
// a request failed on the server's side, and its client saw no answer or
// its proxy's 502.
func (c *Config) wantsKilled() bool {
	for _, r := range c.Statuses {
		if r.Lo <= 599 && r.Hi >= 500 {
			return true
		}
	}
	return false
}

// isSlow reports whether a request that took d is slow enough to be an
// anchor.
func (c *Config) isSlow(d time.Duration) bool { return c.Slow > 0 && d >= c.Slow }
