package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/parser"
)

// excerptFamilies says which kinds of log each program testdata/excerpts
// names can be read as; programs logcorr has no format for are left out.
// gunicorn's access lines are an app server's access log, and its error log
// written with a project's own logging format is a Python logging file.
var excerptFamilies = map[string][]parser.Family{
	"pgbouncer": {parser.FamilyPgBouncer}, "postgresql": {parser.FamilyPostgres},
	"gunicorn": {parser.FamilyGunicorn, parser.FamilyAccess, parser.FamilyDjango}, "uwsgi": {parser.FamilyUWSGI},
	"nginx-access": {parser.FamilyProxy, parser.FamilyAccess}, "nginx-error": {parser.FamilyProxy},
	"django": {parser.FamilyDjango}, "python-json": {parser.FamilyDjango}, "structlog": {parser.FamilyDjango},
}

// excerptGaps are excerpts with a program logcorr does not read there, and
// why.
var excerptGaps = map[string]string{
	"driver-django-request-basicconfig-traceback.log":    "logging.basicConfig's format writes no time, and no collector added one",
	"nginx-debug-via-syslog-facility-prefix.log":         "the syslog daemon wrote the host name twice",
	"zalando-pooler-pgbouncer-server-login-failed.log":   "copied from k9s's screen, inside its box-drawing border",
	"gunicorn-eks-papertrail-cri-flag.log":               "Papertrail's viewer, with a CRI flag left in",
	"netbox-db-wait-tui-border.log":                      "a wait loop's own messages, no Django record among them",
	"bitnami-pgbouncer-48264-broken-auth-boot.log":       "the Bitnami image's start-up script, before PgBouncer logs anything",
	"convoy-bitnami-pgbouncer-startup.log":               "the Bitnami image's start-up script, before PgBouncer logs anything",
	"alerta-uwsgi-nginx-debg.log":                        "supervisord's debug log wraps each program's output in its own records",
	"mobileaudit-django-logging-error-uwsgi-restart.log": "starts inside a traceback whose header is cut off",
	"lnav-compose-logs-t-web-redis.log":                  "Flask's dev server and redis-server",
	"docnow-django-db-webpack-startup-race.log":          "the db service prints initdb's progress, no PostgreSQL log line",
	"cnpg-instance-manager-postgres-json.log":            "CloudNativePG wraps PostgreSQL's lines in its own JSON: read as JSON records, not as PostgreSQL's",
	"solidblocks-rds-postgres-service-logs.log":          "PostgreSQL's one line there is indented by the service's wrapper",
	"ideascube-sigpipe-broken-pipe.log":                  "its \"django\" is uWSGI's own OSError line",
	"tira-broken-pipe-write-error.log":                   "its \"django\" is uWSGI's own OSError line",
}

// TestExcerpts reads every real excerpt users pasted into public reports
// (testdata/excerpts) as a user would, one file at a time, and expects each
// program logcorr has a format for to be read as that kind of log.
func TestExcerpts(t *testing.T) {
	metas, err := filepath.Glob("../../testdata/excerpts/*/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, metas)
	for _, meta := range metas {
		logFile := strings.TrimSuffix(meta, ".json") + ".log"
		name := filepath.Base(logFile)
		t.Run(filepath.Base(filepath.Dir(meta))+"/"+name, func(t *testing.T) {
			if why := excerptGaps[name]; why != "" {
				t.Skip(why)
			}
			var m struct {
				Programs []string `json:"programs"`
				Source   string   `json:"source"`
			}
			b, err := os.ReadFile(meta)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &m))
			var want [][]parser.Family
			for _, p := range m.Programs {
				if f, ok := excerptFamilies[p]; ok {
					want = append(want, f)
				}
			}
			if len(want) == 0 {
				t.Skip("no program logcorr reads")
			}
			code, out, errOut := runCLI(t, "", "analyze", "--tz", "UTC", "--format", "json", logFile)
			require.Equal(t, exitOK, code, "%s\n%s", m.Source, errOut)
			var doc analyzeDoc
			require.NoError(t, json.Unmarshal([]byte(out), &doc))
			got := map[parser.Family]bool{}
			for _, s := range doc.Sources {
				if spec, err := parser.ParseSpec(s.Format); err == nil {
					got[spec.Family()] = true
				}
			}
			for i, fams := range want {
				found := false
				for _, f := range fams {
					found = found || got[f]
				}
				assert.True(t, found, "%s: %s read as one of %v; read: %v", m.Source, m.Programs[i], fams, got)
			}
		})
	}
}

// TestNextUpstreamIsOneRequest: ingress-nginx tried three upstreams for one
// request (connection *569), each timing out, and answered 504 once. Its
// error lines are one report and a line of the cause, not a request each,
// and its access line, in ingress-nginx's default format, states how long
// the request took.
func TestNextUpstreamIsOneRequest(t *testing.T) {
	doc := analyzeJSON(t, "--path", "/", "--status", "5xx", "../../testdata/excerpts/nginx-error/ingress-nginx-9443-next-upstream-timeouts.log")
	require.Len(t, doc.Chains, 1)
	c := doc.Chains[0]
	assert.Equal(t, 504, c.Anchor.Status)
	assert.Equal(t, 3, c.Anchor.Line, "the access line")
	assert.Equal(t, int64(14998), c.Anchor.DurationMS, "$request_time")
	assert.Equal(t, "upstream_timeout", c.Cause)
	var lines []int
	for _, l := range c.Evidence {
		lines = append(lines, l.Line)
	}
	assert.ElementsMatch(t, []int{1, 2}, lines, "both tries' error lines")
	for _, h := range doc.Hypotheses {
		if h.ID == "upstream_timeout" {
			assert.Equal(t, 2, h.Lines)
		}
	}
}

// TestNextRequestOnAKeptConnection: Locust sends its next request on a
// connection nginx keeps alive, so nginx's error log names one connection
// with the same request line several times in uwsgi-nginx-harakiri, once
// per request: after nginx logged its answer, the connection's next
// failure is another request, and every 504 nginx answered is an anchor.
func TestNextRequestOnAKeptConnection(t *testing.T) {
	logs := "../../testdata/captures/uwsgi-nginx-harakiri/logs"
	failure := regexp.MustCompile(`\] (\d+#\d+): \*(\d+) upstream timed out .* request: "([^"]+)"`)
	seen, again := map[string]bool{}, 0
	for _, line := range strings.Split(string(readMaybeGz(t, filepath.Join(logs, "nginx_error.log"))), "\n") {
		if m := failure.FindStringSubmatch(line); m != nil && strings.Contains(m[3], " /accounts/login/ ") {
			key := m[1] + " " + m[2] + " " + m[3]
			if seen[key] {
				again++
			}
			seen[key] = true
		}
	}
	require.NotZero(t, again, "a kept-alive connection failing the same request again")
	answered := strings.Count(string(readMaybeGz(t, filepath.Join(logs, "nginx_access.log"))), "/accounts/login/ HTTP/1.1\" 504 ")
	require.NotZero(t, answered)
	doc := analyzeJSON(t, "--status", "504", logs)
	assert.Equal(t, answered, doc.Anchors)

	// Without the access log nothing lists a request's tries: each
	// failure of the login path is a request of its own.
	noAccess := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(logs, "nginx_error.log.gz"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(noAccess, "nginx_error.log.gz"), raw, 0o644))
	failures := 0
	for _, line := range strings.Split(string(readMaybeGz(t, filepath.Join(logs, "nginx_error.log"))), "\n") {
		if m := failure.FindStringSubmatch(line); m != nil && strings.Contains(m[3], " /accounts/login/ ") {
			failures++
		}
	}
	assert.Equal(t, failures, analyzeJSON(t, "--tz", "UTC", "--status", "504", noAccess).Anchors, "no access log")
}

// TestTriesThatFailedApart: the excerpt with its first try refused
// (nginx's 502) rather than timed out, and its access line's statuses
// saying so ("502, 504, 504"): still one request, the 504 nginx answered,
// with both tries' failures; before, the refusal made a 502 anchor of its
// own, a failure the client never got.
func TestTriesThatFailedApart(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/excerpts/nginx-error/ingress-nginx-9443-next-upstream-timeouts.log")
	require.NoError(t, err)
	lines := strings.SplitAfter(string(raw), "\n")
	require.GreaterOrEqual(t, len(lines), 3)
	const timedOut, refused = "upstream timed out (110: Operation timed out) while connecting to upstream", "connect() failed (111: Connection refused) while connecting to upstream"
	require.Contains(t, lines[0], timedOut)
	require.Contains(t, lines[2], " 504, 504, 504 ")
	lines[0] = strings.Replace(lines[0], timedOut, refused, 1)
	lines[2] = strings.Replace(lines[2], " 504, 504, 504 ", " 502, 504, 504 ", 1)
	file := filepath.Join(t.TempDir(), "ingress.log")
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(lines, "")), 0o644))

	doc := analyzeJSON(t, "--path", "/", "--status", "5xx", file)
	require.Len(t, doc.Chains, 1, "one request")
	c := doc.Chains[0]
	assert.Equal(t, 504, c.Anchor.Status)
	assert.Equal(t, "502, 504, 504", c.Anchor.Fields.Get("upstream_status"), "each try's status, as ingress-nginx wrote them")
	var lineNums []int
	for _, l := range c.Evidence {
		lineNums = append(lineNums, l.Line)
	}
	assert.ElementsMatch(t, []int{1, 2}, lineNums, "the refused try and the timed-out one")
}

// TestNextUpstreamAcrossFiles: the excerpt's error and access lines in
// files of their own, as nginx writes them: the access line and the last
// try's failure are of one second, and the access log is read first.
func TestNextUpstreamAcrossFiles(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/excerpts/nginx-error/ingress-nginx-9443-next-upstream-timeouts.log")
	require.NoError(t, err)
	lines := strings.SplitAfter(string(raw), "\n")
	require.GreaterOrEqual(t, len(lines), 3)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "nginx_error.log"), []byte(lines[0]+lines[1]), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "nginx_access.log"), []byte(lines[2]), 0o644))
	doc := analyzeJSON(t, "--tz", "UTC", "--path", "/", "--status", "5xx", dir)
	require.Len(t, doc.Chains, 1)
	assert.Equal(t, "nginx_access.log", filepath.Base(doc.Chains[0].Anchor.File))
	assert.Len(t, doc.Chains[0].Evidence, 2, "both tries' failures")
}
