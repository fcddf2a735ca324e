package main

import (
	"errors"
	"io"
	"syscall"
)

// catchBrokenPipe: Windows sends no signal for a closed pipe; the write
// fails.
func catchBrokenPipe() (stop func()) { return func() {} }

// isBrokenPipe reports a write to a pipe whose reader is gone
// (ERROR_NO_DATA, ERROR_BROKEN_PIPE).
func isBrokenPipe(err error) bool {
	return errors.Is(err, syscall.Errno(232)) || errors.Is(err, syscall.ERROR_BROKEN_PIPE)
}

// readerGone: Windows' pipes say so only on a write.
func readerGone(io.Writer) bool { return false }

func isPipe(io.Writer) bool { return false }
