package report

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/verdict"
)

// latencyParts says where a path's slow anchors' time went, in words.
func latencyParts(p *verdict.PathLatency) string {
	parts := []string{fmt.Sprintf("~%s waiting for a server connection", correlate.Seconds(p.Pool)),
		correlate.Seconds(p.Statement) + " in statements", correlate.Seconds(p.Lock) + " on locks"}
	if p.Other > 0 {
		parts = append(parts, correlate.Seconds(p.Other)+" that no log accounts for")
	}
	return strings.Join(parts, ", ")
}

// writeLatency prints each anchored path's latency summary.
func writeLatency(w *bufio.Writer, paths []verdict.PathLatency) {
	if len(paths) == 0 {
		return
	}
	fmt.Fprintf(w, "Latency (--slow; durations from the app's own log that states most of them, else a proxy's):\n")
	for _, p := range paths {
		fmt.Fprintf(w, "  %s", p.Path)
		if p.Requests > 0 {
			fmt.Fprintf(w, ": %d requests in %s, p50 %s, p95 %s, max %s", p.Requests, p.Source,
				correlate.Seconds(p.P50), correlate.Seconds(p.P95), correlate.Seconds(p.Max))
		}
		fmt.Fprintf(w, "; %s", count(p.Slow, "slow anchor"))
		if p.ProxyTimed > 0 {
			fmt.Fprintf(w, " (%d timed by a proxy alone: no report of the app's joined to them states a duration)", p.ProxyTimed)
		}
		if p.Slow > 0 {
			fmt.Fprintf(w, ": %s", latencyParts(&p))
		}
		w.WriteByte('\n')
		for _, st := range p.Statements {
			fmt.Fprintf(w, "    %s in %s (lock waits included): %s\n", correlate.Seconds(st.Took), count(st.Count, "statement"), st.Fingerprint)
		}
	}
}

// markdownLatency writes the latency summary as a table.
func markdownLatency(w *bufio.Writer, paths []verdict.PathLatency) {
	if len(paths) == 0 {
		return
	}
	fmt.Fprintf(w, "### Latency\n\n| path | requests | p50 | p95 | max | slow | where the slow ones' time went |\n|---|---|---|---|---|---|---|\n")
	for _, p := range paths {
		where := "-"
		if p.Slow > 0 {
			where = latencyParts(&p)
		}
		if p.ProxyTimed > 0 {
			where += fmt.Sprintf(" (%d of the slow timed by a proxy alone)", p.ProxyTimed)
		}
		fmt.Fprintf(w, "| `%s` | %d | %s | %s | %s | %d | %s |\n", p.Path, p.Requests, correlate.Seconds(p.P50), correlate.Seconds(p.P95),
			correlate.Seconds(p.Max), p.Slow, where)
	}
	w.WriteString("\n")
	for _, p := range paths {
		for _, st := range p.Statements {
			fmt.Fprintf(w, "- `%s`: %s in %s: `%s`\n", p.Path, correlate.Seconds(st.Took), count(st.Count, "statement"), st.Fingerprint)
		}
	}
	w.WriteString("\n")
}

// JSONLatency is one anchored path's latency summary.
type JSONLatency struct {
	Path        string          `json:"path"`
	Source      string          `json:"source,omitempty"`
	Requests    int             `json:"requests"`
	P50MS       int64           `json:"p50_ms"`
	P95MS       int64           `json:"p95_ms"`
	MaxMS       int64           `json:"max_ms"`
	Slow        int             `json:"slow"`
	ProxyTimed  int             `json:"proxy_timed,omitempty"`
	PoolWaitMS  int64           `json:"pool_wait_ms"`
	StatementMS int64           `json:"statement_ms"`
	LockWaitMS  int64           `json:"lock_wait_ms"`
	OtherMS     int64           `json:"other_ms"`
	Statements  []JSONStatement `json:"statements"`
}

func latencyJSON(paths []verdict.PathLatency) []JSONLatency {
	var out []JSONLatency
	for _, p := range paths {
		jl := JSONLatency{Path: p.Path, Source: p.Source, Requests: p.Requests, P50MS: p.P50.Milliseconds(), P95MS: p.P95.Milliseconds(),
			MaxMS: p.Max.Milliseconds(), Slow: p.Slow, ProxyTimed: p.ProxyTimed, PoolWaitMS: p.Pool.Milliseconds(), StatementMS: p.Statement.Milliseconds(),
			LockWaitMS: p.Lock.Milliseconds(), OtherMS: p.Other.Milliseconds(), Statements: []JSONStatement{}}
		for _, st := range p.Statements {
			jl.Statements = append(jl.Statements, JSONStatement{Fingerprint: st.Fingerprint, MS: st.Took.Milliseconds(), Count: st.Count})
		}
		out = append(out, jl)
	}
	return out
}
