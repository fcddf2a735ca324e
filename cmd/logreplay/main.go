// Command logreplay writes a captured incident's logs into live files at
// their original pace (or faster), rotating files on the way, to watch
// `logcorr tail` work or to test it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/logcorr/logcorr/replay"
)

type rotations map[string]replay.Rotation

func (r rotations) String() string { return fmt.Sprint(map[string]replay.Rotation(r)) }
func (r rotations) Set(s string) error {
	name, rot, err := replay.ParseRotation(s)
	if err == nil {
		r[name] = rot
	}
	return err
}

// zones is -tz: ZONE for every file, or NAME=ZONE for one (repeatable).
type zones struct {
	all   *time.Location
	named map[string]*time.Location
}

func (z *zones) String() string { return "Local" }
func (z *zones) Set(s string) error {
	name, zone, named := strings.Cut(s, "=")
	if !named {
		zone = name
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return fmt.Errorf("unknown time zone %q", zone)
	}
	if !named {
		z.all = loc
		return nil
	}
	if z.named == nil {
		z.named = map[string]*time.Location{}
	}
	z.named[name] = loc
	return nil
}

func main() {
	rot := rotations{}
	tz := &zones{all: time.Local}
	speed := flag.Float64("speed", 1, "pace: 1 is the original, 10 ten times faster, 0 as fast as possible")
	flag.Var(tz, "tz", "ZONE: zone of the logs' naive timestamps (to keep the files in step); NAME=ZONE: of file NAME's (repeatable)")
	split := flag.Int("split-every", 0, "write every n-th line in two pieces (0: never)")
	loops := flag.Int("loops", 1, "replay the files this many times, each time with their timestamps moved on past the last")
	copies := flag.Int("copies", 0, "write the files at once, this many copies one after another, each copy's timestamps moved on by -step (a large input for benchmarks); no pacing, no rotation")
	step := flag.Duration("step", 2*time.Minute, "with -copies: how far each copy's timestamps move on from the one before")
	keep := flag.String("keep", "", "folder where files a recreate rotation removes are kept (hard-linked), to read everything written afterwards")
	flag.Var(rot, "rotate", "NAME=MODE@FRACTION: rotate NAME once, after that fraction of its lines; NAME=MODE/EVERY: rotate it every EVERY (e.g. 200ms), numbering as logrotate; NAME * is every file; MODE is rename, copytruncate or recreate (repeatable)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), `usage: logreplay [flags] SOURCE-FOLDER DEST-FOLDER FILE...

Writes the FILEs of SOURCE-FOLDER into DEST-FOLDER line by line at the pace
their timestamps give, e.g. next to "logcorr tail DEST-FOLDER":

  logreplay --speed 5 --tz Asia/Jakarta --rotate runserver_8000.err.log=rename@0.5 \
    testdata/login-storm-psycopg2/logs /tmp/live runserver_8000.err.log django_errors.log auth_debug.log pgbouncer.log

`)
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() < 3 {
		flag.Usage()
		os.Exit(2)
	}
	src, dst := flag.Arg(0), flag.Arg(1)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "logreplay: %v\n", err)
		os.Exit(2)
	}
	if *copies > 0 {
		if err := replay.RepeatFiles(src, dst, flag.Args()[2:], *copies, *step); err != nil {
			fmt.Fprintf(os.Stderr, "logreplay: %v\n", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	reports, err := replay.Run(ctx, src, flag.Args()[2:], dst, replay.Plan{Speed: *speed, Rotate: rot, SplitEvery: *split, Loc: tz.all, Zones: tz.named, Loops: *loops, Keep: *keep})
	for _, r := range reports {
		var parts []string
		for i, n := range r.Lines {
			name := r.Name
			if age := len(r.Lines) - 1 - i; age > 0 {
				name += fmt.Sprintf(".%d", age)
				if r.Removed {
					name = r.Name + " (removed)"
				}
			}
			parts = append(parts, fmt.Sprintf("%d lines to %s", n, name))
		}
		fmt.Fprintf(os.Stderr, "logreplay: %s: %s\n", filepath.Join(dst, r.Name), strings.Join(parts, ", "))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "logreplay: %v\n", err)
		os.Exit(1)
	}
}
