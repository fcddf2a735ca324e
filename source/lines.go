package source

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// MaxLine is the longest line kept whole; the rest of a longer line is
// dropped with a notice, so one runaway line cannot exhaust memory.
const MaxLine = 1 << 20

// LineReader reads lines of any length from a reader, counting them and
// the bytes consumed. Line terminators are removed; CR is left for the
// parsers' Clean, which also serves lines that come from elsewhere.
type LineReader struct {
	r     *bufio.Reader
	num   int
	bytes int64
	buf   []byte
	// OnLong is told the number of a line cut at MaxLine.
	OnLong func(line int)
}

// NewLineReader reads lines from r.
func NewLineReader(r io.Reader) *LineReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &LineReader{r: br}
}

// Line is the number of the last line returned.
func (l *LineReader) Line() int { return l.num }

// Bytes is how many bytes have been consumed.
func (l *LineReader) Bytes() int64 { return l.bytes }

// Next returns the next line. A last line without a newline is returned
// too; io.EOF comes after it.
func (l *LineReader) Next() (string, error) {
	l.buf = l.buf[:0]
	cut := false
	for {
		chunk, err := l.r.ReadSlice('\n')
		l.bytes += int64(len(chunk))
		if !cut {
			room := MaxLine - len(l.buf)
			if len(chunk) > room {
				l.buf = append(l.buf, chunk[:room]...)
				cut = true
			} else {
				l.buf = append(l.buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (len(l.buf) == 0 || !errors.Is(err, io.EOF)) {
			if len(l.buf) > 0 {
				// The line read before a failure is kept: nothing read is lost.
				l.num++
				return string(l.buf), nil
			}
			return "", err
		}
		l.num++
		if cut && l.OnLong != nil {
			l.OnLong(l.num)
		}
		return string(bytes.TrimSuffix(l.buf, []byte{'\n'})), nil
	}
}
