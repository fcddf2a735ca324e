package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/testdata/shapes"
)

// TestShapes reads the shipped capture as production keeps it (wrapped by
// docker, compose, Kubernetes, journald, syslog, Heroku, or several
// programs in one stream, as testdata/shapes makes them) with no flag but
// the zone, and expects the chains of the bare files: the same anchors,
// causes and evidence lines, wherever the shape put those lines.
func TestShapes(t *testing.T) {
	const logs = "../../testdata/login-storm-psycopg2/logs"
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	bare := analyzeJSON(t, "--tz", "Asia/Jakarta", logs)
	identity := func(file string, line int) (shapes.Pos, bool) {
		return shapes.Pos{File: filepath.Base(file), Line: line}, true
	}
	want := shapeKeys(t, bare.Chains, identity, false)
	require.Len(t, want, 388)
	wantCoarse := shapeKeys(t, bare.Chains, identity, true)

	for _, shape := range shapes.All() {
		t.Run(shape.Name, func(t *testing.T) {
			dir := t.TempDir()
			m, err := shape.Make(logs, dir, jakarta)
			require.NoError(t, err)
			back := map[shapes.Pos]shapes.Pos{}
			for from, to := range m {
				back[to] = from
			}
			doc := analyzeJSON(t, "--tz", "Asia/Jakarta", dir)
			assert.Equal(t, bare.ByCause, doc.ByCause, "anchors by cause")
			got := shapeKeys(t, doc.Chains, func(file string, line int) (shapes.Pos, bool) {
				f, _ := parser.SplitLabel(file)
				p, ok := back[shapes.Pos{File: filepath.Base(f), Line: line}]
				return p, ok
			}, shape.Coarse)
			want := want
			if shape.Coarse {
				want = wantCoarse
			}
			missing, extra := diffKeys(want, got)
			assert.Empty(t, missing, "chains of the bare files not found")
			assert.Empty(t, extra, "chains the bare files do not give")
			for _, s := range doc.Sources {
				if strings.HasPrefix(s.Format, "locust") {
					continue
				}
				assert.Zero(t, s.Unparsed, "%s (%s): every line read", s.File, s.Format)
			}
		})
	}
}

// shapeKeys describes chains by the capture's own lines: anchor, cause and
// evidence, each line mapped back to where it was in the capture. coarse
// describes cause lines by what they say and their second, not their line.
func shapeKeys(t *testing.T, chains []report.JSONChain, orig func(file string, line int) (shapes.Pos, bool), coarse bool) []string {
	t.Helper()
	name := func(file string, line int) string {
		p, ok := orig(file, line)
		if !assert.True(t, ok, "%s:%d is no line of the capture", file, line) {
			return fmt.Sprintf("?%s:%d", file, line)
		}
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	var keys []string
	for _, c := range chains {
		var ev []string
		for _, l := range c.Evidence {
			if coarse && l.Role == "cause" {
				ev = append(ev, "cause "+pgbouncerSays.FindString(l.Text))
				continue
			}
			ev = append(ev, l.Role+" "+name(l.File, l.Line))
		}
		sort.Strings(ev)
		keys = append(keys, fmt.Sprintf("%s %s: %s", name(c.Anchor.File, c.Anchor.Line), c.Cause, strings.Join(ev, ", ")))
	}
	sort.Strings(keys)
	return keys
}

// pgbouncerSays is what a PgBouncer line says, without its connection.
var pgbouncerSays = regexp.MustCompile(`closing because: [a-z_ ]+|pooler error: .*$`)

// diffKeys lists what only a has and what only b has.
func diffKeys(a, b []string) (onlyA, onlyB []string) {
	count := map[string]int{}
	for _, k := range a {
		count[k]++
	}
	for _, k := range b {
		count[k]--
	}
	for k, n := range count {
		for ; n > 0; n-- {
			onlyA = append(onlyA, k)
		}
		for ; n < 0; n++ {
			onlyB = append(onlyB, k)
		}
	}
	sort.Strings(onlyA)
	sort.Strings(onlyB)
	return onlyA, onlyB
}
