//go:build !windows

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logcorr/logcorr/engine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTailPipelineInterrupted: Ctrl-C in a terminal interrupts the whole
// pipeline (`logcorr tail … | cat`, `| jq`): the reader dies first, and
// tail's last chains and summary have no stdout left. The summary comes on
// stderr instead, and the reader's death does not kill logcorr silently.
func TestTailPipelineInterrupted(t *testing.T) {
	bin := buildLogcorr(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "runserver.err.log"),
		[]byte("[27/Nov/2026 00:15:05] \"POST /accounts/login/ HTTP/1.1\" 500 145\n"), 0o644))
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			// The shell runs both in a process group of their own, as a
			// terminal runs a pipeline; the reader ends on the signal.
			marker := filepath.Join(t.TempDir(), "read")
			cmd := exec.Command("sh", "-c", bin+" tail --tz UTC --from-start --format "+format+" "+dir+" | (head -c 1 > "+marker+"; cat > /dev/null)")
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			// Interrupt once the pipeline runs (the shell has made the
			// marker) and tail has read its file.
			require.Eventually(t, func() bool { _, err := os.Stat(marker); return err == nil }, 10*time.Second, 20*time.Millisecond)
			time.Sleep(300 * time.Millisecond)
			require.NoError(t, syscall.Kill(-cmd.Process.Pid, syscall.SIGINT))
			_ = cmd.Wait()
			errOut := stderr.String()
			assert.Contains(t, errOut, "logcorr: stdout was closed")
			assert.Contains(t, errOut, "the last chains and the summary follow here")
			assert.Contains(t, errOut, "#1 POST /accounts/login/ 500")
			assert.NotContains(t, errOut, "\"type\"", "text on stderr, whatever the format")
			assert.True(t, strings.Contains(errOut, "Summary: 1 anchor "), "stderr:\n%s", errOut)
		})
	}
}

// TestTailStatusLine: on a terminal, tail says every engine.StatusEvery
// how many chains are out and how many requests wait for their response or
// window, so that fewer chains than failures mid-test reads as waiting, not
// loss.
func TestTailStatusLine(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "runserver.err.log"),
		[]byte("[27/Nov/2026 00:15:05] \"POST /accounts/login/ HTTP/1.1\" 500 145\n"), 0o644))
	clock := time.Date(2026, 11, 27, 0, 15, 10, 0, time.UTC)
	now := func() time.Time { return clock }
	var stdout, stderr bytes.Buffer
	onTerminal := func(fo *engine.FollowOptions) { fo.Status = true }
	tl, _, _ := stepTailerWith(t, now, &stdout, &stderr, onTerminal, "--tz", "UTC", "--from-start", dir)
	for i := 0; i < 40; i++ {
		tl.Step()
		clock = clock.Add(time.Second)
	}
	tl.Close()
	lines := regexp.MustCompile(`(?m)^logcorr: \d\d:\d\d:\d\d: (\d+) chains out, (\d+) requests waiting for their response or window$`).FindAllStringSubmatch(stderr.String(), -1)
	require.Len(t, lines, 2, "one every 15 s over 40 s:\n%s", stderr.String())
	for _, l := range lines {
		out, _ := strconv.Atoi(l[1])
		waiting, _ := strconv.Atoi(l[2])
		assert.Equal(t, 1, out+waiting, "the one request is out or waiting: %s", l[0])
	}
}

// TestTailNamesGenerations: after a rotation the path names another file,
// so tail's text names the file a line came from by its generation.
func TestTailNamesGenerations(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "runserver.err.log")
	require.NoError(t, os.WriteFile(log, []byte("[27/Nov/2026 00:15:05] \"POST /accounts/login/ HTTP/1.1\" 500 145\n"), 0o644))
	stop := startTail(t, "--tz", "UTC", "--from-start", "--interval", "20ms", "--grace", "200ms", "--stop-within", "1m", dir)
	time.Sleep(400 * time.Millisecond)
	require.NoError(t, os.Rename(log, log+".1"))
	require.NoError(t, os.WriteFile(log, []byte("[27/Nov/2026 00:15:06] \"POST /accounts/login/ HTTP/1.1\" 500 146\n"), 0o644))
	time.Sleep(800 * time.Millisecond)
	code, out, errOut := stop()
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, "rotated")
	assert.Contains(t, out, "anchor  "+log+" (file 1 of the path):1  [27/Nov/2026 00:15:05]")
	assert.Contains(t, out, "anchor  "+log+" (file 2 of the path):1  [27/Nov/2026 00:15:06]")
}

// TestComposeThroughAFIFO: a compose file named by a pipe's path
// (<(docker compose logs), a FIFO) can be read once only: it is not split
// by label, and its lines are all read.
func TestComposeThroughAFIFO(t *testing.T) {
	dir := shapedCapture(t, namedShape(t, "compose-blocks"))
	fifo := filepath.Join(t.TempDir(), "compose.log")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	content, err := os.ReadFile(filepath.Join(dir, "compose.log"))
	require.NoError(t, err)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		_, _ = f.Write(content)
	}()
	doc := analyzeJSON(t, "--tz", "Asia/Jakarta", fifo)
	events := 0
	for _, s := range doc.Sources {
		events += s.Events
	}
	assert.Positive(t, doc.Anchors)
	assert.Greater(t, events, 9000, "every service's lines read")
}
