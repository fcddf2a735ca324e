package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSplitByLabel: a compose file whose services' lines come a block at
// a time is read once per service, each stream keeping its own lines;
// the first also counts the lines outside the envelope, once, and keeps
// a service no format reads, so that its lines are named as they always
// were. A collector's envelope, written as the lines came, is read once.
func TestSplitByLabel(t *testing.T) {
	dir := t.TempDir()
	compose := strings.Join([]string{
		"Attaching to pgbouncer-1, db-1",
		"pgbouncer-1  | 2026-11-26 17:15:12.718 UTC [1] LOG C-0x1: ahsp/ahsp@10.0.0.5:44978 closing because: query_wait_timeout (age=4s)",
		"pgbouncer-1  | 2026-11-26 17:15:13.718 UTC [1] WARNING C-0x1: ahsp/ahsp@10.0.0.5:44978 pooler error: query_wait_timeout",
		"db-1         | 2026-11-26 17:15:00.351 UTC [1] LOG:  database system is ready to accept connections",
		"db-1         | 2026-11-26 17:15:01.351 UTC [7] FATAL:  sorry, too many clients already",
		"init-1       | waiting for the database...",
		"init-1       | done",
	}, "\n") + "\n"
	path := filepath.Join(dir, "compose.log")
	require.NoError(t, os.WriteFile(path, []byte(compose), 0o644))
	opts := &Options{Loc: time.UTC}
	s, err := Open(Input{Name: path, Path: path}, opts)
	require.NoError(t, err)
	// What one stream makes of the file, to hold the split to.
	whole, err := Open(Input{Name: path, Path: path}, opts)
	require.NoError(t, err)
	for {
		if _, err := whole.Next(); err != nil {
			break
		}
	}
	whole.Close()
	streams, err := SplitByLabel(s, opts)
	require.NoError(t, err)
	require.Len(t, streams, 2, "pgbouncer-1 and db-1; init-1's lines go with the first")
	byStream := make([][]string, len(streams))
	for i, st := range streams {
		for {
			ev, err := st.Next()
			if err != nil {
				break
			}
			byStream[i] = append(byStream[i], ev.Source)
		}
		st.Close()
	}
	assert.Equal(t, []string{path + "[pgbouncer-1]", path + "[pgbouncer-1]"}, byStream[0])
	assert.Equal(t, []string{path + "[db-1]", path + "[db-1]"}, byStream[1])
	assert.Equal(t, whole.Splitter().Foreign(), streams[0].Splitter().Foreign(), "the line outside the envelope, counted once")
	assert.Zero(t, streams[1].Splitter().Foreign())
	assert.Equal(t, whole.Splitter().LeftOut(), streams[0].Splitter().LeftOut(), "init-1's lines named as one stream names them")
	assert.NotEmpty(t, streams[0].Splitter().LeftOut())
	assert.Empty(t, streams[1].Splitter().LeftOut())
	var names, wholeNames []string
	for _, st := range streams {
		for _, p := range st.Parts() {
			names = append(names, p.Name)
		}
	}
	for _, p := range whole.Parts() {
		wholeNames = append(wholeNames, p.Name)
	}
	assert.ElementsMatch(t, wholeNames, names)

	journal := filepath.Join(dir, "journal.log")
	require.NoError(t, os.WriteFile(journal, []byte(
		"2026-11-26T17:15:12.718000+00:00 host pgbouncer[1]: LOG C-0x1: ahsp/ahsp@10.0.0.5:44978 closing because: query_wait_timeout (age=4s)\n"+
			"2026-11-26T17:15:00.351000+00:00 host postgres[7]: [7] FATAL:  sorry, too many clients already\n"), 0o644))
	j, err := Open(Input{Name: journal, Path: journal}, opts)
	require.NoError(t, err)
	defer j.Close()
	again, err := SplitByLabel(j, opts)
	require.NoError(t, err)
	assert.Nil(t, again, "journald wrote its lines as they came")
}
