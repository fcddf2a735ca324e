package source

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"unsafe"
)

// MaxLine is the longest line kept whole; the rest of a longer line is
// dropped with a notice, so one runaway line cannot exhaust memory.
const MaxLine = 1 << 20

// blockSize is how much LineReader reads at once, and the size of the
// blocks it copies the lines it returns into: one allocation per block of
// lines instead of one per line. A line some event keeps holds its block,
// so what keeps lines for the whole run must copy them (strings.Clone).
const blockSize = 64 << 10

// chunkSize is the chunk lines are read into: twice the bufio.Reader's
// buffer under it (64 KB in newStream), so that a read asks for at least a
// buffer's worth even with the start of a line kept at the front. A
// bufio.Reader hands such a read to the file directly; a smaller one it
// reads into its own buffer and copies out, a second copy of every byte.
const chunkSize = 2 * blockSize

// LineReader reads lines of any length from a reader, counting them and
// the bytes consumed. Line terminators are removed; CR is left for the
// parsers' Clean, which also serves lines that come from elsewhere.
type LineReader struct {
	r     *bufio.Reader
	num   int
	bytes int64
	// chunk[pos:have] is read and not yet returned: whole lines, then
	// perhaps the start of one. The chunk is read into again and again; a
	// line Next returns is copied out of it into arena, one Skim takes
	// never is (most of a traceback's lines, most of an error log's
	// bytes).
	chunk     []byte
	pos, have int
	err       error // the read error after chunk[:have]
	// arena holds the lines returned, back to back, up to blockSize: the
	// strings Next returns are pieces of it, and it is never written over.
	arena strings.Builder
	buf   []byte
	// skimmed counts the lines Skim took.
	skimmed int
	// OnLong is told the number of a line cut at MaxLine.
	OnLong func(line int)
	// transient: a line Next returns is a view of the chunk, valid until
	// the next call, not a copy (a reading that keeps no line: the labels
	// of a file, source.SplitByLabel).
	transient bool
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
// too; io.EOF comes after it. After a read error, the line read before it
// is returned, then the error.
func (l *LineReader) Next() (string, error) {
	for {
		if i := bytes.IndexByte(l.chunk[l.pos:l.have], '\n'); i >= 0 {
			line := l.keep(l.chunk[l.pos : l.pos+i])
			l.pos += i + 1
			l.num++
			l.bytes += int64(i + 1)
			return line, nil
		}
		if l.chunk == nil {
			l.chunk = make([]byte, chunkSize)
		}
		// What is left is the start of a line: to the front, and read on.
		l.have = copy(l.chunk, l.chunk[l.pos:l.have])
		l.pos = 0
		if l.err == nil && l.have < len(l.chunk) {
			n, err := l.r.Read(l.chunk[l.have:])
			l.have += n
			l.err = err
			if n > 0 {
				continue
			}
		}
		if l.have == len(l.chunk) {
			return l.long()
		}
		if l.err != nil {
			if l.have > 0 {
				line := string(l.chunk[:l.have])
				l.bytes += int64(l.have)
				l.have = 0
				l.num++
				return line, nil
			}
			return "", l.err
		}
	}
}

// keep copies a line out of the chunk into the arena, starting a new
// arena when it has no room left.
func (l *LineReader) keep(line []byte) string {
	if l.transient {
		if len(line) == 0 {
			return ""
		}
		return unsafe.String(&line[0], len(line))
	}
	if l.arena.Cap()-l.arena.Len() < len(line) {
		l.arena = strings.Builder{}
		l.arena.Grow(max(blockSize, len(line)))
	}
	start := l.arena.Len()
	l.arena.Write(line)
	return l.arena.String()[start:]
}

// Skim consumes the lines that follow in the chunk already read while
// take reports true of them (it must not keep the line: the chunk is
// read into again), counting them as read, and returns how many it took.
// It reads nothing: a run that goes on past the chunk is left to Next,
// which is always right.
func (l *LineReader) Skim(take func([]byte) bool) int {
	n := 0
	for l.pos < l.have && (l.chunk[l.pos] == ' ' || l.chunk[l.pos] == '\t') {
		i := bytes.IndexByte(l.chunk[l.pos:l.have], '\n')
		if i < 0 || !take(l.chunk[l.pos:l.pos+i]) {
			break
		}
		l.pos += i + 1
		l.num++
		l.bytes += int64(i + 1)
		n++
	}
	l.skimmed += n
	return n
}

// long reads a line longer than a block, byte slices at a time, keeping
// MaxLine bytes of it.
func (l *LineReader) long() (string, error) {
	l.buf = append(l.buf[:0], l.chunk[:l.have]...)
	consumed := int64(l.have)
	l.have = 0
	cut := false
	for {
		var chunk []byte
		err := l.err
		if err == nil {
			chunk, err = l.r.ReadSlice('\n')
		}
		consumed += int64(len(chunk))
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
		l.bytes += consumed
		l.num++
		if err != nil {
			// The line read before a failure (or the end) is kept: nothing
			// read is lost; the error comes with the next call.
			l.err = err
		}
		if cut && l.OnLong != nil {
			l.OnLong(l.num)
		}
		return string(bytes.TrimSuffix(l.buf, []byte{'\n'})), nil
	}
}
