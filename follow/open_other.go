//go:build !windows

package follow

import "os"

// OpenShared opens a file for reading; on Unix that never stops a rotation.
func OpenShared(name string) (*os.File, error) { return os.Open(name) }
