package report

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/logcorr/logcorr/correlate"
)

// NDJSON writes one JSON object per line, flushed at once: a chain as soon
// as it is found ({"type": "chain", …}, the fields of a chain in the JSON
// document), and the summary at the end ({"type": "summary", …}). It is
// what tail writes, where a document could only be read once it ends.
type NDJSON struct {
	w   *bufio.Writer
	enc *json.Encoder
}

// NewNDJSON returns an NDJSON renderer.
func NewNDJSON(w io.Writer) *NDJSON {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &NDJSON{w: bw, enc: enc}
}

type ndjsonChain struct {
	Type string `json:"type"`
	JSONChain
}

type ndjsonSummary struct {
	Type string `json:"type"`
	JSONSummary
}

// Chain implements Renderer.
func (n *NDJSON) Chain(c *correlate.Chain) error {
	if err := n.enc.Encode(ndjsonChain{"chain", ChainJSON(c)}); err != nil {
		return err
	}
	return n.w.Flush()
}

// Finish implements Renderer.
func (n *NDJSON) Finish(r *Run) error {
	if err := n.enc.Encode(ndjsonSummary{"summary", SummaryJSON(r)}); err != nil {
		return err
	}
	return n.w.Flush()
}
