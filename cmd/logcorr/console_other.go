//go:build !windows

package main

import "io"

// ansiWorks reports whether a terminal understands colour escapes; every
// terminal outside Windows' console does.
func ansiWorks(io.Writer) bool { return true }
