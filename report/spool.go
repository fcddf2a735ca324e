package report

import (
	"bufio"
	"bytes"
	"io"
	"os"
)

// spool holds text written now and read back at the end: the chains a
// report prints after its verdict. It keeps up to spoolMemory in memory
// and the rest in a temporary file, so that a run of tens of thousands of
// chains costs disk, not memory.
type spool struct {
	mem  bytes.Buffer
	file *os.File
	// toFile buffers the file's writes: a chain is a few hundred bytes, and
	// a system call for each (41 k on the 1 GB corpus) made text slower to
	// write than JSON.
	toFile *bufio.Writer
	err    error
}

const spoolMemory = 1 << 20

func (s *spool) Write(b []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.file == nil && s.mem.Len()+len(b) > spoolMemory {
		f, err := os.CreateTemp("", "logcorr-chains-*")
		if err != nil {
			// Without a temporary folder the chains stay in memory.
			return s.mem.Write(b)
		}
		// Removed at once where the system allows it (the open file
		// lives on until Close, and nothing is left behind if logcorr is
		// killed); elsewhere (Windows) at close.
		_ = os.Remove(f.Name())
		s.file, s.toFile = f, bufio.NewWriterSize(f, 64<<10)
	}
	if s.file != nil {
		n, err := s.toFile.Write(b)
		s.err = err
		return n, err
	}
	return s.mem.Write(b)
}

// copyTo writes everything spooled to w, in order, and releases it.
func (s *spool) copyTo(w io.Writer) error {
	if s.err != nil {
		return s.err
	}
	if _, err := w.Write(s.mem.Bytes()); err != nil {
		return err
	}
	s.mem = bytes.Buffer{}
	if s.file == nil {
		return nil
	}
	defer s.close()
	if err := s.toFile.Flush(); err != nil {
		return err
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(w, s.file)
	return err
}

func (s *spool) close() {
	if s.file != nil {
		s.file.Close()
		_ = os.Remove(s.file.Name())
		s.file, s.toFile = nil, nil
	}
}
