package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/engine"
	"github.com/logcorr/logcorr/locust"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/source"
	"github.com/logcorr/logcorr/verdict"
)

// matchFlags are the flags analyze and tail share: what an anchor is, how
// wide its window is, how to read the sources and what to print.
type matchFlags struct {
	Path        []string      `name:"path" default:"/accounts/login/" sep:"none" help:"Anchor on responses to this path (repeatable; the query string is ignored)."`
	Status      []string      `name:"status" default:"500" help:"Anchor on this status: 500, 5xx or 500-504 (repeatable); none anchors on slow responses only (--slow)."`
	Slow        time.Duration `name:"slow" placeholder:"DURATION" help:"Also anchor on responses that took at least DURATION (e.g. 3s), as a log that states durations says (key=value dur_ms=, uWSGI, gunicorn %(D)s, nginx $request_time); their chains say where the time went."`
	Method      []string      `name:"method" help:"Anchor only on this method (repeatable; default any)."`
	Before      time.Duration `name:"before" default:"20s" help:"Look this far before the first report of an anchor's request for its cause."`
	After       time.Duration `name:"after" default:"5s" help:"Look this far after an anchor's time."`
	SameRequest time.Duration `name:"same-request" default:"60s" help:"How far apart two logs' reports of one request may be."`
	TZ          []string      `name:"tz" sep:"none" placeholder:"[GLOB=]ZONE" help:"Zone of naive timestamps (IANA name, e.g. Asia/Jakarta). Without it, analyze estimates each log's zone from the logs that write theirs (and says so); tail reads them in the local zone. GLOB=ZONE sets it for matching files only (repeatable)."`
	Parser      []string      `name:"parser" sep:"none" placeholder:"GLOB=FORMAT" help:"Read matching files as FORMAT instead of detecting it: runserver, access, pgbouncer, postgresql or postgresql:LOG_LINE_PREFIX, a preset such as django-verbose, or python:LOGGING-FORMAT (repeatable; logcorr formats lists them all)."`
	Causes      []string      `name:"causes" sep:"none" placeholder:"FILE" predictor:"file" help:"Add the causes in this JSON file to the catalogue, before the built-in ones (docs/causes.md; repeatable)."`
	Format      string        `name:"format" short:"f" enum:"text,json,markdown,html" default:"text" help:"Output: text, json, markdown (a post-mortem section) or html (a self-contained report with a timeline)."`
	Output      string        `name:"output" short:"o" placeholder:"FILE" predictor:"file" help:"Write the report to FILE instead of stdout (tail writes each chain as it comes; Ctrl-C to a pipeline loses nothing)."`
	Quiet       bool          `name:"quiet" short:"q" help:"No notices and no progress bar on stderr; the exit status still says what happened."`
	Since       string        `name:"since" placeholder:"TIME" help:"Only anchors at or after TIME: 2026-11-27T00:15:30+07:00, or 2026-11-27 00:15:30 (or as a log writes it: 27/Nov/2026 00:15:30) read in the --tz zone, else in the zone estimated for the logs. Evidence is still looked for around them."`
	Until       string        `name:"until" placeholder:"TIME" help:"Only anchors before TIME (as --since)."`
	// boundsToZone: a naive --since/--until waits for the logs' estimated
	// zone (rebound).
	boundsToZone bool
	ExitCode     bool     `name:"exit-code" help:"Exit 1 when anchors were found, 0 when none (as grep does; for scripts after a load test)."`
	Summary      bool     `name:"summary" help:"Print the verdict and the summary only, no chain (in text, one screen)."`
	Top          int      `name:"top" placeholder:"N" help:"Print only the N strongest chains of each cause (most evidence, then earliest)."`
	Cause        []string `name:"cause" placeholder:"ID" help:"Print only chains of this cause: a catalogued id (query_wait_timeout) or an exception class (repeatable). The summary still counts every chain."`
	Chains       bool     `name:"chains" help:"Print every chain (of --cause), whatever --top says."`
	Color        string   `name:"color" enum:"auto,always,never" default:"auto" help:"Colour text output: auto (when stdout is a terminal and NO_COLOR is not set), always or never."`
}

// redirect sends the report to --output: the file is made (or emptied)
// before any work, so a bad path fails at once. done closes it.
func (f *matchFlags) redirect(e *env) (done func() error, err error) {
	e.quiet = f.Quiet
	if f.Output == "" || f.Output == "-" {
		return func() error { return nil }, nil
	}
	file, err := os.Create(f.Output)
	if err != nil {
		return nil, fmt.Errorf("--output: %w", err)
	}
	e.stdout, e.stdoutTerminal, e.stdoutWidth = file, false, 0
	return file.Close, nil
}

// outputIsInput refuses an --output that is one of the inputs, or, for a
// command that follows folders (tail), that lies in one of them.
func outputIsInput(out string, paths []string, inFolders bool) error {
	if out == "" || out == "-" {
		return nil
	}
	oi, oerr := os.Stat(out)
	absOut, _ := filepath.Abs(out)
	for _, p := range paths {
		pi, err := os.Stat(p)
		if err != nil {
			continue
		}
		if oerr == nil && os.SameFile(oi, pi) {
			return fmt.Errorf("--output %s is one of the logs read; name another file", out)
		}
		if pi.IsDir() && inFolders {
			if absDir, _ := filepath.Abs(p); filepath.Dir(absOut) == absDir {
				return fmt.Errorf("--output %s lies in %s, which is followed: name a file elsewhere", out, p)
			}
		}
		if pi.IsDir() && oerr == nil {
			if absDir, _ := filepath.Abs(p); filepath.Dir(absOut) == absDir {
				return fmt.Errorf("--output %s is in %s, among the logs read; name a file elsewhere", out, p)
			}
		}
	}
	return nil
}

// selection is the chains the flags ask to print.
func (f *matchFlags) selection() (report.Selection, error) {
	if f.Top < 0 {
		return report.Selection{}, errors.New("--top must not be negative")
	}
	return report.Selection{Summary: f.Summary, Top: f.Top, Causes: f.Cause, All: f.Chains}, nil
}

// colour decides --color: always and never win over NO_COLOR, as a flag
// given for one run should.
func (f *matchFlags) colour(e *env) bool {
	switch f.Color {
	case "always":
		return true
	case "never":
		return false
	}
	return e.stdoutTerminal && !e.noColor
}

type analyzeCmd struct {
	matchFlags
	Recursive bool     `name:"recursive" short:"r" help:"Read the subfolders of folders given too (hidden ones skipped); without it they are named on stderr and left out."`
	Paths     []string `arg:"" name:"PATH" predictor:"file" help:"Log files, folders of logs, or - for stdin."`
}

func (analyzeCmd) Help() string {
	return `Reads saved logs (files, folders, stdin, rotated .gz), detects each one's
format, merges them in time order and links every matching response (by
default a 500 on /accounts/login/) to the evidence around it.

Examples:
  logcorr analyze --tz Asia/Jakarta logs/
  logcorr analyze --tz Asia/Jakarta --tz 'pgbouncer*=UTC' runserver.err.log pgbouncer.log
  logcorr analyze --path /dashboard/ --status 5xx --before 30s logs/
  logcorr analyze --parser 'errors.log=python:%(asctime)s [%(levelname)s] %(message)s' logs/
  zcat old/runserver.log.2.gz | logcorr analyze --format json - logs/pgbouncer.log

Exit status: 0 when the run completed (whether or not anchors were found;
with --exit-code, 1 when anchors were found), 2 on bad usage or input that
could not be read (what could be read is still analysed and printed), 130
when interrupted (Ctrl-C, SIGTERM, SIGHUP): reading stops with every log at
the same time, and the report covers the logs up to it (a notice says
when); a second Ctrl-C stops at once.`
}

// setup turns the flags into the correlator's and the sources' options.
func (f *matchFlags) setup(e *env) (correlate.Config, *source.Options, error) {
	cfg := correlate.DefaultConfig()
	cfg.Paths = f.Path
	cfg.Methods = f.Method
	cfg.Before, cfg.After, cfg.SameRequest = f.Before, f.After, f.SameRequest
	cfg.Statuses = nil
	cfg.Slow = f.Slow
	if f.Slow < 0 {
		return cfg, nil, errors.New("--slow must not be negative")
	}
	for _, s := range f.Status {
		if strings.EqualFold(s, "none") {
			if f.Slow == 0 {
				return cfg, nil, errors.New("--status none leaves no anchors without --slow")
			}
			continue
		}
		r, err := correlate.ParseStatus(s)
		if err != nil {
			return cfg, nil, err
		}
		cfg.Statuses = append(cfg.Statuses, r)
	}
	cfg.Causes = correlate.Builtin
	for _, file := range f.Causes {
		added, err := correlate.LoadCauses(file)
		if err != nil {
			return cfg, nil, fmt.Errorf("--causes %w", err)
		}
		cfg.Causes = correlate.Merged(added, cfg.Causes)
	}
	if f.Slow > 0 {
		cfg.Causes = append(append(correlate.Catalogue{}, cfg.Causes...), correlate.TimeCauses...)
	}
	if f.Before < 0 || f.After < 0 || f.SameRequest <= 0 {
		return cfg, nil, errors.New("--before and --after must not be negative, --same-request must be positive")
	}
	opts := &source.Options{Loc: time.Local, Warn: e.warn, Stdin: e.stdin}
	for _, z := range f.TZ {
		glob, name := "", z
		if i := strings.LastIndexByte(z, '='); i >= 0 {
			glob, name = z[:i], z[i+1:]
		}
		loc, err := time.LoadLocation(name)
		if err != nil || name == "" {
			return cfg, nil, fmt.Errorf("--tz %s: unknown time zone %q (want an IANA name such as Asia/Jakarta or UTC)", z, name)
		}
		if glob == "" {
			opts.Loc = loc
		} else {
			opts.Zones = append(opts.Zones, source.Rule[*time.Location]{Glob: glob, Value: loc})
		}
	}
	// Without --tz, a naive bound is read in the zone estimated for the
	// logs, once it is known (rebound); the local zone until then, whose
	// order is no test.
	naive, err := f.bounds(&cfg, opts.Loc, globalZone(f.TZ))
	if err != nil {
		return cfg, nil, err
	}
	f.boundsToZone = naive && !globalZone(f.TZ)
	for _, p := range f.Parser {
		glob, spec, ok := strings.Cut(p, "=")
		if !ok || glob == "" {
			return cfg, nil, fmt.Errorf("--parser %s: want GLOB=FORMAT", p)
		}
		s, err := parser.ParseSpec(spec)
		if err != nil {
			return cfg, nil, fmt.Errorf("--parser %s: %v", p, err)
		}
		opts.Formats = append(opts.Formats, source.Rule[parser.Spec]{Glob: glob, Value: s})
	}
	return cfg, opts, nil
}

// isZoneWord reports whether a word is a zone abbreviation: 2 to 5
// capitals.
func isZoneWord(w string) bool {
	if len(w) < 2 || len(w) > 5 {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'A' || w[i] > 'Z' {
			return false
		}
	}
	return true
}

// bounds reads --since and --until into cfg, naive ones in loc, and says
// whether one was naive.
func (f *matchFlags) bounds(cfg *correlate.Config, loc *time.Location, final bool) (naive bool, err error) {
	cfg.Since, cfg.Until = time.Time{}, time.Time{}
	for _, b := range []struct {
		flag, value string
		to          *time.Time
	}{{"--since", f.Since, &cfg.Since}, {"--until", f.Until, &cfg.Until}} {
		if b.value == "" {
			continue
		}
		t, zoned, err := parseTimeBound(b.value, loc)
		if err != nil {
			return false, fmt.Errorf("%s %w", b.flag, err)
		}
		naive = naive || !zoned
		*b.to = t
	}
	if (final || !naive) && !cfg.Since.IsZero() && !cfg.Until.IsZero() && !cfg.Since.Before(cfg.Until) {
		return false, errors.New("--since must be before --until")
	}
	return naive, nil
}

// globalZone reports whether --tz names a zone for every file.
func globalZone(tz []string) bool {
	for _, z := range tz {
		if !strings.Contains(z, "=") {
			return true
		}
	}
	return false
}

// zoneGiven reports whether the user named the zone of a source's naive
// times, for all sources or for this one (or its file).
func (f *matchFlags) zoneGiven(name string) bool {
	file, _ := parser.SplitLabel(name)
	for _, z := range f.TZ {
		glob, _, isRule := strings.Cut(z, "=")
		if !isRule || source.Matches(glob, name) || source.Matches(glob, file) {
			return true
		}
	}
	return false
}

// rebound reads naive --since/--until again in the zone estimated for the
// logs (the offset most of the estimated logs were given), so that a time
// copied from a log means what it says there; it says so on stderr.
func (f *matchFlags) rebound(e *env, cfg *correlate.Config, clocks []report.ClockReport) (bool, error) {
	if !f.boundsToZone {
		return false, nil
	}
	loc, why := time.Local, "the local zone: no log's zone was estimated"
	est, from := estimatedZone(clocks)
	if est != nil {
		loc = est
		why = fmt.Sprintf("%s, the zone estimated for %s and the other logs of naive times", loc, from)
	}
	if _, err := f.bounds(cfg, loc, true); err != nil {
		return false, err
	}
	if from == "" {
		return false, nil
	}
	e.warn(fmt.Sprintf("--since/--until read in %s (give --tz to choose)", why))
	return true, nil
}

// estimatedZone is the zone estimated for most logs of naive times (the
// first such log names it), nil when none was.
func estimatedZone(clocks []report.ClockReport) (loc *time.Location, from string) {
	votes := map[time.Duration]int{}
	var best time.Duration
	for _, c := range clocks {
		if !c.Applied {
			continue
		}
		votes[c.Estimate.Offset]++
		if n := votes[c.Estimate.Offset]; n > votes[best] || n == votes[best] && from == "" {
			best, from = c.Estimate.Offset, parser.BaseName(c.File)
		}
	}
	if from == "" {
		return nil, ""
	}
	return time.FixedZone(verdict.ZoneName(best), int(best/time.Second)), from
}

// shownZone is the zone a run's times are shown in: the --tz zone, else the
// one estimated for the logs of naive times, else nil (each its own).
func (f *matchFlags) shownZone(opts *source.Options, clocks []report.ClockReport) *time.Location {
	if globalZone(f.TZ) {
		return opts.Loc
	}
	loc, _ := estimatedZone(clocks)
	return loc
}

// timeBoundLayouts are the forms --since and --until take: RFC 3339, and
// the same without a zone (read in the --tz zone), with a space or a T,
// to the minute or the second (a fraction is always allowed after seconds).
var timeBoundLayouts = []struct {
	layout string
	zoned  bool
}{
	{time.RFC3339, true},
	{"2006-01-02 15:04:05Z07:00", true},
	{"2006-01-02T15:04Z07:00", true},
	{"02/Jan/2006:15:04:05 -0700", true}, // an access log's
	{"2006-01-02T15:04:05", false},
	{"2006-01-02 15:04:05", false},
	{"2006-01-02 15:04:05,000", false}, // Python logging's asctime
	{"2006-01-02T15:04", false},
	{"2006-01-02 15:04", false},
	{"02/Jan/2006 15:04:05", false}, // runserver's
	{"02/Jan/2006:15:04:05", false},
	{"2006-01-02", false},
}

// parseTimeBound reads a --since/--until value, and says whether it named
// its zone.
func parseTimeBound(s string, loc *time.Location) (time.Time, bool, error) {
	s = strings.Trim(strings.TrimSpace(s), "[]")
	// A zone abbreviation, as PostgreSQL's %t writes it: UTC and GMT say
	// the zone; any other (WIB, CET) means what the logs' zone says, since
	// Go reads an abbreviation it does not know as offset 0.
	if i := strings.LastIndexByte(s, ' '); i > 0 && isZoneWord(s[i+1:]) {
		word := s[i+1:]
		s = s[:i]
		if word == "UTC" || word == "GMT" {
			t, _, err := parseTimeBound(s, time.UTC)
			return t, err == nil, err
		}
	}
	for _, l := range timeBoundLayouts {
		var t time.Time
		var err error
		if l.zoned {
			t, err = time.Parse(l.layout, s)
		} else {
			t, err = time.ParseInLocation(l.layout, s, loc)
		}
		if err == nil {
			return t, l.zoned, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("%q: want a date and time such as 2026-11-27T00:15:30+07:00, 2026-11-27 00:15:30 or 27/Nov/2026 00:15:30 (read in the --tz zone, else the zone estimated for the logs)", s)
}

// plural names n of a noun: "a subfolder", "3 subfolders".
func plural(n int, noun string) string {
	if n == 1 {
		return "a " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// exit is how a command that ran to its end exits: input errors first,
// then, with --exit-code, whether anchors were found.
func (f *matchFlags) exit(run *report.Run, failed bool) error {
	switch {
	case failed:
		return exitError{exitInput}
	case f.ExitCode && run.Summary.Anchors > 0:
		return exitError{exitFound}
	}
	return nil
}

// oldestOfLogs names, for each input that is one of several files of a
// rotated log in the same folder, the oldest of them (the highest rotation
// number; the first of a dated name's): the one tail met first.
func oldestOfLogs(inputs []source.Input) map[string]string {
	type logKey struct{ dir, log string }
	files := map[logKey][]source.Input{}
	for _, in := range inputs {
		if in.Path == source.Stdin {
			continue
		}
		log, _ := parser.RotatedFrom(filepath.Base(in.Name))
		k := logKey{filepath.Dir(in.Name), log}
		files[k] = append(files[k], in)
	}
	out := map[string]string{}
	for _, group := range files {
		if len(group) < 2 {
			continue
		}
		oldest, most := group[0], -1
		for _, in := range group {
			if _, age := parser.RotatedFrom(filepath.Base(in.Name)); age > most {
				oldest, most = in, age
			}
		}
		for _, in := range group {
			out[in.Name] = oldest.Path
		}
	}
	return out
}

// siblingHead is the first lines of a file opened already of the same log
// as name (its rotated files, or the log itself), nil when there is none.
func siblingHead(name string, streams []*source.Stream) []string {
	log, _ := parser.RotatedFrom(name)
	for _, s := range streams {
		if l, _ := parser.RotatedFrom(s.Input.Name); l == log && filepath.Dir(s.Input.Name) == filepath.Dir(name) {
			return s.Head()
		}
	}
	return nil
}

// Zones are guessed from the first part of each log (engine.GuessClocks)
// when the logs without a zone given come to guessFrom bytes at least:
// below, their second reading costs little. The first part of a log of
// naive times is its first hour of times: over a shorter span, on a busy
// and even load, offsets a step or two apart fit alike where the whole
// tells them apart, and the run would be read again. Tests change both.
var (
	guessFrom = int64(64 << 20)
	guessRule = engine.GuessRule{Span: time.Hour, Left: 0.5}
	// guessed hears how each run's zones were found, for tests: "survey",
	// "given" (known or none to find), "held" (the guess held), "again
	// in the zones found" or "again with a survey" (it did not).
	guessed func(how string)
)

// guessClocks is engine.GuessClocks; a test makes it guess wrong.
var guessClocks = engine.GuessClocks

func tellGuess(how string) {
	if guessed != nil {
		guessed(how)
	}
}

// zonePlan says how a run finds the zones of naive times: it may guess
// them (guess); or it is read again in the zones a run whose guess did not
// hold found (known); else a survey finds them first.
type zonePlan struct {
	guess bool
	known []report.ClockReport
	// knownSet: known holds the zones, even none.
	knownSet bool
}

// redo asks for a run to be read again with plan: the zones guessed did
// not hold. Nothing of the first reading was said or written.
type redo struct{ plan zonePlan }

func (redo) Error() string { return "the zones guessed did not hold" }

func (a *analyzeCmd) Run(e *env) error {
	// A file read once per label meets its notices once per reading.
	e.sayOnce = true
	err := a.attempt(e, zonePlan{guess: true})
	if r, ok := err.(redo); ok {
		return a.attempt(e, r.plan)
	}
	return err
}

// attempt is one run over the logs, in the zones plan finds.
func (a *analyzeCmd) attempt(e *env, plan zonePlan) (err error) {
	// A run that may guess says nothing until the guess is settled, so
	// that a second reading does not say it again; a run that ends
	// before says what it had to.
	if plan.guess {
		e.holdNotices()
		defer func() {
			if _, again := err.(redo); again {
				e.dropNotices()
				return
			}
			e.releaseNotices()
		}()
	}
	cfg, opts, err := a.setup(e)
	if err != nil {
		return err
	}
	// The report's file is made once the inputs are known, and is never
	// one of them: -o pg.log must not empty a log before it is read.
	if err := outputIsInput(a.Output, a.Paths, false); err != nil {
		return err
	}
	prog := newProgress(e)
	defer prog.done()
	opts.Read = prog.add
	opts.Stop = e.interrupted
	failed := false
	inputs, subfolders, err := source.ExpandTree(a.Paths, a.Recursive)
	done, rerr := a.redirect(e)
	if rerr != nil {
		return rerr
	}
	defer func() {
		if cerr := done(); cerr != nil && err == nil {
			err = fmt.Errorf("--output: %w", cerr)
		}
	}()
	if len(subfolders) > 0 {
		e.warn(fmt.Sprintf("%s: %s not read (--recursive reads subfolders)", strings.Join(subfolders, ", "), plural(len(subfolders), "subfolder")))
	}
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			e.warn(line)
		}
		failed = true
	}
	run := &report.Run{Config: cfg}
	lr := &locust.Run{}
	cat := engine.NewCatalog()
	opts.OnPart = cat.Found
	var consoles []string // Locust console logs, read again for their prints
	var streams []*source.Stream
	// entries are the inputs in order: a stream, or a Locust CSV file.
	type entry struct {
		// streams are the file's: one, or one per label (SplitByLabel).
		streams []*source.Stream
		csv     report.SourceInfo
	}
	var entries []entry
	defer func() {
		for _, s := range streams {
			s.Close()
		}
	}()
	// refuse says why an input is not read, and keeps Locust's CSV files
	// for the load test's figures.
	refuse := func(in source.Input, err error) {
		if errors.Is(err, source.ErrEmpty) {
			e.warn(fmt.Sprintf("%s: empty, nothing to read", in.Name))
			run.Skipped = append(run.Skipped, in.Name)
			return
		}
		if errors.Is(err, source.ErrNotRecognised) && in.Path != source.Stdin {
			if kind := engine.LocustKind(in.Path); kind != "" {
				if err := lr.ReadCSV(in.Path, kind); err != nil {
					e.warn(err.Error())
				}
				entries = append(entries, entry{csv: report.SourceInfo{File: in.Name, Format: "locust " + string(kind)}})
				return
			}
		}
		if errors.Is(err, source.ErrNotRecognised) && in.FromFolder {
			e.warn(fmt.Sprintf("%s: skipped: %s", in.Name, strings.TrimPrefix(err.Error(), in.Name+": ")))
			run.Skipped = append(run.Skipped, in.Name)
			return
		}
		if errors.Is(err, source.ErrNotRecognised) {
			err = fmt.Errorf("%w (name its format with --parser %s=FORMAT)", err, in.Name)
		}
		e.warn(err.Error())
		failed = true
	}
	// accept reads a stream, in the place of entry at.
	// accept reads a file's streams, in the place of entry at: one per
	// label when its labels come out of time order (SplitByLabel).
	accept := func(in source.Input, s *source.Stream, at int) error {
		byLabel, err := source.SplitByLabel(s, opts)
		if err != nil {
			s.Close()
			return err
		}
		if byLabel == nil {
			byLabel = []*source.Stream{s}
		}
		streams = append(streams, byLabel...)
		entries[at] = entry{streams: byLabel}
		if s.Spec.Family() == parser.FamilyLocust && in.Path != source.Stdin {
			consoles = append(consoles, in.Path)
		}
		return nil
	}
	// A file of a rotated log can begin inside a record (a stats table, a
	// traceback), which shows no format: it is read as another file of its
	// log that shows one, once every file has been opened.
	type unshownInput struct {
		in  source.Input
		err error
		at  int
	}
	var unshown []unshownInput
	oldest := oldestOfLogs(inputs)
	heads := map[string][]string{} // read once for all the log's files
	for _, in := range inputs {
		if o, ok := oldest[in.Name]; ok && o != in.Path {
			if _, read := heads[o]; !read {
				heads[o], _ = source.Head(o)
			}
			in.Sample = heads[o]
		}
		s, err := source.Open(in, opts)
		if errors.Is(err, source.ErrNotRecognised) && in.Path != source.Stdin && engine.LocustKind(in.Path) == "" {
			unshown = append(unshown, unshownInput{in, err, len(entries)})
			entries = append(entries, entry{})
			continue
		}
		if err != nil {
			refuse(in, err)
			continue
		}
		entries = append(entries, entry{})
		if err := accept(in, s, len(entries)-1); err != nil {
			refuse(in, err)
		}
	}
	for _, u := range unshown {
		if u.in.Like = siblingHead(u.in.Name, streams); u.in.Like != nil {
			if s, err := source.Open(u.in, opts); err == nil {
				if err := accept(u.in, s, u.at); err != nil {
					refuse(u.in, err)
				}
				continue
			}
		}
		refuse(u.in, u.err)
	}
	if len(streams) == 0 {
		if !failed {
			e.warn("no log files to read")
		}
		return exitError{exitInput}
	}
	engine.DateYears(opts, streams, e.warn)
	// Chains are written one by one where someone may watch them come: on
	// a terminal, or from stdin, which may be a live pipe.
	batch := !e.stdoutTerminal
	for _, in := range inputs {
		batch = batch && in.Path != source.Stdin
	}
	guess := false
	passes := 1
	switch {
	case plan.knownSet:
		run.Clocks = plan.known
		engine.ApplyClocks(plan.known, streams, cat)
		tellGuess("given")
	case engine.AnyZoneToFind(streams, a.zoneGiven):
		passes = 2 // the files are read once more for their zones
		prog.total(streams, passes)
		// A report held until the run ends is no loss where it is
		// written at the end anyway: all but JSON, which streams its
		// chains to a reader who may watch them come.
		if plan.guess && (batch || a.Format != "json") && a.worthGuessing(streams) {
			run.Clocks, guess = guessClocks(a.zoneGiven, opts, streams, cat, lr, guessRule)
		} else {
			run.Clocks = engine.EstimateClocks(a.zoneGiven, opts, streams, cat, lr)
		}
		if e.interrupted() {
			e.releaseNotices()
			e.warn("interrupted while the logs' zones were being found: nothing to report")
			return exitError{exitInterrupted}
		}
		if guess {
			prog.onePass(streams)
		} else {
			tellGuess("survey")
		}
	default:
		tellGuess("given")
	}
	if !guess {
		e.releaseNotices()
	}
	if passes == 1 {
		prog.total(streams, passes)
	}
	sel, err := a.selection()
	if err != nil {
		return err
	}
	// Text answers first: the verdict, then the chains; on a terminal the
	// verdict closes the output too, and the lines that must fit the
	// first screen are cut to its width.
	stdout := prog.stdout()
	var held *report.Held
	if guess {
		held = report.NewHeld(stdout)
		defer held.Discard()
		stdout = held
	}
	out := report.New(a.Format, stdout, report.Options{Color: a.colour(e), Batch: batch, AnswerFirst: true, Select: sel,
		Width: e.stdoutWidth, Closing: e.stdoutTerminal})
	eng := engine.New(cfg, out, cat, e.warn)
	eng.ShowIn(a.shownZone(opts, run.Clocks))
	eng.StopWhen(e.interrupted)
	eng.RenderAhead()
	defer eng.Drain()
	if guess {
		eng.Survey()
	}
	if changed, err := a.rebound(e, &cfg, run.Clocks); err != nil {
		return err
	} else if changed {
		run.Config = cfg
		eng.SetRange(cfg.Since, cfg.Until)
	}
	disorder := eng.Read(streams, func(err error) {
		e.warn(err.Error())
		failed = true
	})
	// An interrupted run reports what it read: the zones guessed stand,
	// as there is no reading again. One interrupted once every log was
	// read is a whole run.
	stopped := eng.Stopped()
	if guess {
		found, exact := run.Clocks, true
		if !stopped {
			found, exact = eng.SurveyedClocks(streams, a.zoneGiven, lr)
		}
		switch {
		case !exact:
			tellGuess("again with a survey")
			return redo{}
		case !engine.SameZones(run.Clocks, found):
			tellGuess("again in the zones found")
			return redo{zonePlan{known: found, knownSet: true}}
		}
		tellGuess("held")
		run.Clocks = found
		e.releaseNotices()
		// A reader gone shows again, and is said, when the summary is
		// written (finish).
		if err := held.Release(); err != nil && !isBrokenPipe(err) {
			return fmt.Errorf("writing output: %w", err)
		}
	}
	for i, s := range streams {
		if msg := lateNotice(s, disorder[i]); msg != "" {
			e.warn(msg)
		}
	}
	merged := map[*source.Stream]int{}
	for i, s := range streams {
		merged[s] = i
	}
	for _, en := range entries {
		if en.streams == nil {
			if en.csv.File != "" {
				run.Sources = append(run.Sources, en.csv)
			}
			continue
		}
		for _, s := range en.streams {
			run.Sources = append(run.Sources, eng.Sources(s, disorder[merged[s]])...)
		}
	}
	for _, c := range consoles {
		if err := lr.ReadConsole(c); err != nil {
			e.warn(err.Error())
		}
	}
	eng.Summarize(run, lr)
	prog.done()
	if err := finish(e, eng, run); err != nil {
		return err
	}
	if stopped {
		reached := "none of the logs' events"
		if t := eng.Reached(); !t.IsZero() {
			reached = "the logs up to " + t.Format("2006-01-02 15:04:05 -07:00")
		}
		e.warn("interrupted: the report covers " + reached + ", not what follows")
		return exitError{exitInterrupted}
	}
	return a.exit(run, failed)
}

// lateNotice says, of a viewer's output read from stdin (docker compose
// logs piped in), whose containers' lines came a block at a time, later
// than chains wait for, that the chains may lack them and how to read it
// whole; "" otherwise. A file of it is read a container at a time
// (source.SplitByLabel); a pipe cannot be read twice. Other logs' lines
// written late are said in Sources, as they were handled.
func lateNotice(s *source.Stream, d correlate.Disorder) string {
	k := s.Splitter().Envelope()
	if k == nil || !k.Apart() || s.Input.Path != source.Stdin || d.Late == 0 || d.Worst <= correlate.MaxWait+correlate.DefaultSlack {
		return ""
	}
	return fmt.Sprintf("%s: %s written up to %s behind lines of a later time, longer than chains wait (%s), and the chains around them may lack what they show: "+
		"%s prints each container's lines a block at a time; saved to a file, it is read a container at a time, each in its own order",
		s.Input.Name, plural(d.Late, "event"), d.Worst.Round(100*time.Millisecond), correlate.MaxWait, k.Name)
}

// worthGuessing reports whether the logs whose zone is to find are large
// enough for a guess of their zones to pay (guessFrom).
func (a *analyzeCmd) worthGuessing(streams []*source.Stream) bool {
	var size int64
	for _, s := range streams {
		if s.Input.Path == source.Stdin || a.zoneGiven(s.Input.Name) {
			continue
		}
		size += max(s.Size(), 0)
	}
	return size >= guessFrom
}

// finish writes the run's summary: on stderr, as text, when the reader of
// stdout is gone (Ctrl-C interrupts a whole pipeline), so that the person
// still gets it.
func finish(e *env, eng *engine.Engine, run *report.Run) error {
	renderErr := eng.Finish(run)
	if renderErr != nil && isBrokenPipe(renderErr) && e.stderr != nil {
		e.warn(fmt.Sprintf("stdout was closed (%v) after %d chains; the summary follows here", renderErr, eng.Chains()))
		if err := report.New("text", e.stderr, report.Options{}).Finish(run); err == nil {
			return exitError{exitInput}
		}
	}
	if renderErr != nil {
		return fmt.Errorf("writing output: %w", renderErr)
	}
	return nil
}
