package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/verdict"
)

// JSON writes one JSON document (schema in docs/json.md). Chains stream out
// first, the counts after them, so the document is written as the input is
// read.
type JSON struct {
	w       *bufio.Writer
	started bool
	batch   bool
	buf     []byte    // a chain's bytes, reused
	chain   JSONChain // a chain's JSON form, its evidence's array reused
}

// NewJSON returns a JSON renderer.
func NewJSON(w io.Writer) *JSON { return &JSON{w: bufio.NewWriter(w)} }

// JSONAnchor is the anchor of a chain.
type JSONAnchor struct {
	Time         string `json:"time"`
	TimeInferred bool   `json:"time_inferred"`
	// TimeStamped: the time is the one a collector recorded for the line.
	TimeStamped bool `json:"time_stamped,omitempty"`
	// DurationMS is how long the request took, when the line says; for a
	// slow anchor, by the app's own reports (a proxy's when none says).
	DurationMS int64 `json:"duration_ms,omitempty"`
	// Proxy: a reverse proxy wrote the line.
	Proxy bool `json:"proxy,omitempty"`
	// Began is when a slow anchor's request began: the interval its
	// evidence is looked for in runs from Began for DurationMS.
	Began      string `json:"began,omitempty"`
	File       string `json:"file"`
	Generation int    `json:"generation,omitempty"`
	Line       int    `json:"line"`
	Method     string `json:"method"`
	Path       string `json:"path"`
	Status     int    `json:"status"`
	// Killed: the server killed the request before it had a response
	// (uWSGI's harakiri); Status is 0.
	Killed bool       `json:"killed,omitempty"`
	Text   string     `json:"text"`
	Fields JSONFields `json:"fields,omitempty"`
}

// JSONException is one exception of a traceback.
type JSONException struct {
	Class   string `json:"class"`
	Message string `json:"message"`
}

// JSONLink is one piece of evidence.
type JSONLink struct {
	Time         string         `json:"time"`
	TimeInferred bool           `json:"time_inferred"`
	TimeStamped  bool           `json:"time_stamped,omitempty"`
	DurationMS   int64          `json:"duration_ms,omitempty"`
	Proxy        bool           `json:"proxy,omitempty"`
	OffsetMS     int64          `json:"offset_ms"`
	File         string         `json:"file"`
	Generation   int            `json:"generation,omitempty"`
	Line         int            `json:"line"`
	EndLine      int            `json:"end_line,omitempty"`
	Kind         string         `json:"kind"`
	Role         string         `json:"role"`
	Text         string         `json:"text"`
	Why          string         `json:"why"`
	Exception    *JSONException `json:"exception,omitempty"`
	RootCause    *JSONException `json:"root_cause,omitempty"`
	Fields       JSONFields     `json:"fields,omitempty"`
}

// JSONFields are a line's named values (parser.Fields), a JSON object with
// its keys sorted, as encoding/json writes a map.
type JSONFields parser.Fields

// Get returns the value of key k, or "".
func (f JSONFields) Get(k string) string { return parser.Fields(f).Get(k) }

// MarshalJSON implements json.Marshaler.
func (f JSONFields) MarshalJSON() ([]byte, error) { return f.appendJSON(nil), nil }

// UnmarshalJSON implements json.Unmarshaler: the keys come sorted.
func (f *JSONFields) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*f = nil
	for _, k := range slices.Sorted(maps.Keys(m)) {
		*f = append(*f, parser.Field{Key: k, Value: m[k]})
	}
	return nil
}

// JSONChain is one evidence chain.
type JSONChain struct {
	Anchor     JSONAnchor     `json:"anchor"`
	Cause      string         `json:"cause"`
	Hypothesis string         `json:"hypothesis,omitempty"`
	Notes      []string       `json:"notes,omitempty"`
	Basis      string         `json:"basis"`
	Exception  *JSONException `json:"exception,omitempty"`
	RootCause  *JSONException `json:"root_cause,omitempty"`
	Evidence   []JSONLink     `json:"evidence"`
	// Split is where a slow anchor's time went.
	Split *JSONSplit `json:"split,omitempty"`
}

// JSONSplit is where a slow request's time went (correlate.Split).
type JSONSplit struct {
	TotalMS     int64 `json:"total_ms"`
	PoolWaitMS  int64 `json:"pool_wait_ms"`
	StatementMS int64 `json:"statement_ms"`
	LockWaitMS  int64 `json:"lock_wait_ms"`
	OtherMS     int64 `json:"other_ms"`
	// ProxyMS is how much longer the proxy in front saw it take.
	ProxyMS int64 `json:"proxy_ms,omitempty"`
	// PoolQueue is how many clients waited for a server connection on
	// average over the request, by PgBouncer's stats.
	PoolQueue float64 `json:"pool_queue"`
	// Statements are the fingerprints of the statements counted.
	Statements []JSONStatement `json:"statements,omitempty"`
	Text       string          `json:"text"`
}

// JSONStatement is one statement a slow request ran.
type JSONStatement struct {
	Fingerprint string `json:"fingerprint"`
	MS          int64  `json:"ms"`
	// Count is how many ran, in a latency summary.
	Count int `json:"count,omitempty"`
}

func jsonExc(e *parser.Exception) *JSONException {
	if e == nil {
		return nil
	}
	return &JSONException{Class: e.Class, Message: e.Message}
}

// ChainJSON converts a chain to its JSON form.
func ChainJSON(c *correlate.Chain) JSONChain {
	var jc JSONChain
	fillChainJSON(&jc, c)
	return jc
}

// fillChainJSON makes jc c's JSON form, its evidence in jc.Evidence's
// array: the JSON renderer reuses one for every chain, where a new one
// each was the largest allocation writing chains made.
func fillChainJSON(jc *JSONChain, c *correlate.Chain) {
	a := &c.Anchor
	evidence := jc.Evidence[:0]
	if evidence == nil {
		// Empty, never nil: no evidence is written [], not null.
		evidence = make([]JSONLink, 0, len(c.Evidence))
	}
	*jc = JSONChain{
		Anchor: JSONAnchor{Time: stamp(c.Time, a.Precision), TimeInferred: a.TimeInferred(), TimeStamped: a.Stamped, DurationMS: a.Duration.Milliseconds(),
			Proxy: a.Proxy, File: a.Source, Generation: a.Gen, Line: a.Line, Method: c.Method, Path: c.Path, Status: c.Status, Killed: a.Killed(), Text: a.Text, Fields: JSONFields(a.Fields)},
		Cause: c.Cause, Hypothesis: c.Hypothesis, Notes: c.Notes, Basis: string(c.Basis), Exception: jsonExc(c.Exc), RootCause: jsonExc(c.Root),
		Evidence: evidence,
	}
	if sp := c.Split; sp != nil {
		jc.Anchor.DurationMS, jc.Anchor.Began = c.Duration.Milliseconds(), stamp(c.Began.In(c.Time.Location()), time.Millisecond)
		js := &JSONSplit{TotalMS: sp.Total.Milliseconds(), PoolWaitMS: sp.Pool.Milliseconds(), StatementMS: sp.Statement.Milliseconds(),
			LockWaitMS: sp.Lock.Milliseconds(), OtherMS: sp.Other.Milliseconds(), ProxyMS: sp.Proxy.Milliseconds(),
			PoolQueue: math.Round(sp.PoolQueue*10) / 10, Text: sp.String()}
		for _, st := range sp.Statements {
			js.Statements = append(js.Statements, JSONStatement{Fingerprint: st.Fingerprint, MS: st.Took.Milliseconds()})
		}
		jc.Split = js
	}
	for _, l := range c.Evidence {
		ev := &l.Event
		jl := JSONLink{Time: stamp(ev.Time, ev.Precision), TimeInferred: ev.TimeInferred(), TimeStamped: ev.Stamped, DurationMS: ev.Duration.Milliseconds(),
			Proxy: ev.Proxy, OffsetMS: l.Offset.Milliseconds(),
			File: ev.Source, Generation: ev.Gen, Line: ev.Line, Kind: ev.Kind.String(), Role: string(l.Role), Text: ev.Text, Why: l.Why,
			Exception: jsonExc(ev.Exc), RootCause: jsonExc(ev.Root), Fields: JSONFields(ev.Fields)}
		if ev.EndLine > ev.Line {
			jl.EndLine = ev.EndLine
		}
		jc.Evidence = append(jc.Evidence, jl)
	}
}

// Chain implements Renderer.
func (j *JSON) Chain(c *correlate.Chain) error {
	if !j.started {
		j.w.WriteString("{\"chains\": [\n")
		j.started = true
	} else {
		j.w.WriteString(",")
	}
	// Log lines are full of <, > and &: they are kept as written.
	fillChainJSON(&j.chain, c)
	j.buf = append(j.chain.appendJSON(j.buf[:0]), '\n')
	if _, err := j.w.Write(j.buf); err != nil {
		return err
	}
	return chainWritten(j.w, j.batch)
}

// JSONSource describes one source read.
type JSONSource struct {
	File     string     `json:"file"`
	Format   string     `json:"format"`
	Envelope string     `json:"envelope,omitempty"`
	Zone     string     `json:"zone,omitempty"`
	Events   int        `json:"events"`
	Unparsed int        `json:"unparsed"`
	Gaps     [][]string `json:"gaps,omitempty"`
	// OutOfOrder counts events that came more than the 2 s slack behind
	// the newest before them in their file, OutOfOrderMS the most.
	OutOfOrder   int   `json:"out_of_order,omitempty"`
	OutOfOrderMS int64 `json:"out_of_order_ms,omitempty"`
	// Outside counts unexplained anchors whose window this log was silent over.
	Outside int    `json:"silent_over_anchors,omitempty"`
	First   string `json:"first,omitempty"`
	Last    string `json:"last,omitempty"`
}

// JSONHypothesis is one row of the hypothesis table.
type JSONHypothesis struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Status   string   `json:"status"`
	Anchors  int      `json:"anchors"`
	Lines    int      `json:"lines"`
	Example  []string `json:"example,omitempty"` // anchor, then the line that shows the cause
	Logs     []string `json:"logs"`
	Note     string   `json:"note,omitempty"`
	Meaning  string   `json:"meaning"`
	Fix      string   `json:"fix"`
	LogKinds []string `json:"shows_in"`
}

// JSONSummary is what follows the chains.
type JSONSummary struct {
	Anchors     int            `json:"anchors"`
	Verdict     string         `json:"verdict,omitempty"`
	ByCause     map[string]int `json:"by_cause"`
	Unexplained int            `json:"unexplained"`
	// LateReports counts reports that came after their request's chain
	// (its response, when it ran longer than --same-request) and joined it.
	LateReports int `json:"late_reports,omitempty"`
	// WaitMS is how long chains waited past their window for lines their
	// logs wrote out of order (out_of_order in sources).
	WaitMS     int64            `json:"wait_ms,omitempty"`
	Hypotheses []JSONHypothesis `json:"hypotheses"`
	// Uncatalogued counts unexplained anchors by their own exception class.
	Uncatalogued map[string]int `json:"uncatalogued"`
	Paths        []string       `json:"paths"`
	Statuses     []string       `json:"statuses"`
	// SlowMS is --slow: responses that took this long are anchors too.
	SlowMS int64 `json:"slow_ms,omitempty"`
	// Requests counts the responses to each anchored path, by access
	// lines (a proxy's when no app server's were read).
	Requests map[string]int `json:"requests,omitempty"`
	// Unanchored counts, by status, the 5xx responses on the anchored
	// paths whose status makes no anchor (nginx's 504s under --status 500).
	Unanchored map[string]int `json:"unanchored,omitempty"`
	BeforeMS   int64          `json:"before_ms"`
	AfterMS    int64          `json:"after_ms"`
	// Since and Until are the --since/--until range, when given.
	Since   string       `json:"since,omitempty"`
	Until   string       `json:"until,omitempty"`
	Sources []JSONSource `json:"sources"`
	Skipped []string     `json:"skipped"`
	Load    *JSONLoad    `json:"load,omitempty"`
	Pool    *JSONPool    `json:"pool,omitempty"`
	// Latency is each anchored path's latency summary (--slow).
	Latency []JSONLatency `json:"latency,omitempty"`
	Client  []JSONClient  `json:"client,omitempty"`
	Clocks  []JSONClock   `json:"clocks,omitempty"`
}

// JSONClock is the zone estimated for one source's naive times.
type JSONClock struct {
	File       string   `json:"file"`
	Applied    bool     `json:"applied"`
	Offset     string   `json:"offset"`
	Score      float64  `json:"score"`
	NextOffset string   `json:"next_offset"`
	NextScore  float64  `json:"next_score"`
	Seconds    int      `json:"active_seconds"`
	Failures   int      `json:"failures"`
	Matched    int      `json:"failures_matched"`
	Against    []string `json:"against"`
	Note       string   `json:"note,omitempty"`
	// Collector is set when the offset came from the times the collector
	// recorded for the source's lines: Agree of Compared naive times were
	// that far from them.
	Collector string `json:"collector,omitempty"`
	Agree     int    `json:"collector_agree,omitempty"`
	Compared  int    `json:"collector_compared,omitempty"`
	// CollectorTimes: the offset is of the collector's own naive times
	// (journald's short output, classic syslog), not a program's.
	CollectorTimes bool `json:"collector_times,omitempty"`
}

// JSONLoad is the anchors per Locust user count.
type JSONLoad struct {
	Levels []JSONLoadLevel `json:"levels"`
	// LowestUsers is the fewest users at which an anchor appeared, -1 none.
	LowestUsers int `json:"lowest_users_with_anchors"`
	// Outside counts anchors outside Locust's history.
	Outside int `json:"anchors_outside_history"`
}

// JSONLoadLevel is one user count.
type JSONLoadLevel struct {
	Users     int `json:"users"`
	Seconds   int `json:"seconds"`
	Responses int `json:"responses"`
	Anchors   int `json:"anchors"`
}

// JSONPool is PgBouncer's pool wait.
type JSONPool struct {
	PeakWaitMS  float64          `json:"peak_wait_ms"`
	PeakAt      string           `json:"peak_at"`
	FirstWaitAt string           `json:"first_wait_at,omitempty"`
	Samples     []JSONPoolSample `json:"samples"`
}

// JSONPoolSample is one stats line.
type JSONPoolSample struct {
	Time   string  `json:"time"`
	WaitMS float64 `json:"wait_ms"`
	XactMS float64 `json:"xact_ms"`
	Xacts  int     `json:"xacts_per_s"`
	File   string  `json:"file"`
	Line   int     `json:"line"`
}

// JSONClient is the client check of one request name.
type JSONClient struct {
	Method         string         `json:"method"`
	Path           string         `json:"path"`
	Requests       int            `json:"locust_requests"`
	Failures       int            `json:"locust_failures"`
	ServerByStatus map[string]int `json:"server_by_status"`
	Findings       []JSONFinding  `json:"findings"`
}

// JSONFinding is one comparison.
type JSONFinding struct {
	Kind   string `json:"kind"`
	What   string `json:"what"`
	Client int    `json:"client"`
	Server int    `json:"server"`
	Why    string `json:"why"`
}

// SummaryJSON converts a run's summary to its JSON form.
func SummaryJSON(r *Run) JSONSummary {
	s := JSONSummary{Anchors: r.Summary.Anchors, ByCause: r.Summary.ByCause, Unexplained: r.Hypotheses.Unexplained, LateReports: r.Summary.Late,
		WaitMS: r.Summary.Wait.Milliseconds(), Paths: r.Config.Paths, BeforeMS: r.Config.Before.Milliseconds(), AfterMS: r.Config.After.Milliseconds(),
		Sources: []JSONSource{}, Skipped: r.Skipped, Statuses: []string{}, SlowMS: r.Config.Slow.Milliseconds(), Requests: r.Requests}
	for _, sc := range r.Unanchored {
		if s.Unanchored == nil {
			s.Unanchored = map[string]int{}
		}
		s.Unanchored[strconv.Itoa(sc.Status)] = sc.Count
	}
	if s.ByCause == nil {
		s.ByCause = map[string]int{}
	}
	if !r.Config.Since.IsZero() {
		s.Since = stamp(r.Config.Since, 0)
	}
	if !r.Config.Until.IsZero() {
		s.Until = stamp(r.Config.Until, 0)
	}
	s.Verdict = Verdict(r)
	s.Hypotheses = []JSONHypothesis{}
	for _, h := range r.Hypotheses.Rows {
		jh := JSONHypothesis{ID: h.Cause.ID, Title: h.Cause.Title, Status: string(h.Status), Anchors: h.Anchors, Lines: h.Signs,
			Logs: h.Logs, Note: h.Note, Meaning: h.Cause.Meaning, Fix: h.Cause.Fix, LogKinds: h.Cause.Shows}
		if h.ExampleAnchor != "" {
			jh.Example = []string{h.ExampleAnchor, h.ExampleEvidence}
		}
		if jh.Logs == nil {
			jh.Logs = []string{}
		}
		s.Hypotheses = append(s.Hypotheses, jh)
	}
	s.Uncatalogued = r.Hypotheses.Uncatalogued
	if s.Uncatalogued == nil {
		s.Uncatalogued = map[string]int{}
	}
	if s.Skipped == nil {
		s.Skipped = []string{}
	}
	for _, st := range r.Config.Statuses {
		s.Statuses = append(s.Statuses, st.String())
	}
	if len(r.Load) > 0 {
		s.Load = &JSONLoad{LowestUsers: r.LowestLoad, Outside: r.OutsideLoad}
		for _, l := range r.Load {
			s.Load.Levels = append(s.Load.Levels, JSONLoadLevel{l.Users, l.Seconds, l.Responses, l.Anchors})
		}
	}
	s.Latency = latencyJSON(r.Latency)
	if p := r.Pressure; p != nil {
		s.Pool = &JSONPool{PeakWaitMS: ms(p.Peak.Wait), PeakAt: stamp(p.Peak.Time, time.Millisecond)}
		if p.FirstWait != nil {
			s.Pool.FirstWaitAt = stamp(p.FirstWait.Time, time.Millisecond)
		}
		for _, x := range p.Samples {
			s.Pool.Samples = append(s.Pool.Samples, JSONPoolSample{stamp(x.Time, time.Millisecond), ms(x.Wait), ms(x.Xact), x.Xacts, x.Source, x.Line})
		}
	}
	for _, c := range r.Client {
		jc := JSONClient{Method: c.Method, Path: c.Path, Requests: c.Requests, Failures: c.Failures, ServerByStatus: map[string]int{}}
		for st, n := range c.ServerByStatus {
			jc.ServerByStatus[strconv.Itoa(st)] = n
		}
		for _, f := range c.Findings {
			jc.Findings = append(jc.Findings, JSONFinding{f.Kind, f.What, f.Client, f.Server, f.Why})
		}
		s.Client = append(s.Client, jc)
	}
	for _, c := range r.Clocks {
		e := &c.Estimate
		s.Clocks = append(s.Clocks, JSONClock{File: c.File, Applied: c.Applied, Offset: verdict.ZoneName(e.Offset), Score: e.Score,
			NextOffset: verdict.ZoneName(e.NextOffset), NextScore: e.Next, Seconds: e.Seconds, Failures: e.Failures, Matched: e.Matched,
			Against: e.Against, Note: c.Note, Collector: c.Collector, Agree: c.Agree, Compared: c.Compared, CollectorTimes: c.CollectorTimes})
	}
	for _, src := range r.Sources {
		js := JSONSource{File: src.File, Format: src.Format, Envelope: src.Envelope, Zone: src.Zone, Events: src.Events, Unparsed: src.Unparsed, Outside: r.Outside[src.File],
			OutOfOrder: src.Disorder.Late, OutOfOrderMS: src.Disorder.Worst.Milliseconds()}
		for _, g := range src.Gaps {
			js.Gaps = append(js.Gaps, []string{stamp(g.From, time.Millisecond), stamp(g.To, time.Millisecond)})
		}
		if src.Events > 0 {
			js.First, js.Last = stamp(src.First, time.Millisecond), stamp(src.Last.In(src.First.Location()), time.Millisecond)
		}
		s.Sources = append(s.Sources, js)
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Finish implements Renderer: it closes the chains array and writes the
// summary fields into the same object.
func (j *JSON) Finish(r *Run) error {
	if !j.started {
		j.w.WriteString("{\"chains\": [")
	}
	j.w.WriteString("],\n")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(SummaryJSON(r)); err != nil {
		return err
	}
	b := buf.Bytes()
	// Splice the summary object's fields after "chains".
	j.w.Write(b[1:])
	return j.w.Flush()
}
