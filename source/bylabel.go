package source

import (
	"errors"
	"strings"
	"time"

	"github.com/logcorr/logcorr/envelope"
	"github.com/logcorr/logcorr/parser"
)

// SplitByLabel reopens a saved file whose envelope names several labels
// that a viewer fetched apart (compose services, pods: envelope.Kind.Apart)
// as one stream per label, each reading
// the whole file and keeping its label's records, so that the merge
// orders every label by its own time. One stream would place the lines
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
	labels, samples, err := labelsOf(in.Path, kind, s.split.indent)
	if err != nil || len(labels) < 2 {
		return nil, err
	}
	var streams []*Stream
	var unread []string
	for _, l := range labels {
		one := in
		one.Labels, one.Sample = []string{l}, samples[l]
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
	// The first stream also reads what no label's own stream took.
	first := streams[0]
	keep := first.Input
	keep.Labels, keep.Outside = append(append([]string{}, keep.Labels...), unread...), true
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

// labelsOf reads a file through its envelope and returns the labels its
// records name, in the order they first appear, and each label's first
// lines as the file holds them (envelope and all), to find its programs
// from as a file's first lines are.
func labelsOf(path string, kind *envelope.Kind, indent string) ([]string, map[string][]string, error) {
	f, err := OpenFile(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	lr := NewLineReader(f)
	unwrap := kind.Open(parser.NewClock(path, time.UTC, nil))
	var labels []string
	samples := map[string][]string{}
	// pending are the lines read since the last record came out: a
	// record can span lines (journald's export format).
	var pending []string
	put := func(r envelope.Record) {
		sample, seen := samples[r.Label]
		if !seen && r.Label != "" {
			labels = append(labels, r.Label)
		}
		if len(sample) < sampleLines {
			// Copied: a line read is a piece of a 64 KB block, and a
			// label's first lines can lie far apart in a large file.
			for _, l := range pending {
				sample = append(sample, strings.Clone(l))
			}
			samples[r.Label] = sample
		}
		pending = pending[:0]
	}
	for {
		line, err := lr.Next()
		if err != nil {
			break
		}
		text := strings.TrimPrefix(line, indent)
		pending = append(pending, line)
		if !unwrap.Unwrap(lr.Line(), text, put) {
			pending = pending[:0]
		}
	}
	unwrap.Flush(put)
	return labels, samples, nil
}
