package source

import (
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"github.com/logcorr/logcorr/envelope"
	"github.com/logcorr/logcorr/parser"
)

// SplitByLabel reopens a saved file whose envelope names several labels
// that a viewer fetched apart (compose services, pods: envelope.Kind.Apart),
// when they come out of time order (labelsFound.apart), as one stream per
// label, each reading the part of the file its label lies in and keeping
// its label's records, so that the merge orders every label by its own
// time. One stream would place the lines
// in the order the file holds them, and a collector's saved output need
// not be in time order across labels: docker compose logs prints a
// container's lines in chunks as its API hands them over (docker/compose
// #5398, #10377: minutes or hours out of order), kubectl logs -l --prefix
// one pod's log after another. Each label's lines were read ahead of the
// others' by the whole of a label, minutes late for the merge, and their
// chains lost their evidence. It returns nil, and leaves s open, when the
// file has one label or none, its envelope is a collector's (written as
// the lines came), or it is stdin (read once); otherwise it
// closes s and returns the streams, the first of which also counts the
// lines outside the envelope. A label none of whose lines any format
// reads goes with the first stream, which names its lines as it always
// has.
func SplitByLabel(s *Stream, opts *Options) ([]*Stream, error) {
	in := s.Input
	kind := s.split.Envelope()
	if in.Path == Stdin || kind == nil || !kind.Apart() || in.Labels != nil {
		return nil, nil
	}
	// A pipe or a FIFO named by its path can be read once only.
	if fi, err := os.Stat(in.Path); err != nil || !fi.Mode().IsRegular() {
		return nil, nil
	}
	// The file's first lines, interleaving its labels as they were
	// written (docker compose up, logs -f, -t), spare a reading of the
	// whole: a viewer's blocks begin with one label's.
	head := readLabels(strings.NewReader(strings.Join(s.Head(), "\n")), kind, s.split.indent)
	if len(head.labels) >= 2 && !head.apart() {
		return nil, nil
	}
	lf, err := labelsOf(in.Path, kind, s.split.indent)
	if err != nil || len(lf.labels) < 2 || !lf.apart() {
		return nil, err
	}
	var streams []*Stream
	var unread []string
	for _, l := range lf.labels {
		one := in
		sp := lf.spans[l]
		one.Labels, one.Sample = []string{l}, lf.samples[l]
		one.From, one.To, one.FirstLine = sp.from, sp.to, sp.line
		st, err := Open(one, opts)
		switch {
		case errors.Is(err, ErrNotRecognised):
			unread = append(unread, l)
			continue
		case err != nil:
			closeStreams(streams)
			return nil, err
		}
		streams = append(streams, st)
	}
	if len(streams) == 0 {
		return nil, nil
	}
	// The first stream also reads what no label's own stream took, from
	// the start of the file to its end.
	first := streams[0]
	keep := first.Input
	keep.Labels, keep.Outside = append(append([]string{}, keep.Labels...), unread...), true
	keep.From, keep.To, keep.FirstLine = 0, 0, 0
	again, err := Open(keep, opts)
	if err != nil {
		closeStreams(streams)
		return nil, err
	}
	first.Close()
	streams[0] = again
	s.Close()
	return streams, nil
}

func closeStreams(streams []*Stream) {
	for _, st := range streams {
		st.Close()
	}
}

// labelsFound is what one reading of a file through its envelope found.
type labelsFound struct {
	// labels in the order they first appear, each one's first lines as
	// the file holds them (envelope and all), to find its programs from
	// as a file's first lines are, and the part of the file it lies in.
	labels  []string
	samples map[string][]string
	spans   map[string]*labelSpan
	// runs counts the file's runs of one label's records; stamped, that
	// the collector dated them; behind, the most a record's stamp was
	// behind one before it.
	runs    int
	stamped bool
	behind  time.Duration
}

// labelSpan is the part of a file one label's records lie in: from the
// byte its first record starts at (after line lines) to where its last
// ends.
type labelSpan struct {
	from, to int64
	line     int
	// label is the label, copied: the line it was read from is not kept.
	label string
}

// apart reports whether the labels' records are out of time order across
// labels, as a viewer that fetched them apart prints them: by the
// collector's times, one more than a merge waits behind another; with no
// times, in blocks (a few runs a label: kubectl's one pod after another,
// compose's services named on its command line). Output that interleaves
// the labels line by line as they were written (docker compose up, logs
// -f) is read once, as the merge orders it anyway.
func (lf *labelsFound) apart() bool {
	if lf.stamped {
		return lf.behind > apartBehind
	}
	return lf.runs <= blockRuns*len(lf.labels)
}

// apartBehind is how far behind a record a label's may be before the file
// is read once per label: more than the merge waits for a line written
// late (correlate.MaxWait, 15 s) and its slack (2 s).
const apartBehind = 17 * time.Second

// blockRuns is how many runs a label may have in a file of blocks.
const blockRuns = 8

func labelsOf(path string, kind *envelope.Kind, indent string) (*labelsFound, error) {
	f, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLabels(f, kind, indent), nil
}

// readLabels reads lines through their envelope for what labelsOf finds.
func readLabels(r io.Reader, kind *envelope.Kind, indent string) *labelsFound {
	lr := NewLineReader(r)
	// The lines are read, not kept: what is kept of them is copied (the
	// samples, a label). The envelopes read apart wrap a record a line.
	lr.transient = true
	unwrap := kind.Open(parser.NewClock("", time.UTC, nil))
	lf := &labelsFound{samples: map[string][]string{}, spans: map[string]*labelSpan{}}
	sizes := map[string]int{}
	// pending are the lines read since the last record came out (a
	// record can span lines: journald's export format), from the byte
	// pendingFrom, after line pendingLine.
	var pending []string
	var pendingFrom int64
	pendingLine := 0
	var newest time.Time
	last, seen := "", false
	put := func(r envelope.Record) {
		sp := lf.spans[r.Label]
		if sp == nil {
			sp = &labelSpan{from: pendingFrom, line: pendingLine, label: strings.Clone(r.Label)}
			lf.spans[sp.label] = sp
			if sp.label != "" {
				lf.labels = append(lf.labels, sp.label)
			}
		}
		label := sp.label
		sp.to = lr.Bytes()
		if !seen || label != last {
			lf.runs++
		}
		last, seen = label, true
		if !r.Stamp.IsZero() {
			lf.stamped = true
			if newest.Sub(r.Stamp) > lf.behind {
				lf.behind = newest.Sub(r.Stamp)
			}
			if r.Stamp.After(newest) {
				newest = r.Stamp
			}
		}
		sample := lf.samples[label]
		for _, l := range pending {
			if len(sample) >= sampleLines || sizes[label]+len(l) > sampleBytes {
				break
			}
			sample = append(sample, strings.Clone(l))
			sizes[label] += len(l)
		}
		lf.samples[label] = sample
		pending = pending[:0]
	}
	for {
		from, num := lr.Bytes(), lr.Line()
		line, err := lr.Next()
		if err != nil {
			break
		}
		if len(pending) == 0 {
			pendingFrom, pendingLine = from, num
		}
		pending = append(pending, line)
		if !unwrap.Unwrap(lr.Line(), strings.TrimPrefix(line, indent), put) {
			pending = pending[:0]
		}
	}
	unwrap.Flush(put)
	return lf
}
