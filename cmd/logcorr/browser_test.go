package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// findChromium returns a headless-capable browser, or "" when none is
// installed. LOGCORR_BROWSER_TEST=required (set by .ci/run) turns a missing
// browser into a failure instead of a skip.
func findChromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("LOGCORR_BROWSER_TEST") == "required" {
		t.Fatal("no Chromium found and LOGCORR_BROWSER_TEST=required")
	}
	t.Skip("no Chromium installed; .ci/run installs Debian's chromium and runs this test")
	return ""
}

// TestHTMLReportInBrowser opens the HTML report of the shipped capture in
// headless Chromium: the page must log no error, draw one mark per anchor,
// and open an anchor's chain when its mark is clicked. A screenshot is saved
// (docs/examples/report.png with -update, else in the temp folder).
func TestHTMLReportInBrowser(t *testing.T) {
	browser := findChromium(t)
	code, page, errOut := runCLI(t, "", "analyze", "--tz", "Asia/Jakarta", "--format", "html", "../../testdata/login-storm-psycopg2/logs")
	require.Equal(t, 0, code, errOut)
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	require.NoError(t, os.WriteFile(file, []byte(page), 0o644))
	wantMarks := strings.Count(page, "class=\"anchor-mark\"")
	require.Equal(t, 388, wantMarks, "the page itself holds a mark per anchor")

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1400, 1100),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	// Console errors and uncaught exceptions, gathered as they come.
	var mu sync.Mutex
	var problems []string
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value))
				}
				problems = append(problems, string(e.Type)+": "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		}
	}))

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("file://"+file), chromedp.WaitVisible(chromedp.ID("chart"))))
	marks, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#chart .anchor-mark').length`))
	require.NoError(t, err)
	assert.Equal(t, wantMarks, marks, "one mark per anchor in the rendered chart")
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()) // the viewport: title, verdict, chart
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#chart .anchor-mark[data-chain="chain-1"]`))))
	opened, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('chain-1').open`))
	require.NoError(t, err)
	assert.True(t, opened, "clicking a mark opens its chain")
	mu.Lock()
	assert.Empty(t, problems, "the page logs no error")
	mu.Unlock()

	png := filepath.Join(os.TempDir(), "logcorr-report.png")
	if *update {
		png = "../../docs/examples/report.png"
		require.NoError(t, os.MkdirAll(filepath.Dir(png), 0o755))
	}
	require.True(t, bytes.HasPrefix(shot, []byte("\x89PNG")), "a PNG screenshot")
	require.NoError(t, os.WriteFile(png, shot, 0o644))
	t.Logf("screenshot: %s", png)
}
