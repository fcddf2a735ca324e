package report

import (
	"bytes"
	"io"
)

// Held keeps what is written to it (in a spool: memory, then an unlinked
// temporary file) until Release passes it on to its writer, or Discard
// drops it. analyze writes a report read in zones it guessed, and lets it
// out once the whole run has shown the guess right.
type Held struct {
	to       io.Writer
	sp       spool
	released bool
}

// NewHeld holds what is written for to.
func NewHeld(to io.Writer) *Held { return &Held{to: to} }

func (h *Held) Write(b []byte) (int, error) {
	if h.released {
		return h.to.Write(b)
	}
	return h.sp.Write(b)
}

// Release writes what was held to its writer, in order; from then on
// writes go straight to it.
func (h *Held) Release() error {
	h.released = true
	return h.sp.copyTo(h.to)
}

// Discard drops what is held; after Release there is nothing to drop.
func (h *Held) Discard() {
	h.sp.close()
	h.sp.mem, h.sp.err = bytes.Buffer{}, nil
}
