package parser_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/logcorr/logcorr/parser"
)

// BenchmarkParsers reports each parser's MB/s on its real capture file, read
// into memory first so that only parsing is measured.
func BenchmarkParsers(b *testing.B) {
	for _, name := range []string{"runserver_8000.err.log", "django_errors.log", "auth_debug.log", "pgbouncer.log"} {
		b.Run(name, func(b *testing.B) {
			t := &testing.T{}
			lines := readLines(t, filepath.Join(captureDirs[0], name))
			d, ok := parser.Detect(lines)
			if !ok {
				b.Fatal("not detected")
			}
			size := int64(0)
			for _, l := range lines {
				size += int64(len(l)) + 1
			}
			b.SetBytes(size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n := 0
				p := d.Spec.New(parser.NewClock(name, time.UTC, nil), func(parser.Event) { n++ })
				for j, l := range lines {
					p.Feed(parser.Line{Num: j + 1, Text: l})
				}
				p.Flush()
				if n == 0 {
					b.Fatal("no events")
				}
			}
		})
	}
}
