//go:build !windows

package main

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// catchBrokenPipe makes a write to a closed pipe on stdout fail with EPIPE
// instead of ending the process: Ctrl-C in a terminal interrupts the whole
// pipeline, and the reader (jq, cat) is gone before tail writes its last
// chains and summary, which it then shows on stderr.
func catchBrokenPipe() (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGPIPE)
	return func() { signal.Stop(ch) }
}

func isBrokenPipe(err error) bool { return errors.Is(err, syscall.EPIPE) }

// readerGone reports whether w is a pipe whose reading end was closed:
// poll says so on its writing end without a write.
func readerGone(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		return false
	}
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLOUT}}
	if _, err := unix.Poll(fds, 0); err != nil {
		return false
	}
	return fds[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0
}

// isPipe reports whether w is a pipe.
func isPipe(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeNamedPipe != 0
}
