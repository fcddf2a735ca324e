package verdict

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChangeWords(t *testing.T) {
	for _, tc := range []struct {
		before, after, reqBefore, reqAfter int
		want                               Change
	}{
		{244, 0, 1000, 1000, Fixed},
		{0, 7, 1000, 1000, New},
		{100, 50, 1000, 1000, Better},
		{100, 95, 1000, 1000, Same},
		{100, 200, 1000, 1000, Worse},
		// Twice the load, twice the failures: the same rate.
		{29, 58, 500, 1000, Same},
		// Requests unknown: counts decide.
		{29, 71, 0, 0, Worse},
	} {
		assert.Equal(t, tc.want, change(tc.before, tc.after, tc.reqBefore, tc.reqAfter), "%+v", tc)
	}
}

func TestCheckExpectations(t *testing.T) {
	f := &Figures{Anchors: 9, Requests: 1000, ByCause: map[string]int{"redis_connection_error": 9}, Lines: map[string]int{"query_wait_timeout": 3},
		PoolWaitPeak: 1500 * time.Millisecond, SlowP95: 4 * time.Second}
	got, err := Check(f, []string{"failure-rate<1%", "failure-rate < 0.5%", "no query_wait_timeout", "no deadlock", "pool-wait-peak<1s",
		"anchors<=9", "slow-p95<5s", "redis_connection_error>=10"})
	require.NoError(t, err)
	var pass []bool
	for _, x := range got {
		pass = append(pass, x.Pass)
	}
	assert.Equal(t, []bool{true, false, false, true, false, true, true, false}, pass)
	assert.Equal(t, "0.9%", got[0].Value)
	for _, bad := range []string{"failure-rate", "pool-wait-peak<soon", "<3"} {
		_, err := Check(f, []string{bad})
		assert.Error(t, err, bad)
	}
	_, err = Check(&Figures{PoolWaitPeak: -1}, []string{"failure-rate<1%"})
	assert.ErrorContains(t, err, "how many requests")
}

func TestCompareVerdict(t *testing.T) {
	c := Compare(Figures{Requests: 500, ByCause: map[string]int{"query_wait_timeout": 244, "redis_connection_error": 29, "deadlock": 10}},
		Figures{Requests: 500, ByCause: map[string]int{"redis_connection_error": 71, "deadlock": 4, "lock_timeout": 3}})
	assert.Equal(t, "query_wait_timeout fixed: 244 → 0; redis_connection_error worse: 29 → 71; deadlock fewer but not gone: 10 → 4; lock_timeout new: 0 → 3", c.Verdict)
	assert.Equal(t, "no anchors before or after", Compare(Figures{}, Figures{}).Verdict)
}
