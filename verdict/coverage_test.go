package verdict

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/correlate"
)

// A chain with no cause names every PgBouncer and PostgreSQL log that was
// silent over its window, always in the same order: the notes go into
// golden files and post-mortems, and the logs come to Coverage as a map.
func TestCoverageNotesKeepOneOrder(t *testing.T) {
	kinds := map[string]string{}
	for _, f := range []string{"pgbouncer.log", "postgresql.log", "pgbouncer.log.1", "postgresql-15.log", "db2/pgbouncer.log", "replica/postgresql.log"} {
		kinds[f] = "pgbouncer"
		if strings.Contains(f, "postgresql") {
			kinds[f] = "postgresql"
		}
	}
	kinds["auth_debug.log"] = "python"
	ch := &correlate.Chain{Time: time.Date(2026, 11, 27, 0, 15, 5, 0, time.UTC)}
	var first []string
	for range 5 {
		notes := NewCoverage(kinds).Check(ch, 10*time.Second, 5*time.Second)
		require.Len(t, notes, 6, "every database log was silent; the app's log is not one")
		var logs []string
		for _, n := range notes {
			log, _, _ := strings.Cut(n, " wrote nothing")
			logs = append(logs, log)
		}
		// By path: db2/pgbouncer.log, pgbouncer.log, …, replica/postgresql.log.
		assert.Equal(t, []string{"pgbouncer.log", "pgbouncer.log", "pgbouncer.log.1", "postgresql-15.log", "postgresql.log", "postgresql.log"}, logs)
		if first == nil {
			first = notes
		}
		assert.Equal(t, first, notes)
	}
}
