//go:build unix

package follow

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPipeIsRefused: a pipe has no size, so following it would read nothing
// without a word; it is refused with a pointer to analyze.
func TestPipeIsRefused(t *testing.T) {
	rec, c, dir := setup(t)
	fifo := filepath.Join(dir, "pipe")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	f := newFollower([]string{fifo}, true, rec, c)
	f.Poll()
	f.Poll()
	assert.Empty(t, rec.take())
	require.Len(t, rec.notices, 1)
	assert.True(t, strings.Contains(rec.notices[0], "not a regular file"), rec.notices[0])
	f.Close()
}
