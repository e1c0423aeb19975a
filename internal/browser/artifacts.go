package browser

import (
	"path/filepath"
	"runtime"
)

// ArtifactsDir is out/artifacts at the repository's root.
func ArtifactsDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "out", "artifacts")
}
