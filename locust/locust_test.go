package locust

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const logs = "../testdata/login-storm-psycopg2/logs"

func header(t *testing.T, path string) string {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	return sc.Text()
}

// TestReadCapture reads the shipped capture's Locust files; the numbers
// are the ones the files hold (checked by hand against them).
func TestReadCapture(t *testing.T) {
	var r Run
	for name, kind := range map[string]Kind{"locust_stats.csv": KindStats, "locust_failures.csv": KindFailures,
		"locust_exceptions.csv": KindExceptions, "locust_stats_history.csv": KindHistory} {
		path := filepath.Join(logs, name)
		require.Equal(t, kind, KindOf(header(t, path)), name)
		require.NoError(t, r.ReadCSV(path, kind))
	}
	require.NoError(t, r.ReadConsole(filepath.Join(logs, "locust_console.log")))
	assert.True(t, r.Found())

	assert.Contains(t, r.Stats, Stat{Method: "POST", Name: "/accounts/login/", Requests: 636, Failures: 515})
	assert.Contains(t, r.Stats, Stat{Method: "", Name: "Aggregated", Requests: 1792, Failures: 646})
	byKey := map[string]int{}
	for _, f := range r.Failures {
		byKey[f.Method+" "+f.Name+" "+f.URLPath+" "+strconv.Itoa(f.Status)] += f.Occurrences
	}
	assert.Equal(t, map[string]int{
		"GET /accounts/logout/ /accounts/logout/ 500": 46,
		"POST /accounts/login/ /dashboard/ 500":       43,
		"GET /dashboard/ /dashboard/ 500":             85,
		"POST /accounts/login/ /accounts/login/ 400":  125,
		"POST /accounts/login/ /accounts/login/ 500":  347,
	}, byKey)
	assert.Equal(t, map[int]int{500: 347, 400: 125, 200: 5}, r.Prints)
	assert.Equal(t, "Login FAILED - status: 200", r.PrintExamples[200])
	require.NotEmpty(t, r.History)
	users, ok := r.UsersAt(r.History[len(r.History)-1].Time.Add(-time.Second))
	assert.True(t, ok)
	assert.Equal(t, 100, users)
	_, ok = r.UsersAt(r.History[0].Time.Add(-time.Hour))
	assert.False(t, ok)
}

func TestHTTPError(t *testing.T) {
	tests := []struct {
		err    string
		status int
		path   string
	}{
		{"HTTPError('500 Server Error: Internal Server Error for url: http://127.0.0.1:8000/dashboard/')", 500, "/dashboard/"},
		{"HTTPError('400 Client Error: Bad Request for url: http://h:8000/accounts/login/?next=/x/')", 400, "/accounts/login/"},
		{"CatchResponseError('got 400 on /bad/')", 400, "/bad/"},
		{`"ConnectionRefusedError(111, 'Connection refused')"`, 0, ""},
	}
	for _, tc := range tests {
		s, p := httpError(tc.err)
		assert.Equal(t, tc.status, s, tc.err)
		assert.Equal(t, tc.path, p, tc.err)
	}
	assert.Equal(t, Kind(""), KindOf("2026-11-27 00:15:05,239 INFO x"))
}
