package main

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/envelope"
	"github.com/logcorr/logcorr/parser"
)

type formatsCmd struct {
	Causes []string `name:"causes" sep:"none" placeholder:"FILE" predictor:"file" help:"Also list the causes in this JSON file, as analyze --causes would add them."`
}

func (formatsCmd) Help() string {
	return `Lists the log formats logcorr reads, with an example line of each, the
envelopes it unwraps (docker, compose, Kubernetes, journald, syslog,
Heroku), the Python logging presets --parser accepts, and the causes it
knows. Files are recognised by their first lines; --parser GLOB=FORMAT
names a format instead.`
}

func (c *formatsCmd) Run(e *env) error {
	causes := correlate.Builtin
	for _, file := range c.Causes {
		added, err := correlate.LoadCauses(file)
		if err != nil {
			return fmt.Errorf("--causes %w", err)
		}
		causes = correlate.Merged(added, causes)
	}
	w := bufio.NewWriter(e.stdout)
	fmt.Fprintf(w, "Log formats (recognised by their first lines; --parser GLOB=FORMAT names one):\n")
	for _, f := range parser.Formats() {
		name := f.Name
		switch {
		case f.NeedsOption:
			name += ":" + f.Option
		case f.Option != "":
			name += ", " + f.Name + ":" + f.Option
		}
		fmt.Fprintf(w, "  %s\n      %s (%s logs)\n", name, f.Summary, f.Family)
		if len(f.Examples) > 0 {
			fmt.Fprintf(w, "      e.g. %s\n", f.Examples[0])
		}
	}
	fmt.Fprintf(w, "\nEnvelopes (how collectors wrap lines; unwrapped first, then each program's lines are read as above):\n")
	for _, k := range envelope.Kinds() {
		fmt.Fprintf(w, "  %s\n      e.g. %s\n", k.Name, k.Example)
	}
	fmt.Fprintf(w, "\nPython logging presets (--parser GLOB=NAME):\n")
	width := 0
	for _, p := range parser.PyPresets {
		width = max(width, len(p.Name))
	}
	for _, p := range parser.PyPresets {
		note := ""
		if _, err := parser.ParseSpec(p.Name); err != nil {
			note = "  (named only to say why it cannot be used: it has no time)"
		}
		fmt.Fprintf(w, "  %-*s  %s%s\n", width, p.Name, p.Format, note)
	}
	fmt.Fprintf(w, "\nCauses (docs/causes.md; --causes FILE adds yours):\n")
	width = 0
	for _, c := range causes {
		width = max(width, len(c.ID))
	}
	for _, c := range causes {
		fmt.Fprintf(w, "  %-*s  %s (shows in %s logs)\n", width, c.ID, c.Title, strings.Join(c.Shows, ", "))
	}
	return w.Flush()
}
