package grade

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// Shard is one slice of the roster: students whose id hashes to Index
// modulo Count. A student's shard depends on the id alone.
type Shard struct{ Index, Count int }

// ParseShard reads "I/N" (0 <= I < N).
func ParseShard(s string) (Shard, error) {
	var sh Shard
	if _, err := fmt.Sscanf(s, "%d/%d", &sh.Index, &sh.Count); err != nil || fmt.Sprintf("%d/%d", sh.Index, sh.Count) != strings.TrimSpace(s) {
		return Shard{}, fmt.Errorf("shard %q: write it as I/N, e.g. 0/4 (I counts from 0)", s)
	}
	if sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count {
		return Shard{}, fmt.Errorf("shard %q: need 0 <= I < N", s)
	}
	return sh, nil
}

// Has reports whether the student with id belongs to the shard.
func (s Shard) Has(id string) bool {
	if s.Count <= 1 {
		return true
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(strings.ToLower(id)))
	return int(h.Sum32()%uint32(s.Count)) == s.Index
}
