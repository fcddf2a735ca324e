package source

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/parser"
)

// Reading a saved file skims a traceback's frames (Stream hands runs of
// them to the parser whole, parser.Skimmer); following one feeds every
// line. Both must give the same events, line numbers and record ends
// included, on every shape of error log the captures hold and on lines
// made to sit on the edge of what a frame is.
func TestSkimmingChangesNoEvent(t *testing.T) {
	edges := strings.Join([]string{
		"ERROR 2026-11-27 00:15:05,496 log 1 2 Internal Server Error: /x/",
		"Traceback (most recent call last):",
		`  File "/a.py", line 1, in f`,
		"    if x:",
		"  File \"/b.py\", line 2, in g\r",
		"    \x1b[31mcoloured\x1b[0m",
		"\t tabbed",
		"    ",
		"  | Exception Group Traceback (most recent call last):",
		"  |   File \"/c.py\", line 3, in h",
		"  | ValueError: boom",
		"  +------------------------------------",
		"ValueError: first",
		"    continued message line",
		"",
		"During handling of the above exception, another exception occurred:",
		"",
		"Traceback (most recent call last):",
		`  File "/d.py", line 4, in k`,
		"    raise X  \u00a0",
		"    Traceback (most recent call last):",
		"KeyError: 'q'",
		"ERROR 2026-11-27 00:15:06,000 log 1 2 Internal Server Error: /y/",
		"Traceback (most recent call last):",
		`  File "/e.py", line 5, in m`,
		"psycopg2.OperationalError: query_wait_timeout",
		"",
		"ERROR 2026-11-27 00:15:07,000 log 1 2 Internal Server Error: /z/",
		"Traceback (most recent call last):",
		`  File "/f.py", line 6, in cut_short`,
		"    the record ends among its frames",
	}, "\n") + "\n"
	runserver := strings.Join([]string{
		"Internal Server Error: /accounts/login/",
		"Traceback (most recent call last):",
		`  File "/a.py", line 1, in f`,
		"    return g()",
		"django.db.utils.OperationalError: query_wait_timeout",
		`[27/Nov/2026 00:15:05] "POST /accounts/login/ HTTP/1.1" 500 145`,
		"Internal Server Error: /dashboard/",
		"Traceback (most recent call last):",
		`  File "/b.py", line 2, in h`,
		"    cut short",
		`[27/Nov/2026 00:15:06] "GET /dashboard/ HTTP/1.1" 500 145`,
	}, "\n") + "\n"
	dir := t.TempDir()
	edgeFile := filepath.Join(dir, "django_errors.log")
	// Past the lines read to choose the format, which are fed one by one.
	require.NoError(t, os.WriteFile(edgeFile, []byte(strings.Repeat(edges, 200)), 0o644))
	runserverFile := filepath.Join(dir, "runserver.err.log")
	require.NoError(t, os.WriteFile(runserverFile, []byte(strings.Repeat(runserver, 300)), 0o644))
	files := []string{edgeFile, runserverFile}
	for _, pattern := range []string{
		"../testdata/login-storm-psycopg2/logs/*.log",
		"../testdata/captures/*/logs/*err*.log.gz",
		"../testdata/captures/*/logs/uwsgi.log.gz",
	} {
		m, err := filepath.Glob(pattern)
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.Greater(t, len(files), 10)
	skimmedAny := false
	for _, path := range files {
		t.Run(path, func(t *testing.T) {
			in := Input{Name: path, Path: path}
			opts := &Options{Loc: time.UTC}
			s, err := Open(in, opts)
			if errors.Is(err, ErrEmpty) {
				return
			}
			require.NoError(t, err)
			defer s.Close()
			sample := s.Head()
			var skimmed []parser.Event
			for {
				ev, err := s.Next()
				if err != nil {
					require.ErrorIs(t, err, io.EOF)
					break
				}
				skimmed = append(skimmed, *ev)
			}
			skimmedAny = skimmedAny || s.lines.skimmed > 0
			if path == edgeFile || path == runserverFile {
				assert.Positive(t, s.lines.skimmed, "the edge file's plain frames")
			}

			// The same file, every line fed as a follower feeds it.
			f, err := OpenFile(path)
			require.NoError(t, err)
			defer f.Close()
			var fed []parser.Event
			lr := NewLineReader(f)
			split, err := NewSplitter(in.Name, sample, opts, s.ModTime, func(ev parser.Event) { fed = append(fed, ev) })
			require.NoError(t, err)
			for {
				line, err := lr.Next()
				if err != nil {
					break
				}
				split.Feed(parser.Line{Num: lr.Line(), Text: line})
			}
			split.Flush()
			require.NotEmpty(t, fed)
			assert.Equal(t, fed, skimmed)
		})
	}
	assert.True(t, skimmedAny, "no file was skimmed: the test compares nothing")
}

func TestSkimmable(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{`  File "/a.py", line 1, in f`, true},
		{"    return self._connect()", true},
		{"           ^^^^^^^^^^^^^", true},
		{"\tat frame", true},
		{"", false},
		{"ValueError: x", false},
		{"    if x:", false},
		{"    if x:  \r", false},
		{"  | Exception Group Traceback (most recent call last):", false},
		{"    \x1b[31mred\x1b[0m", false},
		{"    no-break space\u00a0", false},
		{"   ", true},
		{"  x:  y", true},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, parser.Skimmable(tc.line), "%q", tc.line)
		assert.Equal(t, tc.want, parser.SkimmableBytes([]byte(tc.line)), "%q as bytes", tc.line)
	}
}
