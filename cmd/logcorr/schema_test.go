package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// schemaFor compiles one definition of docs/logcorr.schema.json, with
// formats (date-time) asserted.
func schemaFor(t *testing.T, def string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	abs, err := filepath.Abs("../../docs/logcorr.schema.json")
	require.NoError(t, err)
	s, err := c.Compile(abs + "#/$defs/" + def)
	require.NoError(t, err)
	return s
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	return v
}

// TestJSONMatchesSchema validates real output against the published schema:
// with and without failures, Locust, estimated clocks and a time range. The
// schema forbids fields it does not name, so a field added to the output
// and not to docs fails here.
func TestJSONMatchesSchema(t *testing.T) {
	doc := schemaFor(t, "document")
	cases := []struct {
		name string
		args []string
	}{
		{"shipped capture", []string{"--tz", "Asia/Jakarta", "testdata/login-storm-psycopg2/logs"}},
		{"clocks estimated", []string{"testdata/login-storm-psycopg2/logs"}},
		{"a time range", []string{"--tz", "Asia/Jakarta", "--since", "2026-11-27 00:16", "--until", "2026-11-27 00:16:30", "testdata/login-storm-psycopg2/logs"}},
		{"no failures", []string{"--tz", "Asia/Jakarta", "testdata/captures/no-failures/logs"}},
		{"psycopg3 fixture", []string{"--tz", "Asia/Jakarta", "testdata/fixtures/psycopg3"}},
		{"nginx in front of gunicorn", []string{"--tz", "Asia/Jakarta", "testdata/captures/gunicorn-nginx-pool/logs"}},
		{"requests over a minute, late responses", []string{"--tz", "Asia/Jakarta", "testdata/captures/debug-off-long/logs"}},
		{"uWSGI and JSON logging", []string{"--tz", "Asia/Jakarta", "testdata/captures/uwsgi-json-pool/logs"}},
		{"slow anchors behind nginx", []string{"--slow", "3s", "--status", "none", "--path", "/proyek/rekap-rab/", "--path", "/proyek/audit-trail/", "testdata/captures/reports-gunicorn-nginx/logs"}},
		{"requests uWSGI killed", []string{"--status", "5xx", "--path", "/proyek/audit-trail/", "testdata/captures/uwsgi-harakiri/logs"}},
		{"nginx's 502s and 504s not anchored", []string{"testdata/captures/runserver-nginx-json/logs"}},
	}
	t.Chdir("../..")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "", append([]string{"analyze", "--format", "json"}, c.args...)...)
			require.Equal(t, exitOK, code, errOut)
			assert.NoError(t, doc.Validate(decodeJSON(t, []byte(out))))
		})
	}
	for _, c := range []struct {
		shape string
		args  []string
		want  string
	}{
		{"compose-t", []string{"--tz", "Asia/Jakarta"}, `"docker compose logs"`},
		{"compose-t", nil, `"collector_agree"`},
		{"journald-short", nil, `"collector_times"`},
	} {
		t.Run(fmt.Sprintf("shape %s %v", c.shape, c.args), func(t *testing.T) {
			dir := shapedCapture(t, namedShape(t, c.shape))
			args := append(append([]string{"analyze", "--format", "json"}, c.args...), dir)
			code, out, errOut := runCLI(t, "", args...)
			require.Equal(t, exitOK, code, errOut)
			assert.Contains(t, out, c.want)
			assert.NoError(t, doc.Validate(decodeJSON(t, []byte(out))))
		})
	}
}

// TestSchemaRejects: the schema is strict enough to catch drift.
func TestSchemaRejects(t *testing.T) {
	doc := schemaFor(t, "document")
	_, out, _ := runCLI(t, "", "analyze", "--format", "json", "--tz", "Asia/Jakarta", "../../testdata/login-storm-psycopg2/logs")
	for _, mutate := range []struct {
		name string
		edit func(m map[string]any)
	}{
		{"an unknown top-level field", func(m map[string]any) { m["bogus"] = 1 }},
		{"an unknown chain field", func(m map[string]any) { m["chains"].([]any)[0].(map[string]any)["bogus"] = 1 }},
		{"a time that is no time", func(m map[string]any) {
			m["chains"].([]any)[0].(map[string]any)["anchor"].(map[string]any)["time"] = "27/Nov/2026 00:15:05"
		}},
		{"a missing count", func(m map[string]any) { delete(m, "anchors") }},
	} {
		t.Run(mutate.name, func(t *testing.T) {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(out), &m))
			mutate.edit(m)
			b, err := json.Marshal(m)
			require.NoError(t, err)
			assert.Error(t, doc.Validate(decodeJSON(t, b)))
		})
	}
}

// TestNDJSONMatchesSchema validates every line tail writes.
func TestNDJSONMatchesSchema(t *testing.T) {
	line := schemaFor(t, "ndjson_line")
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := run(ctx, []string{"tail", "--tz", "Asia/Jakarta", "--format", "json", "--from-start", "--duration", "1s", "../../testdata/login-storm-psycopg2/logs"},
		strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<24)
	n := 0
	for sc.Scan() {
		n++
		require.NoError(t, line.Validate(decodeJSON(t, sc.Bytes())), "line %d", n)
	}
	assert.Equal(t, 389, n, "388 chains and the summary")
}
