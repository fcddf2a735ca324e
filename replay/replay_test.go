package replay

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeSource(t *testing.T) string {
	t.Helper()
	src := t.TempDir()
	lines := "[27/Nov/2026 00:15:05] \"POST /accounts/login/ HTTP/1.1\" 500 145\n" +
		"[27/Nov/2026 00:15:06] \"GET / HTTP/1.1\" 200 1\n" +
		"[27/Nov/2026 00:15:07] \"GET / HTTP/1.1\" 200 1\n"
	require.NoError(t, os.WriteFile(filepath.Join(src, "runserver.err.log"), []byte(lines), 0o644))
	return src
}

func TestRunRefusesToDoubleLines(t *testing.T) {
	src := writeSource(t)
	plan := Plan{Loc: time.UTC}
	cases := []struct {
		name string
		dst  func() string
		want string
	}{
		{"into the source folder", func() string { return src }, "is the source folder"},
		{"over a replay already made", func() string {
			dst := t.TempDir()
			_, err := Run(context.Background(), src, []string{"runserver.err.log"}, dst, plan)
			require.NoError(t, err)
			return dst
		}, "already holds lines"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := c.dst()
			before, err := os.ReadFile(filepath.Join(dst, "runserver.err.log"))
			require.NoError(t, err)
			_, err = Run(context.Background(), src, []string{"runserver.err.log"}, dst, plan)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			after, err := os.ReadFile(filepath.Join(dst, "runserver.err.log"))
			require.NoError(t, err)
			assert.Equal(t, before, after, "the file is left as it was")
		})
	}
}

func TestRunRotates(t *testing.T) {
	for _, mode := range []Mode{Rename, CopyTruncate, Recreate} {
		t.Run(string(mode), func(t *testing.T) {
			src, dst := writeSource(t), t.TempDir()
			reports, err := Run(context.Background(), src, []string{"runserver.err.log"}, dst,
				Plan{Loc: time.UTC, Rotate: map[string]Rotation{"runserver.err.log": {Mode: mode, At: 0.5}}})
			require.NoError(t, err)
			require.Len(t, reports, 1)
			got := reports[0]
			require.Len(t, got.Lines, 2, "one rotation, two generations")
			assert.Equal(t, 3, got.Lines[0]+got.Lines[1], "every line written once")
			assert.Equal(t, mode == Recreate, got.Removed)
			_, err = os.Stat(filepath.Join(dst, "runserver.err.log.1"))
			assert.Equal(t, mode != Recreate, err == nil, "a rotated copy exists unless it was removed")
		})
	}
}
