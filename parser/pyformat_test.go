package parser

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompilePyFormat(t *testing.T) {
	tests := []struct {
		format  string
		line    string
		match   bool
		level   string
		msg     string
		fields  map[string]string
		utcTime string
	}{
		{"{levelname} {asctime} {module} {process:d} {thread:d} {message}",
			"ERROR 2026-11-27 00:15:05,496 log 28488 140511482451648 Internal Server Error: /accounts/login/", true,
			"ERROR", "Internal Server Error: /accounts/login/", map[string]string{"module": "log", "process": "28488", "thread": "140511482451648"}, "2026-11-27T00:15:05.496Z"},
		{"%(levelname)s %(asctime)s %(module)s %(process)d %(thread)d %(message)s",
			"ERROR 2026-11-27 00:15:05,496 log 28488 140511482451648 Internal Server Error: /accounts/login/", true,
			"ERROR", "Internal Server Error: /accounts/login/", map[string]string{"thread": "140511482451648"}, "2026-11-27T00:15:05.496Z"},
		{"%(asctime)s %(levelname)-8s %(name)s: %(message)s",
			"2026-11-27 00:15:05,496 INFO     auth_debug: method=GET", true, "INFO", "method=GET", map[string]string{"name": "auth_debug"}, ""},
		{"[%(asctime)s] %(levelname)s [%(name)s:%(lineno)d] %(message)s",
			"[2026-11-27 00:15:05,496] ERROR [django.request:224] boom: with [brackets]", true, "ERROR", "boom: with [brackets]",
			map[string]string{"name": "django.request", "lineno": "224"}, ""},
		{"%(asctime)s.%(msecs)03d %(levelname)s %(message)s",
			"2026-11-27 00:15:05.042 WARNING x", true, "WARNING", "x", nil, "2026-11-27T00:15:05.042Z"},
		{"%(created)f %(levelname)s %(threadName)s: %(message)s",
			"1795713305.250000 ERROR Thread-1 (process_request_thread): x: y", true, "ERROR", "x: y",
			map[string]string{"threadName": "Thread-1 (process_request_thread)"}, "2026-11-26T17:15:05.25Z"},
		{"{asctime} {{literal}} {levelname} {message}", "2026-11-27 00:15:05,496 {literal} ERROR m", true, "ERROR", "m", nil, ""},
		{"%(asctime)s %%(x) %(levelname)s %(message)s", "2026-11-27 00:15:05,496 %(x) INFO m", true, "INFO", "m", nil, ""},
		// continuation lines of a record do not match
		{"{levelname} {asctime} {module} {message}", "  File \"/x.py\", line 1, in f", false, "", "", nil, ""},
		{"{levelname} {asctime} {module} {message}", "Traceback (most recent call last):", false, "", "", nil, ""},
		{"{levelname} {asctime} {module} {message}", "ERROR notatime log m", false, "", "", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.format+"/"+tc.line, func(t *testing.T) {
			pf, err := CompilePyFormat(tc.format)
			require.NoError(t, err)
			var m pyMatch
			require.Equal(t, tc.match, pf.match(tc.line, &m))
			if !tc.match {
				return
			}
			assert.Equal(t, tc.level, m.level)
			assert.Equal(t, tc.msg, m.msg)
			got := map[string]string{}
			for i := 0; i < m.nfields; i++ {
				got[m.fields[i].k] = m.fields[i].v
			}
			for k, v := range tc.fields {
				assert.Equal(t, v, got[k], k)
			}
			if tc.utcTime != "" {
				at, _ := m.instant(utcClock("x"), 1)
				assert.Equal(t, tc.utcTime, at.UTC().Format(time.RFC3339Nano))
			}
		})
	}
}

func TestCompilePyFormatErrors(t *testing.T) {
	for _, f := range []string{
		"{levelname} {message}",         // Django's "simple": no time to place records
		"%(levelname)s %(message)s",     // same, %-style
		"%(asctime %(message)s",         // unclosed
		"%(asctime)q %(message)s",       // no conversion
		"{asctime {levelname} {message", // unclosed brace
	} {
		_, err := CompilePyFormat(f)
		assert.Error(t, err, f)
	}
	_, err := ParseSpec("django-simple")
	assert.ErrorContains(t, err, "cannot be placed in time")
	_, err = ParseSpec("nonsense")
	assert.ErrorContains(t, err, "unknown log format")
}

// TestInferFormat: detection alone reads the arrangements people use.
func TestInferFormat(t *testing.T) {
	tests := []struct{ line, format, msg string }{
		{"ERROR 2026-11-27 00:15:05,496 log 28488 140511482451648 Internal Server Error: /accounts/login/",
			"{levelname} {asctime} {name} {process} {thread} {message}", "Internal Server Error: /accounts/login/"},
		{"2026-11-27 00:15:02,832 INFO auth_debug: method=GET path=/accounts/login/ user=- status=200 dur_ms=11",
			"{asctime} {levelname} {name}: {message}", "method=GET path=/accounts/login/ user=- status=200 dur_ms=11"},
		{"2026-11-27 00:15:05,496 [ERROR] django.request: Internal Server Error: /accounts/login/",
			"{asctime} [{levelname}] {name}: {message}", "Internal Server Error: /accounts/login/"},
		{"[2026-11-27 00:15:05,496] ERROR [django.request:224] 28488 140511482451648 Internal Server Error: /accounts/login/",
			"[{asctime}] {levelname} [{name}:{lineno}] {process} {thread} {message}", "Internal Server Error: /accounts/login/"},
		{"2026-11-27 00:15:05,496 - django.request - ERROR - Internal Server Error: /accounts/login/",
			"{asctime} - {name} - {levelname} - {message}", "Internal Server Error: /accounts/login/"},
		{"[2026-11-26 16:26:43 +0000] [9791] [CRITICAL] WORKER TIMEOUT (pid:9793)",
			"[{asctime}] [{process}] [{levelname}] {message}", "WORKER TIMEOUT (pid:9793)"},
		{"2026-11-27 00:15:05,496 ERROR    django.request Internal Server Error: /x/",
			"{asctime} {levelname}    {name} {message}", "Internal Server Error: /x/"},
		{"[2026-11-27 00:15:05,239] vm/INFO/locust.main: Run time limit set to 90 seconds",
			"[{asctime}] {hostname}/{levelname}/{name}: {message}", "Run time limit set to 90 seconds"},
		{"2026-11-27T00:15:05.496+07:00 WARNING [auth] [worker-3] login slow",
			"{asctime} {levelname} [{name}] [{module}] {message}", "login slow"},
		{"Traceback (most recent call last):", "", ""},
		{"[27/Nov/2026 00:15:05] \"GET / HTTP/1.1\" 200 1", "", ""},
		{"2026-11-26 17:15:02.050 UTC [28431] LOG kernel file descriptor limit", "", ""},
	}
	for _, tc := range tests {
		f := inferFormat(tc.line)
		assert.Equal(t, tc.format, f, tc.line)
		if f == "" {
			continue
		}
		pf, err := CompilePyFormat(f)
		require.NoError(t, err)
		var m pyMatch
		require.True(t, pf.match(tc.line, &m), tc.line)
		assert.Equal(t, tc.msg, m.msg)
	}
}
