package parser

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPostgresTiming: lines of testdata/captures/reports-pool2's
// postgresql.log (and PostgreSQL 15's own wording for the rest) say how
// long a statement, a lock wait, a checkpoint or an autovacuum run took.
func TestPostgresTiming(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		tag        Tag
		took       time.Duration
		reason     string
		holder     string
	}{
		{"statement",
			`2026-12-01 08:07:56.584 UTC [3066] ahsp@ahsp LOG:  duration: 750.155 ms  statement: SELECT p.lokasi, i.kode, count(*) FROM proyek_proyek p`,
			TagStatement, 750155 * time.Microsecond, "SELECT p.lokasi, i.kode, count(*) FROM proyek_proyek p", ""},
		{"statement over lines",
			"2026-12-01 08:07:56.584 UTC [3066] ahsp@ahsp LOG:  duration: 1.5 ms  statement: SELECT 1\n\tFROM t\n\tWHERE a = 'x'",
			TagStatement, 1500 * time.Microsecond, "SELECT 1 FROM t WHERE a = 'x'", ""},
		{"extended protocol",
			`2026-12-01 08:07:56.584 UTC [3066] LOG:  duration: 2003.100 ms  execute <unnamed>: UPDATE t SET a = $1`,
			TagStatement, 2003100 * time.Microsecond, "UPDATE t SET a = $1", ""},
		{"log_duration alone",
			`2026-12-01 08:07:56.584 UTC [3066] LOG:  duration: 0.310 ms`,
			TagStatement, 310 * time.Microsecond, "", ""},
		{"lock wait",
			"2026-12-01 08:07:53.164 UTC [3066] ahsp@ahsp LOG:  process 3066 still waiting for ShareLock on transaction 886 after 1000.219 ms\n" +
				"2026-12-01 08:07:53.164 UTC [3066] ahsp@ahsp DETAIL:  Process holding the lock: 2994. Wait queue: 3066.\n" +
				`2026-12-01 08:07:53.164 UTC [3066] ahsp@ahsp CONTEXT:  while locking tuple (0,1) in relation "proyek_urutan"`,
			TagLockWait, 1000219 * time.Microsecond, "ShareLock on transaction 886", "2994"},
		{"lock acquired",
			`2026-12-01 08:07:53.808 UTC [3066] ahsp@ahsp LOG:  process 3066 acquired ShareLock on transaction 886 after 1643.870 ms`,
			TagLockAcquired, 1643870 * time.Microsecond, "ShareLock on transaction 886", ""},
		{"deadlock found while waiting",
			`2026-12-01 08:07:53.808 UTC [3066] LOG:  process 3066 detected deadlock while waiting for ShareLock on transaction 886 after 1000.112 ms`,
			TagLockWait, 1000112 * time.Microsecond, "ShareLock on transaction 886", ""},
		{"checkpoint",
			`2026-11-26 17:16:55.019 UTC [28392] LOG:  checkpoint complete: wrote 1114 buffers (13.6%); 0 WAL file(s) added, 0 removed, 0 recycled; write=0.034 s, sync=0.042 s, total=0.078 s; sync files=382, longest=0.002 s, average=0.001 s; distance=5958 kB, estimate=5958 kB`,
			TagCheckpoint, 78 * time.Millisecond, "", ""},
		{"autovacuum",
			"2026-11-26 17:16:55.019 UTC [28400] LOG:  automatic vacuum of table \"ahsp.public.proyek_urutan\": index scans: 0\n" +
				"\tsystem usage: CPU: user: 0.00 s, system: 0.00 s, elapsed: 1.25 s",
			TagAutovacuum, 1250 * time.Millisecond, `automatic vacuum of table "ahsp.public.proyek_urutan": index scans: 0`, ""},
		{"plain record", `2026-11-26 17:16:55.019 UTC [28392] LOG:  checkpoint starting: time`, "", 0, "", ""},
		{"not a number", `2026-11-26 17:16:55.019 UTC [28392] LOG:  duration: lots ms`, "", 0, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var evs []Event
			feed(t, NewPostgres(utcClock("pg"), func(ev Event) { evs = append(evs, ev) }, nil), tc.text)
			require.Len(t, evs, 1)
			ev := evs[0]
			assert.Equal(t, tc.tag, ev.Tag)
			assert.Equal(t, tc.took, ev.Duration)
			assert.Equal(t, tc.reason, ev.Reason)
			assert.Equal(t, tc.holder, ev.Field("lock_holder"))
			assert.False(t, ev.IsResponse(), "a timed database line is not a response")
		})
	}
}
