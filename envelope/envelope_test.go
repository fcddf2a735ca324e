package envelope

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/parser"
)

func unwrapAll(t *testing.T, k *Kind, lines []string) ([]Record, int) {
	t.Helper()
	var out []Record
	u := k.Open(parser.NewClock("t", time.UTC, nil))
	bad := 0
	for i, l := range lines {
		if !u.Unwrap(i+1, l, func(r Record) { out = append(out, r) }) {
			bad++
		}
	}
	u.Flush(func(r Record) { out = append(out, r) })
	return out, bad
}

// TestKindsExamples: each envelope's example is detected as that envelope,
// and unwraps into one record whose line a program wrote.
func TestKindsExamples(t *testing.T) {
	for _, k := range Kinds() {
		t.Run(k.Name, func(t *testing.T) {
			sample := []string{k.Example, k.Example, k.Example}
			if k == journalExportKind {
				sample = []string{k.Example, "MESSAGE=x", ""}
			}
			got := Detect(sample)
			require.NotNil(t, got)
			assert.Equal(t, k.Name, got.Name)
		})
	}
}

func TestUnwrap(t *testing.T) {
	var binMsg [8]byte
	binary.LittleEndian.PutUint64(binMsg[:], uint64(len("a\tb\nc")))
	tests := []struct {
		name  string
		kind  *Kind
		lines []string
		want  []Record
	}{
		{"kubectl --prefix, with and without --timestamps", kubectlPrefixKind, []string{
			"[pod/web-7d9c6b6f5-x2x4k/web] 2026-11-26T17:15:09.716803412Z hello",
			"[pod/echo-req-7cfd7bf68f-nk5kr/hello] 172.17.0.1 - - [22/Nov/2020:17:19:05 +0000] \"GET /test HTTP/1.1\" 200 7269",
			"[pod/db-0/postgres]"},
			[]Record{{Num: 1, Text: "hello", Label: "web-7d9c6b6f5-x2x4k/web", Stamp: time.Date(2026, 11, 26, 17, 15, 9, 716803412, time.UTC), Precision: time.Nanosecond},
				{Num: 2, Text: "172.17.0.1 - - [22/Nov/2020:17:19:05 +0000] \"GET /test HTTP/1.1\" 200 7269", Label: "echo-req-7cfd7bf68f-nk5kr/hello"},
				{Num: 3, Text: "", Label: "db-0/postgres"}}},
		{"docker -t", dockerTKind, []string{"2026-11-26T17:15:09.716803412Z hello", "2026-11-26T17:15:09.7Z "},
			[]Record{{Num: 1, Text: "hello", Stamp: time.Date(2026, 11, 26, 17, 15, 9, 716803412, time.UTC), Precision: time.Nanosecond},
				{Num: 2, Text: "", Stamp: time.Date(2026, 11, 26, 17, 15, 9, 700000000, time.UTC), Precision: 100 * time.Millisecond}}},
		{"CRI pieces per stream", criKind, []string{
			"2026-11-26T17:15:09.000000001Z stderr P first ",
			"2026-11-26T17:15:09.000000002Z stdout F other",
			"2026-11-26T17:15:09.000000003Z stderr F half",
			"2026-11-26T17:15:09.000000004Z stderr F"},
			[]Record{{Num: 2, Text: "other", Stamp: time.Date(2026, 11, 26, 17, 15, 9, 2, time.UTC), Precision: time.Nanosecond},
				{Num: 1, Text: "first half", Stamp: time.Date(2026, 11, 26, 17, 15, 9, 1, time.UTC), Precision: time.Nanosecond},
				{Num: 4, Text: "", Stamp: time.Date(2026, 11, 26, 17, 15, 9, 4, time.UTC), Precision: time.Nanosecond}}},
		{"compose, padded and -t", composeKind, []string{
			"web-1        | [27/Nov/2026 00:15:05] \"GET / HTTP/1.1\" 200 1",
			"pgbouncer-1  | 2026-11-26T17:15:09.716803412Z 2026-11-26 17:15:09.716 UTC [1] LOG x",
			"web-1        |",
			"3f198f0d4c79_g3wsuitedocker_postgis_1 | Setup master database"},
			[]Record{{Num: 1, Label: "web-1", Text: "[27/Nov/2026 00:15:05] \"GET / HTTP/1.1\" 200 1"},
				{Num: 2, Label: "pgbouncer-1", Text: "2026-11-26 17:15:09.716 UTC [1] LOG x", Stamp: time.Date(2026, 11, 26, 17, 15, 9, 716803412, time.UTC), Precision: time.Nanosecond},
				{Num: 3, Label: "web-1"},
				{Num: 4, Label: "3f198f0d4c79_g3wsuitedocker_postgis_1", Text: "Setup master database"}}},
		{"docker json-file, a line in pieces", dockerJSONKind, []string{
			`{"log":"first ","stream":"stderr","time":"2026-11-26T17:15:09.1Z"}`,
			`{"log":"half\n","stream":"stderr","time":"2026-11-26T17:15:09.2Z"}`,
			`{"log":"Traceback\r\n","stream":"stderr","time":"2026-11-26T17:15:09.3Z"}`},
			[]Record{{Num: 1, Text: "first half", Stamp: time.Date(2026, 11, 26, 17, 15, 9, 100000000, time.UTC), Precision: 100 * time.Millisecond},
				{Num: 3, Text: "Traceback", Stamp: time.Date(2026, 11, 26, 17, 15, 9, 300000000, time.UTC), Precision: 100 * time.Millisecond}}},
		{"docker json-file, other escapes before the newline", dockerJSONKind, []string{
			`{"log":"GET \"/\" 200\n","stream":"stderr","time":"2026-11-26T17:15:09.1Z"}`,
			`{"log":"a\n\n","stream":"stderr","time":"2026-11-26T17:15:09.2Z"}`},
			[]Record{{Num: 1, Text: `GET "/" 200`, Stamp: time.Date(2026, 11, 26, 17, 15, 9, 100000000, time.UTC), Precision: 100 * time.Millisecond},
				{Num: 2, Text: "a\n", Stamp: time.Date(2026, 11, 26, 17, 15, 9, 200000000, time.UTC), Precision: 100 * time.Millisecond}}},
		{"syslog, no pid, single-digit day", syslogKind, []string{
			"Nov  6 16:20:54 db1 pgbouncer[6251]: C-0x5: a/b@1.2.3.4:5 login attempt: db=a",
			"Sep 30 19:50:31 betagw0 pdb_django: DAMN ! worker 19 (pid: 530) died",
			"May 19 13:14:38.123456 h uwsgi[7]: x"},
			[]Record{{Num: 1, Label: "pgbouncer", Host: "db1", PID: "6251", Text: "C-0x5: a/b@1.2.3.4:5 login attempt: db=a",
				Stamp: time.Date(time.Now().Year()-btoi(time.Now().Month() < time.November), 11, 6, 16, 20, 54, 0, time.UTC), Precision: time.Second, Naive: true},
				{Num: 2, Label: "pdb_django", Host: "betagw0", Text: "DAMN ! worker 19 (pid: 530) died",
					Stamp: time.Date(time.Now().Year()-btoi(time.Now().Month() < time.September), 9, 30, 19, 50, 31, 0, time.UTC), Precision: time.Second, Naive: true},
				{Num: 3, Label: "uwsgi", Host: "h", PID: "7", Text: "x",
					Stamp: time.Date(time.Now().Year()-btoi(time.Now().Month() < time.May), 5, 19, 13, 14, 38, 123456000, time.UTC), Precision: time.Microsecond, Naive: true}}},
		{"journalctl -o short-iso", isoSyslogKind, []string{"2020-05-25T10:24:07+0000 server postgres[11106]: [43992-6] x"},
			[]Record{{Num: 1, Label: "postgres", Host: "server", PID: "11106", Text: "[43992-6] x", Stamp: time.Date(2020, 5, 25, 10, 24, 7, 0, time.UTC), Precision: time.Second}}},
		{"heroku", herokuKind, []string{"2012-07-13T19:59:27+00:00 heroku[router]: Error H12 (Request timeout) -> GET x/ dyno=web.1"},
			[]Record{{Num: 1, Label: "heroku[router]", Text: "Error H12 (Request timeout) -> GET x/ dyno=web.1", Stamp: time.Date(2012, 7, 13, 19, 59, 27, 0, time.UTC), Precision: time.Second}}},
		{"RFC 5424 with structured data, octet counted", rfc5424Kind, []string{
			`<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="App]lication"] An application event`,
			`83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up`},
			[]Record{{Num: 1, Host: "mymachine", Label: "evntslog", Text: "An application event", Stamp: time.Date(2003, 10, 11, 22, 14, 15, 3000000, time.UTC), Precision: time.Millisecond},
				{Num: 2, Host: "host", Label: "app", PID: "web.3", Text: "State changed from starting to up", Stamp: time.Date(2012, 11, 30, 6, 45, 29, 0, time.UTC), Precision: time.Second}}},
		{"journal json", journalJSONKind, []string{
			`{"__REALTIME_TIMESTAMP":"1795713309716803","SYSLOG_IDENTIFIER":"pgbouncer","_PID":"7","MESSAGE":"hi"}`,
			`{"__REALTIME_TIMESTAMP":"1795713309716804","CONTAINER_NAME":"web","_COMM":"python3","MESSAGE":[104,105,255]}`},
			[]Record{{Num: 1, Label: "pgbouncer", PID: "7", Text: "hi", Stamp: time.UnixMicro(1795713309716803).UTC(), Precision: time.Microsecond},
				{Num: 2, Label: "web", Text: "hi\xff", Stamp: time.UnixMicro(1795713309716804).UTC(), Precision: time.Microsecond}}},
		{"journal export, a binary MESSAGE holding a newline", journalExportKind, []string{
			"__REALTIME_TIMESTAMP=1795713309716803", "SYSLOG_IDENTIFIER=a", "MESSAGE=one", "",
			"__REALTIME_TIMESTAMP=1795713309716804", "SYSLOG_IDENTIFIER=b", "MESSAGE", string(binMsg[:]) + "a\tb", "c", "_PID=9", ""},
			[]Record{{Num: 1, Label: "a", Text: "one", Stamp: time.UnixMicro(1795713309716803).UTC(), Precision: time.Microsecond},
				{Num: 5, Label: "b", PID: "9", Text: "a\tb\nc", Stamp: time.UnixMicro(1795713309716804).UTC(), Precision: time.Microsecond}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, bad := unwrapAll(t, tc.kind, tc.lines)
			assert.Zero(t, bad)
			require.Len(t, got, len(tc.want))
			for i := range got {
				assert.True(t, tc.want[i].Stamp.Equal(got[i].Stamp), "record %d: stamp %s, want %s", i, got[i].Stamp, tc.want[i].Stamp)
				got[i].Stamp, tc.want[i].Stamp = time.Time{}, time.Time{}
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestBareLinesHaveNoEnvelope: the capture's own files are no collector's.
func TestBareLinesHaveNoEnvelope(t *testing.T) {
	for _, name := range []string{"runserver_8000.err.log", "pgbouncer.log", "postgresql.log", "auth_debug.log", "django_errors.log"} {
		b, err := os.ReadFile(filepath.Join("../testdata/login-storm-psycopg2/logs", name))
		require.NoError(t, err)
		lines := strings.Split(string(b), "\n")
		assert.Nil(t, Detect(lines[:min(len(lines), 2000)]), name)
	}
}

// excerptEnvelopes maps the names testdata/excerpts gives envelopes to
// logcorr's; nil where the excerpt's envelope is none logcorr unwraps.
var excerptEnvelopes = map[string]*Kind{
	"docker-t": dockerTKind, "compose": composeKind, "compose-t": composeKind, "swarm": composeKind,
	"cri": criKind, "journald-short": syslogKind, "syslog-3164": syslogKind, "journald-iso": isoSyslogKind,
	"rsyslog-iso": isoSyslogKind, "heroku": herokuKind, "docker-desktop": desktopKind, "grafana": grafanaKind,
}

// unsupported are excerpts whose envelope logcorr does not unwrap, and why.
var unsupported = map[string]string{
	"nginx-debug-via-syslog-facility-prefix.log": "the syslog daemon wrote the host name twice",
}

// TestExcerpts: real excerpts from public reports (testdata/excerpts) are
// unwrapped as the envelope they were pasted from, every line of them.
func TestExcerpts(t *testing.T) {
	metas, err := filepath.Glob("../testdata/excerpts/*/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, metas)
	for _, meta := range metas {
		var m struct {
			Envelope string `json:"envelope"`
			Source   string `json:"source"`
		}
		b, err := os.ReadFile(meta)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &m))
		logFile := strings.TrimSuffix(meta, ".json") + ".log"
		t.Run(filepath.Base(filepath.Dir(meta))+"/"+filepath.Base(logFile), func(t *testing.T) {
			b, err := os.ReadFile(logFile)
			require.NoError(t, err)
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			if why, ok := unsupported[filepath.Base(logFile)]; ok {
				t.Skip(why)
			}
			want, known := excerptEnvelopes[m.Envelope]
			got := Detect(lines)
			switch {
			case m.Envelope == "none":
				assert.Nil(t, got, "bare lines (%s)", m.Source)
			case known:
				require.NotNil(t, got, "wrapped by %s (%s)", m.Envelope, m.Source)
				assert.Equal(t, want.Name, got.Name, m.Source)
				_, bad := unwrapAll(t, got, Dedent(lines))
				assert.LessOrEqual(t, float64(bad), max(1, 0.1*float64(len(lines))), "lines outside the envelope")
			}
		})
	}
}

// TestGrafanaTimes: a line copied from Grafana's log view is dated to the
// millisecond the viewer showed, in the file's zone (the viewer's), and
// only a tab ends that time.
func TestGrafanaTimes(t *testing.T) {
	recs, bad := unwrapAll(t, grafanaKind, []string{
		grafanaKind.Example,
		"2024-03-26 14:03:21.9\tshort fraction",
		"2024-03-26 14:03:21.874 a space, not a tab",
	})
	assert.Equal(t, 2, bad)
	require.Len(t, recs, 1)
	assert.Equal(t, time.Date(2024, 3, 26, 14, 3, 21, 874e6, time.UTC), recs[0].Stamp)
	assert.Equal(t, time.Millisecond, recs[0].Precision)
	assert.True(t, recs[0].Naive)
	assert.Equal(t, "Tue Mar 26 14:03:21 2024 - *** HARAKIRI ON WORKER 2 (pid: 289, try: 1, graceful: yes) ***", recs[0].Text)
}

// TestKubectlPrefixRejects: only a pod's and container's names, as
// Kubernetes spells them, make kubectl's prefix.
func TestKubectlPrefixRejects(t *testing.T) {
	for _, line := range []string{
		"[pod/Web/web] upper case is no pod's name",
		"[pod/web] no container",
		"[node/worker-1] a node's log",
		"[pod/web/web]no space",
	} {
		assert.False(t, kubectlPrefixKind.Matches(line), line)
	}
}
