//go:build windows

package main

import (
	"io"
	"os"

	"golang.org/x/sys/windows"
)

// ansiWorks turns on escape-sequence processing in a Windows console, which
// consoles before Windows 10 lack and newer ones leave off for programs
// that do not ask; false when w is no console or cannot do it.
func ansiWorks(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	h := windows.Handle(f.Fd())
	var mode uint32
	if err := windows.GetConsoleMode(h, &mode); err != nil {
		return false
	}
	if mode&windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0 {
		return true
	}
	return windows.SetConsoleMode(h, mode|windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING) == nil
}
