//go:build !windows

package follow

import "os"

// openShared opens a file for reading; on Unix that never stops a rotation.
func openShared(name string) (*os.File, error) { return os.Open(name) }
