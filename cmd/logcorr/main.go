// Command logcorr links the HTTP 500s of a Django app to their causes in the
// logs of runserver, Python logging, PgBouncer and PostgreSQL.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/posener/complete"
	"github.com/willabides/kongplete"
	"golang.org/x/term"
)

// Exit codes, documented in the README and --help.
const (
	exitOK    = 0
	exitFound = 1 // reserved for --exit-code
	exitInput = 2 // bad usage, unreadable input, bad zone or format
	// exitInterrupted: analyze stopped by Ctrl-C, SIGTERM or SIGHUP,
	// after reporting what it read (128 + SIGINT, as shells say it).
	exitInterrupted = 130
)

// version is set by -ldflags "-X main.version=…" in a release build; else
// it comes from the build's own information (buildVersion).
var version = ""

// buildVersion says which logcorr this is: the module version go install
// recorded, else the commit it was built from (and whether the tree had
// changes), else "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return versionOf(info)
}

func versionOf(info *debug.BuildInfo) string {
	v := info.Main.Version
	var rev, at string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if v != "" && v != "(devel)" {
		return v
	}
	if rev == "" {
		return "dev"
	}
	out := "dev, commit " + rev[:min(12, len(rev))]
	if at != "" {
		out += " of " + at
	}
	if modified {
		out += ", with changes"
	}
	return out
}

type cli struct {
	Analyze analyzeCmd `cmd:"" help:"Correlate saved logs and print evidence chains."`
	Tail    tailCmd    `cmd:"" help:"Follow logs as they are written and print each chain as soon as its window closes."`
	Compare compareCmd `cmd:"" help:"Analyze two runs (before and after a fix) and set them side by side: what was fixed, what remains, what is new."`
	Formats formatsCmd `cmd:"" help:"List the log formats and causes logcorr knows."`
	// Completion prints the line that makes the user's shell (bash, zsh,
	// fish) complete logcorr's commands, flags and values.
	Completion kongplete.InstallCompletions `cmd:"" name:"install-completions" help:"Print the shell code that turns on completion (add it to ~/.bashrc, ~/.zshrc or fish's config)."`
	Version    kong.VersionFlag             `help:"Print the version and exit."`
}

// env is what a command needs from the process, so tests can run it.
type env struct {
	// ctx ends when the user interrupts (SIGINT, SIGTERM); stopping is
	// set then, for the loops that ask for every event.
	ctx            context.Context
	stopping       atomic.Bool
	stdin          io.Reader
	stdout, stderr io.Writer
	// stdoutTerminal and stderrTerminal say whether a person watches:
	// colour (--color auto) and the progress bar depend on it.
	stdoutTerminal, stderrTerminal bool
	// stdoutWidth is the terminal's width in columns (0: not a terminal).
	stdoutWidth int
	// noColor says the user or the terminal wants no colour: NO_COLOR
	// (https://no-color.org), TERM=dumb, or a console without escapes.
	noColor bool
	// beforeStderr, when set, runs before anything is written to stderr
	// (it clears the progress bar).
	beforeStderr func()
	// quiet (--quiet) drops notices and the progress bar.
	quiet bool
	// barEvery is how often the progress bar is drawn at most; 0 is
	// every 100 ms. A test draws it on every read: a run of the test's
	// input can end before 100 ms have passed.
	barEvery time.Duration
	// held keeps notices back while a run may yet be read again
	// (holdNotices).
	held *heldNotices
	// sayOnce (analyze) writes each notice once: a file read once per
	// label (source.SplitByLabel) finds the same long line in each
	// reading. tail says again what happens again (a file rotated).
	sayOnce bool
	saidMu  sync.Mutex
	said    map[string]bool
}

// heldNotices are notices not yet said; a run's streams say theirs from
// the merge's goroutine, but a guard costs nothing beside a notice.
type heldNotices struct {
	mu   sync.Mutex
	msgs []string
}

// holdNotices keeps notices back until releaseNotices says them, in order,
// or dropNotices drops them (the run that gave them is read again).
func (e *env) holdNotices() { e.held = &heldNotices{} }

func (e *env) releaseNotices() {
	h := e.held
	if h == nil {
		return
	}
	e.held = nil
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, msg := range h.msgs {
		e.warn(msg)
	}
}

func (e *env) dropNotices() { e.held = nil }

// interrupted reports whether the user asked the run to stop (Ctrl-C,
// SIGTERM, SIGHUP).
func (e *env) interrupted() bool { return e.stopping.Load() }

func (e *env) warn(msg string) {
	if e.quiet {
		return
	}
	if h := e.held; h != nil {
		h.mu.Lock()
		h.msgs = append(h.msgs, msg)
		h.mu.Unlock()
		return
	}
	if e.sayOnce {
		e.saidMu.Lock()
		again := e.said[msg]
		if e.said == nil {
			e.said = map[string]bool{}
		}
		e.said[msg] = true
		e.saidMu.Unlock()
		if again {
			return
		}
	}
	if e.beforeStderr != nil {
		e.beforeStderr()
	}
	fmt.Fprintf(e.stderr, "logcorr: %s\n", msg)
}

// isTerminal reports whether w is a terminal (not a file, pipe or buffer).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// exitError carries an exit code out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// kongExit is raised by kong's exit hook (after --help, --version) so that
// run returns instead of the process exiting inside the parser.
type kongExit struct{ code int }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr,
		stdoutTerminal: isTerminal(stdout), stderrTerminal: isTerminal(stderr)}
	// At once when the run starts interrupted: AfterFunc's own goroutine
	// may come late.
	e.stopping.Store(ctx.Err() != nil)
	defer context.AfterFunc(ctx, func() { e.stopping.Store(true) })()
	e.noColor = os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" || (e.stdoutTerminal && !ansiWorks(stdout))
	if f, ok := stdout.(*os.File); ok && e.stdoutTerminal {
		e.stdoutWidth, _, _ = term.GetSize(int(f.Fd()))
	}
	return e.run(args)
}

// run parses the command line and runs the command, returning its exit code.
func (e *env) run(args []string) (code int) {
	stdout, stderr := e.stdout, e.stderr
	var c cli
	defer func() {
		if r := recover(); r != nil {
			if k, ok := r.(kongExit); ok {
				code = k.code
				return
			}
			panic(r)
		}
	}()
	p, err := kong.New(&c,
		kong.Name("logcorr"),
		kong.Description("logcorr links failed HTTP responses of a Django app to their causes across runserver, Python logging, PgBouncer and PostgreSQL logs, and prints the evidence chains.\n\n"+
			"Reports go to stdout, notices and progress to stderr. Exit status: 0 when the run completed; 1 when anchors were found, only with --exit-code; 2 on bad usage or input that could not be read; 130 when analyze was interrupted (its report covers what it read)."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { panic(kongExit{code}) }),
		kong.Vars{"version": buildVersion()},
		kong.Bind(e),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	)
	if err != nil {
		fmt.Fprintf(stderr, "logcorr: %v\n", err)
		return exitInput
	}
	// When the shell asks for completions (COMP_LINE is set), this prints
	// them and exits through kong's exit hook.
	kongplete.Complete(p, kongplete.WithPredictor("file", complete.PredictFiles("*")))
	if len(args) == 0 {
		// A bare logcorr shows what it can do.
		args = []string{"--help"}
	}
	kctx, err := p.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "logcorr: %v (see logcorr --help)\n", err)
		return exitInput
	}
	if err := kctx.Run(); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		fmt.Fprintf(stderr, "logcorr: %v\n", err)
		return exitInput
	}
	return exitOK
}

func main() {
	// SIGHUP too: a terminal that closes (an ssh session dropped during a
	// load test) must not cost tail's chains and summary when stdout goes
	// to a file.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		// The first signal asks for the last chains and the summary; a
		// second one, while they are being made, stops at once.
		<-ctx.Done()
		stop()
	}()
	setMemoryBudget()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// setMemoryBudget gives the heap a fixed budget, memoryLimit, unless the
// user set GOMEMLIMIT: the collector runs when the heap reaches it, not when
// the heap has grown to a multiple of what is live (unless GOGC is set).
// tail runs beside a load test for as long as it lasts, and far behind the
// default GC lets the heap grow to twice what is live before it collects: a
// limit collects sooner, 300 MB behind, 52-56 MB peak RSS rather than 70, as
// fast (the stress harness in docs/tail.md). analyze's live heap stays below
// it; how much it keeps grows a little with the time its logs span (the
// per-second tallies), so a multiple of it made peak memory grow with the
// input: at four times (GOGC 300), a 100 MB run peaked at 47-52 MB, a 1 GB
// run at 55-56. With the limit alone deciding, both peak at the budget, and
// the collector runs less often.
func setMemoryBudget() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(memoryLimit)
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(-1)
	}
}

// memoryLimit is logcorr's heap budget: a soft limit, which the runtime
// exceeds rather than collect without end when more than that is live.
const memoryLimit = 50 << 20
