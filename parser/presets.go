package parser

import "sync"

// PyPresets are logging formats worth a name: Django's documented ones and
// shapes common in projects and tools. A preset that is a known program's
// own format gives its logs that program's family.
var PyPresets = []struct {
	Name, Format string
	Family       Family
}{
	{"django-verbose", "{levelname} {asctime} {module} {process:d} {thread:d} {message}", ""},
	{"django-verbose-percent", "%(levelname)s %(asctime)s %(module)s %(process)d %(thread)d %(message)s", ""},
	{"django-simple", "{levelname} {message}", ""},
	{"basic", "%(asctime)s %(levelname)s %(name)s: %(message)s", ""},
	{"bracket-level", "%(asctime)s [%(levelname)s] %(name)s: %(message)s", ""},
	{"cookbook", "%(asctime)s - %(name)s - %(levelname)s - %(message)s", ""},
	{"locust", "[%(asctime)s] %(hostname)s/%(levelname)s/%(name)s: %(message)s", FamilyLocust},
	{"gunicorn", "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s", FamilyGunicorn},
}

var presetsOnce = sync.OnceValue(func() []*PyFormat {
	var out []*PyFormat
	for _, p := range PyPresets {
		if pf, err := CompilePyFormat(p.Format); err == nil {
			out = append(out, pf)
		}
	}
	return out
})

// compiledPresets are the presets that can be used (those with a time),
// compiled once.
func compiledPresets() []*PyFormat { return presetsOnce() }
