// Package source turns the paths a user names into parsed event streams:
// it expands folders, opens files, stdin and gzip, reads lines, picks each
// source's format and time zone, and drives its parser.
package source

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/logcorr/logcorr/parser"
)

// Stdin is the path that names standard input.
const Stdin = "-"

// StdinName is how output names standard input.
const StdinName = "<stdin>"

// Input is one log source to read.
type Input struct {
	// Name is how output names the source: the path as the user gave it,
	// or joined to the folder the user gave.
	Name string
	// Path is what to open: a file path, or "-" for stdin.
	Path string
	// FromFolder is set for files found in a folder rather than named.
	FromFolder bool
	// Like, when set, are the first lines of another file of the same log
	// (the one rotation left it beside), to choose the format from when the
	// file's own first lines show none: a rotated file can begin inside a
	// record (Locust's stats tables, a traceback), as tail reads it.
	Like []string
	// Sample, when set, are the first lines of the oldest file of its
	// log, to choose the format and the programs from before the file's
	// own: every file of a rotated log is then read alike, its programs
	// named alike, as tail reads every generation of a path with its
	// first's (a file of two programs that begins with the second's lines
	// would otherwise name them the other way round).
	Sample []string
	// Labels, when set, are the only labels of the file's envelope this
	// stream reads (SplitByLabel: the file is read once per label); with
	// Outside it also counts the lines outside the envelope and reads the
	// records that name no label.
	Labels  []string
	Outside bool
	// From and To, when To is set, are the part of an uncompressed file
	// the stream reads (its labels' blocks), and FirstLine the number of
	// the line before From: the lines keep their numbers in the file.
	From, To  int64
	FirstLine int
}

// Rule applies a value to the sources whose name matches a glob.
type Rule[T any] struct {
	Glob  string
	Value T
}

// Options says how to read sources.
type Options struct {
	// Loc is the zone of naive timestamps unless a ZoneRule says otherwise.
	Loc     *time.Location
	Zones   []Rule[*time.Location]
	Formats []Rule[parser.Spec]
	// Warn receives one-line notices for stderr.
	Warn func(string)
	// Stdin is read for the path "-".
	Stdin io.Reader
	// Read, when set, is told how many bytes each read of a source took
	// as stored (compressed or not), for a progress bar.
	Read func(n int)
	// OnPart, when set, is told of each logical source as a file's reader
	// finds it (a program in a stream, a service in compose output).
	OnPart func(*parser.Part)
	// Stop, when set, says the user asked the run to stop: the loops that
	// read many streams at once (the engine's zone survey and merge) end
	// there, all at one point in time, rather than each file wherever its
	// reader was. It is asked for every event, so it must be cheap.
	Stop func() bool

	// labels and outside are the Input's Labels and Outside, set on the
	// stream's own copy of the options for its Splitter.
	labels  []string
	outside bool
}

// Matches reports whether a source name matches a rule's glob, tried against
// the whole name and against its base name, with either slash.
func Matches(glob, name string) bool {
	if glob == name {
		return true
	}
	norm := func(s string) string { return strings.ReplaceAll(s, `\`, "/") }
	g, n := norm(glob), norm(name)
	if ok, _ := filepath.Match(g, n); ok {
		return true
	}
	base := n[strings.LastIndexByte(n, '/')+1:]
	ok, _ := filepath.Match(g, base)
	return ok
}

// ZoneFor returns the zone of naive timestamps in a source: a logical
// source (compose.log[web-1]) by its own name, else by its file's.
func (o *Options) ZoneFor(name string) *time.Location {
	file, _ := parser.SplitLabel(name)
	for i := len(o.Zones) - 1; i >= 0; i-- {
		if Matches(o.Zones[i].Glob, name) || file != name && Matches(o.Zones[i].Glob, file) {
			return o.Zones[i].Value
		}
	}
	if o.Loc == nil {
		return time.Local
	}
	return o.Loc
}

// FormatFor returns the format the user forced on a source, if any.
func (o *Options) FormatFor(name string) (parser.Spec, bool) {
	for i := len(o.Formats) - 1; i >= 0; i-- {
		if Matches(o.Formats[i].Glob, name) {
			return o.Formats[i].Value, true
		}
	}
	return parser.Spec{}, false
}

func (o *Options) warn(format string, args ...any) {
	if o.Warn != nil {
		o.Warn(fmt.Sprintf(format, args...))
	}
}

// Expand turns command-line paths into inputs: a file as it is, a folder as
// the files in it (not its subfolders; hidden files skipped), "-" as stdin.
// A path that cannot be read is an error naming it.
func Expand(paths []string) ([]Input, error) {
	in, _, err := ExpandTree(paths, false)
	return in, err
}

// ExpandTree is Expand that reads subfolders too when recursive (hidden
// ones skipped), and otherwise names the subfolders it left out, so that
// they can be reported rather than silently ignored.
func ExpandTree(paths []string, recursive bool) (inputs []Input, skipped []string, err error) {
	var errs []error
	var walk func(dir string)
	walk = func(dir string) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			errs = append(errs, describeOpenError(dir, err))
			return
		}
		var names, dirs []string
		for _, e := range entries {
			switch {
			case strings.HasPrefix(e.Name(), "."):
			case e.IsDir():
				dirs = append(dirs, filepath.Join(dir, e.Name()))
			default:
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			name := filepath.Join(dir, n)
			inputs = append(inputs, Input{Name: name, Path: name, FromFolder: true})
		}
		sort.Strings(dirs)
		for _, d := range dirs {
			if recursive {
				walk(d)
			} else {
				skipped = append(skipped, d)
			}
		}
	}
	for _, p := range paths {
		if p == Stdin {
			inputs = append(inputs, Input{Name: StdinName, Path: Stdin})
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			errs = append(errs, describeOpenError(p, err))
			continue
		}
		if !fi.IsDir() {
			inputs = append(inputs, Input{Name: p, Path: p})
			continue
		}
		walk(p)
	}
	return inputs, skipped, errors.Join(errs...)
}

func describeOpenError(p string, err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s: no such file or folder", p)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%s: permission denied", p)
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", p, pe.Err)
	}
	return fmt.Errorf("%s: %v", p, err)
}
