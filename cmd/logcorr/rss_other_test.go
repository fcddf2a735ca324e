//go:build !unix

package main

import "os"

// maxRSS: this system's process state does not say it.
func maxRSS(*os.ProcessState) (uint64, bool) { return 0, false }
