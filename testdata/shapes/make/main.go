// Command make writes the shapes of a capture that TestShapes reads, so
// that they can be looked at and tried by hand:
//
//	go run ./testdata/shapes/make -list
//	go run ./testdata/shapes/make -shape compose-t -out /tmp/compose-t
//	go run ./testdata/shapes/make -out /tmp/shapes        # every shape, a folder each
//	logcorr analyze /tmp/compose-t
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/logcorr/logcorr/testdata/shapes"
)

func main() {
	list := flag.Bool("list", false, "list the shapes and how each is made")
	name := flag.String("shape", "", "the shape to make (default: every shape, each in a folder of its name under -out)")
	logs := flag.String("logs", "testdata/login-storm-psycopg2/logs", "the capture's logs")
	out := flag.String("out", "", "where to write the shape")
	zone := flag.String("tz", "Asia/Jakarta", "the zone of the capture's naive times")
	flag.Parse()
	if err := run(*list, *name, *logs, *out, *zone); err != nil {
		fmt.Fprintf(os.Stderr, "make: %v\n", err)
		os.Exit(2)
	}
}

func run(list bool, name, logs, out, zone string) error {
	if list {
		for _, s := range shapes.All() {
			fmt.Printf("%s\n    %s\n", s.Name, s.Doc)
		}
		return nil
	}
	if out == "" {
		return fmt.Errorf("-out is needed (or -list)")
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return err
	}
	todo := shapes.All()
	dirOf := func(s shapes.Shape) string { return filepath.Join(out, s.Name) }
	if name != "" {
		s, ok := shapes.Named(name)
		if !ok {
			return fmt.Errorf("no shape %q (-list lists them)", name)
		}
		todo = []shapes.Shape{s}
		dirOf = func(shapes.Shape) string { return out }
	}
	for _, s := range todo {
		dir := dirOf(s)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		m, err := s.Make(logs, dir, loc)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Name, err)
		}
		fmt.Printf("%s: %d lines of the capture written to %s\n", s.Name, len(m), dir)
	}
	return nil
}
