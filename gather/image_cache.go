package gather

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubelab/kubelab/internal/atomicfile"
	"github.com/kubelab/kubelab/snapshot"
)

// The disk cache of gathered images, keyed by manifest digest: an image that did not change is not read again.

type imgCacheEntry struct {
	Version      int                            `json:"version"`
	Digest       string                         `json:"digest"`
	MediaType    string                         `json:"media_type"`
	IsIndex      bool                           `json:"is_index"`
	Platforms    []string                       `json:"platforms,omitempty"`
	Platform     string                         `json:"platform,omitempty"`
	Config       *snapshot.ImageConfig          `json:"config,omitempty"`
	Files        map[string]*snapshot.ImageFile `json:"files,omitempty"`
	Paths        []string                       `json:"paths,omitempty"`
	Wanted       []string                       `json:"wanted"`
	MaxFileBytes int64                          `json:"max_file_bytes"`
}

func (g *imgGatherer) cachePath(h v1.Hash) string {
	if g.opt.CacheDir == "" || h.Algorithm == "" || h.Hex == "" ||
		strings.ContainsAny(h.Algorithm+h.Hex, `/\.`) {
		return ""
	}
	return filepath.Join(g.opt.CacheDir, h.Algorithm, h.Hex+".json")
}

func (g *imgGatherer) loadCache(h v1.Hash) bool {
	p := g.cachePath(h)
	if p == "" {
		return false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return false
	}
	var e imgCacheEntry
	if json.Unmarshal(b, &e) != nil || e.Version != imgCacheVersion || e.Digest != h.String() ||
		e.MaxFileBytes != g.opt.MaxFileBytes {
		return false
	}
	for _, f := range g.opt.Files {
		if !slices.Contains(e.Wanted, path.Clean("/"+f)) {
			return false
		}
	}
	info := g.info
	info.MediaType, info.IsIndex = e.MediaType, e.IsIndex
	info.Platforms, info.Platform = e.Platforms, e.Platform
	info.Config, info.Files, info.Paths = e.Config, e.Files, e.Paths
	if info.Files == nil && info.Config != nil {
		info.Files = map[string]*snapshot.ImageFile{}
	}
	return true
}

// writeCache stores what was read, atomically (temp file + rename). A cache
// that cannot be written only costs a later request.
func (g *imgGatherer) writeCache(h v1.Hash) {
	p := g.cachePath(h)
	if p == "" {
		return
	}
	info := g.info
	e := imgCacheEntry{
		Version: imgCacheVersion, Digest: h.String(), MediaType: info.MediaType, IsIndex: info.IsIndex,
		Platforms: info.Platforms, Platform: info.Platform, Config: info.Config, Files: info.Files, Paths: info.Paths,
		Wanted: g.wanted(), MaxFileBytes: g.opt.MaxFileBytes,
	}
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return
	}
	_ = atomicfile.WriteFile(p, b, 0o600) // a cache: a failed write only costs a later re-read
}
