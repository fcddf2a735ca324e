package parser_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/logcorr/logcorr/parser"
)

// BenchmarkDemux sets a file read through parser.Demux (as analyze and tail
// read every file) beside its parser alone, to show what telling programs
// apart costs.
func BenchmarkDemux(b *testing.B) {
	for _, name := range []string{"runserver_8000.err.log", "django_errors.log", "pgbouncer.log"} {
		t := &testing.T{}
		lines := readLines(t, filepath.Join(captureDirs[0], name))
		d, _ := parser.Detect(lines)
		size := int64(0)
		for _, l := range lines {
			size += int64(len(l)) + 1
		}
		for _, via := range []string{"parser", "demux"} {
			b.Run(name+"/"+via, func(b *testing.B) {
				b.SetBytes(size)
				for i := 0; i < b.N; i++ {
					var p parser.Parser
					emit := func(parser.Event) {}
					if via == "parser" {
						p = d.Spec.New(parser.NewClock(name, time.UTC, nil), emit)
					} else {
						dm := parser.NewDemux(name, func(n string) *parser.Clock { return parser.NewClock(n, time.UTC, nil) }, emit)
						dm.StartWith(d.Spec)
						p = dm
					}
					for j, l := range lines {
						p.Feed(parser.Line{Num: j + 1, Text: l})
					}
					p.Flush()
				}
			})
		}
	}
}
