package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// consoleExample is one `$ logcorr …` command of a ```console block in the
// docs and the output shown under it.
type consoleExample struct {
	doc     string
	line    int
	args    []string
	outputs []string
}

// consoleExamples reads the ```console blocks of a Markdown file.
func consoleExamples(t *testing.T, doc string) []consoleExample {
	raw, err := os.ReadFile(doc)
	require.NoError(t, err)
	var out []consoleExample
	in := false
	for i, l := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(l, "```console"):
			in = true
		case in && strings.HasPrefix(l, "```"):
			in = false
		case in && strings.HasPrefix(l, "$ "):
			args, err := shellWords(strings.TrimPrefix(l, "$ "))
			require.NoError(t, err, "%s:%d", doc, i+1)
			require.Equal(t, "logcorr", args[0], "%s:%d: console blocks run logcorr only (use ```sh for other commands)", doc, i+1)
			out = append(out, consoleExample{doc: doc, line: i + 1, args: args[1:]})
		case in && len(out) > 0:
			out[len(out)-1].outputs = append(out[len(out)-1].outputs, l)
		}
	}
	return out
}

// shellWords splits a command line as a POSIX shell would for the simple
// commands the docs show: words, single and double quotes, no expansion.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.ContainsRune("|&;<>$`", r):
			return nil, fmt.Errorf("%q: pipes, redirections and expansions are not run by the docs test", s)
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("%q: unclosed quote", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// shownLine turns a line of shown output into a pattern: "…" stands for
// any text, so long lines can be cut.
func shownLine(l string) *regexp.Regexp {
	parts := strings.Split(l, "…")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
}

// matchInOrder finds each shown line among the real ones, in order.
func matchInOrder(shown, real []string) (missing string, ok bool) {
	j := 0
	for _, s := range shown {
		if strings.TrimSpace(s) == "…" || strings.TrimSpace(s) == "" {
			continue
		}
		re := shownLine(s)
		for j < len(real) && !re.MatchString(real[j]) {
			j++
		}
		if j == len(real) {
			return s, false
		}
		j++
	}
	return "", true
}

// TestDocsShowRealOutput runs every `$ logcorr …` of the guide and the
// README's console blocks and checks that each line shown under it is a
// line the command prints, in the order shown (stderr lines, which start
// with "logcorr: ", among stderr's).
func TestDocsShowRealOutput(t *testing.T) {
	t.Chdir("../..")
	var all []consoleExample
	for _, doc := range []string{"docs/guide.md", "README.md"} {
		all = append(all, consoleExamples(t, doc)...)
	}
	require.NotEmpty(t, all)
	for _, ex := range all {
		t.Run(fmt.Sprintf("%s:%d", ex.doc, ex.line), func(t *testing.T) {
			_, stdout, stderr := runCLI(t, "", ex.args...)
			var outShown, errShown []string
			for _, l := range ex.outputs {
				if strings.HasPrefix(l, "logcorr: ") {
					errShown = append(errShown, l)
				} else {
					outShown = append(outShown, l)
				}
			}
			if missing, ok := matchInOrder(outShown, strings.Split(stdout, "\n")); !ok {
				assert.Fail(t, "shown output is not what the command prints", "%s:%d: %q not found (in order) in stdout", ex.doc, ex.line, missing)
			}
			if missing, ok := matchInOrder(errShown, strings.Split(stderr, "\n")); !ok {
				assert.Fail(t, "shown notice is not what the command prints", "%s:%d: %q not found (in order) in stderr", ex.doc, ex.line, missing)
			}
		})
	}
}

func TestMatchInOrder(t *testing.T) {
	real := []string{"Summary: 388 anchors", "  window: 20s", "  verdict: of 388 anchors, 334 (86%) …"}
	cases := []struct {
		shown []string
		ok    bool
	}{
		{[]string{"Summary: 388 anchors", "  verdict: of 388 anchors…"}, true},
		{[]string{"Summary: 3… anchors", "…", "  window: 20s"}, true},
		{[]string{"  window: 20s", "Summary: 388 anchors"}, false},
		{[]string{"Summary: 389 anchors"}, false},
		{[]string{"Summary"}, false},
	}
	for _, c := range cases {
		_, ok := matchInOrder(c.shown, real)
		assert.Equal(t, c.ok, ok, "%q", c.shown)
	}
	words, err := shellWords(`logcorr analyze --parser 'errors.log=python:{levelname} {asctime}' "a b" c`)
	require.NoError(t, err)
	assert.Equal(t, []string{"logcorr", "analyze", "--parser", "errors.log=python:{levelname} {asctime}", "a b", "c"}, words)
	_, err = shellWords("logcorr analyze logs | head")
	assert.Error(t, err)
}

// TestGuideFacts: the figures the guide states in prose about the shipped
// capture are the capture's: its pool as configured, and its failed logins
// as logcorr counts them.
func TestGuideFacts(t *testing.T) {
	t.Chdir("../..")
	guide, err := os.ReadFile("docs/guide.md")
	require.NoError(t, err)
	prose := strings.Join(strings.Fields(string(guide)), " ")
	ini, err := os.ReadFile("testdata/login-storm-psycopg2/config/pgbouncer.ini")
	require.NoError(t, err)
	setting := func(key string) string {
		m := regexp.MustCompile(`(?m)^` + key + ` = (\S+)`).FindSubmatch(ini)
		require.NotNil(t, m, key)
		return string(m[1])
	}
	assert.Contains(t, prose, fmt.Sprintf("a pool of %s + %s reserve, `query_wait_timeout` %s s", setting("default_pool_size"),
		setting("reserve_pool_size"), setting("query_wait_timeout")))

	doc := analyzeJSON(t, "--tz", "Asia/Jakarta", "testdata/login-storm-psycopg2/logs")
	var posts, failed int
	for _, c := range doc.Client {
		if c.Method == "POST" && c.Path == "/accounts/login/" {
			for status, n := range c.ServerByStatus {
				posts += n
				if status == "500" {
					failed = n
				}
			}
		}
	}
	require.Positive(t, posts)
	assert.Contains(t, prose, fmt.Sprintf("Of the %d `POST /accounts/login/` in its access log, %d were 500s (%.0f%%); %d 500s in all",
		posts, failed, 100*float64(failed)/float64(posts), doc.Anchors))
	assert.Contains(t, prose, fmt.Sprintf("%d failed logins never produced a response the client saw", doc.Anchors-failed))
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	assert.Contains(t, strings.Join(strings.Fields(string(readme)), " "), fmt.Sprintf("100 Locust users, %d failed logins", doc.Anchors))
}
