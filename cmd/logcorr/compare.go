package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/verdict"
)

type compareCmd struct {
	matchFlags
	Expect []string `name:"expect" sep:"none" placeholder:"CHECK" help:"Check the run after: 'failure-rate<1%', 'no query_wait_timeout', 'pool-wait-peak<1s', 'anchors<=10', 'slow-p95<3s', or a cause id with a count ('redis_connection_error<5') (repeatable); exit 1 when one fails."`
	Before string   `arg:"" name:"BEFORE" predictor:"file" help:"The run before the fix: a folder of logs, a file, or files separated by commas."`
	After  string   `arg:"" name:"AFTER" predictor:"file" help:"The run after it, as BEFORE."`
}

func (compareCmd) Help() string {
	return `Analyzes two runs with the same flags, exactly as analyze would, and sets
them side by side: anchors and the failure rate of the anchored paths (per
Locust user count where its history was read), each cause's anchors before
and after with a change word (fixed, new, better, same, worse: by rate per
request on the paths, counts shown too), PgBouncer's peak pool wait, the p95
of slow anchors, and a one-line verdict.

Examples:
  logcorr compare before/ after/
  logcorr compare --expect 'failure-rate<1%' --expect 'no query_wait_timeout' before/ after/

Exit status: 0 when both runs were read (and every --expect passed); 1 when
an --expect failed; 2 on bad usage or input that could not be read.`
}

func (c *compareCmd) Run(e *env) error {
	if _, _, err := c.setup(e); err != nil {
		return err
	}
	done, err := c.redirect(e)
	if err != nil {
		return err
	}
	defer done()
	// Expectations are checked before the work, for their syntax.
	if _, err := verdict.Check(&verdict.Figures{Requests: 1, PoolWaitPeak: 0}, c.Expect); err != nil {
		return err
	}
	before, err := c.side(e, "before", c.Before)
	if err != nil {
		return err
	}
	after, err := c.side(e, "after", c.After)
	if err != nil {
		return err
	}
	cmp := &report.Compared{BeforeName: c.Before, AfterName: c.After, Paths: c.Path, Comparison: verdict.Compare(*before, *after)}
	if cmp.Expectations, err = verdict.Check(after, c.Expect); err != nil {
		return err
	}
	switch c.Format {
	case "json":
		err = report.WriteCompareJSON(e.stdout, cmp)
	case "markdown":
		err = report.WriteCompareMarkdown(e.stdout, cmp)
	case "html":
		err = report.WriteCompareHTML(e.stdout, cmp)
	default:
		err = report.WriteCompareText(e.stdout, cmp)
	}
	if err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	for _, x := range cmp.Expectations {
		if !x.Pass {
			return exitError{exitFound}
		}
	}
	return nil
}

// side runs analyze on one run, into JSON it reads back: compare's counts
// are analyze's by construction. Its notices go to stderr named by side.
func (c *compareCmd) side(e *env, name, paths string) (*verdict.Figures, error) {
	a := analyzeCmd{matchFlags: c.matchFlags, Paths: strings.Split(paths, ",")}
	a.Format, a.ExitCode, a.Output = "json", false, ""
	// Every chain, whatever the selection flags: the slow p95 is theirs.
	a.Summary, a.Top, a.Cause, a.Chains = false, 0, nil, false
	var out bytes.Buffer
	sub := &env{ctx: e.ctx, stdin: e.stdin, stdout: &out, stderr: &prefixed{w: e.stderr, prefix: "logcorr: " + name + ": "}, noColor: true, quiet: e.quiet}
	if err := a.Run(sub); err != nil {
		var ee exitError
		if !errors.As(err, &ee) || out.Len() == 0 {
			return nil, fmt.Errorf("%s (%s): %w", name, paths, err)
		}
		// What could be read is compared; the warnings said what was not.
	}
	var doc struct {
		Chains []report.JSONChain `json:"chains"`
		report.JSONSummary
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		return nil, fmt.Errorf("%s: reading analyze's output: %w", name, err)
	}
	return figures(&doc.JSONSummary, doc.Chains), nil
}

func figures(s *report.JSONSummary, chains []report.JSONChain) *verdict.Figures {
	f := &verdict.Figures{Anchors: s.Anchors, ByCause: map[string]int{}, Lines: map[string]int{}, PoolWaitPeak: -1}
	for _, n := range s.Requests {
		f.Requests += n
	}
	explained := 0
	for _, h := range s.Hypotheses {
		if h.Anchors > 0 {
			f.ByCause[h.ID] = h.Anchors
			explained += h.Anchors
		}
		f.Lines[h.ID] = h.Lines
	}
	uncatalogued := 0
	for class, n := range s.Uncatalogued {
		f.ByCause[class] += n
		uncatalogued += n
	}
	if rest := s.Anchors - explained - uncatalogued; rest > 0 {
		f.ByCause["unknown"] += rest
	}
	if s.Pool != nil {
		f.PoolWaitPeak = time.Duration(s.Pool.PeakWaitMS * float64(time.Millisecond))
	}
	var slow []int64
	for _, ch := range chains {
		if ch.Split != nil {
			slow = append(slow, ch.Anchor.DurationMS)
		}
	}
	if len(slow) > 0 {
		sort.Slice(slow, func(i, j int) bool { return slow[i] < slow[j] })
		f.SlowP95 = time.Duration(slow[(len(slow)*95+99)/100-1]) * time.Millisecond
	}
	if s.Load != nil {
		for _, l := range s.Load.Levels {
			f.Levels = append(f.Levels, verdict.LoadLevel{Users: l.Users, Seconds: l.Seconds, Responses: l.Responses, Anchors: l.Anchors})
		}
	}
	return f
}

// prefixed starts every line written with a prefix in place of
// "logcorr: ", so that each side's notices say whose they are.
type prefixed struct {
	w      io.Writer
	prefix string
}

func (p *prefixed) Write(b []byte) (int, error) {
	text := strings.TrimPrefix(string(b), "logcorr: ")
	_, err := io.WriteString(p.w, p.prefix+text)
	return len(b), err
}
