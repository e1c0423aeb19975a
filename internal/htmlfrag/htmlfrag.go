// Package htmlfrag keeps parts of HTML pages that html/template rendered,
// for the next page that shows the same. A class grading writes 10 000
// pages that repeat most of their parts word for word (a check that
// passed, the labels, a dashboard cell), and html/template's escaping,
// through reflection, was most of their cost. html/template still writes
// every byte: a part is its template executed alone, in the context it has
// on the page (the text of an element), so the same bytes as the page
// rendering it in place, and it is found again only by a key that is a
// digest of everything it shows.
package htmlfrag

import (
	"crypto/sha256"
	"encoding/binary"
	"html/template"
	"strings"
	"sync"
)

// Kept is how many parts a generation of a Cache keeps: a few MB for two.
const Kept = 2048

// Cache keeps rendered parts in two generations: a full generation
// becomes the old one and the one before is dropped, and a part found in
// the old generation moves to the new. Every student of a class has a few
// parts no one else has (a message naming their pod or node port): with
// one map emptied when full, those filled it every few hundred students
// and the parts every page shares were rendered again each time; with
// two, what is still used survives. Safe for concurrent use.
type Cache struct {
	mu       sync.Mutex
	now, old map[string]template.HTML
}

// Render is the template t's part name executed on data(), or the same
// part rendered before under key (made by Key from everything the part
// shows). data is called only when the part is rendered.
func (c *Cache) Render(t *template.Template, name, key string, data func() (any, error)) (template.HTML, error) {
	key = name + "\x00" + key
	if h, ok := c.get(key); ok {
		return h, nil
	}
	v, err := data()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, name, v); err != nil {
		return "", err
	}
	h := template.HTML(b.String())
	c.put(key, h)
	return h, nil
}

// Forget drops every part kept.
func (c *Cache) Forget() {
	c.mu.Lock()
	c.now, c.old = nil, nil
	c.mu.Unlock()
}

// Len is how many parts are kept, both generations.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.now) + len(c.old)
}

func (c *Cache) get(key string) (template.HTML, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.now[key]; ok {
		return h, true
	}
	h, ok := c.old[key]
	if ok {
		c.putLocked(key, h)
	}
	return h, ok
}

func (c *Cache) put(key string, h template.HTML) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(key, h)
}

func (c *Cache) putLocked(key string, h template.HTML) {
	if c.now == nil || len(c.now) >= Kept {
		c.old, c.now = c.now, make(map[string]template.HTML, Kept)
	}
	c.now[key] = h
}

// Key is a part's key: the SHA-256 of parts, each with its length before
// it, so that two different lists of parts never share a key (a page
// showing another page's text would be a wrong report), and a key is 32
// bytes however long the messages.
func Key(parts ...string) string {
	size := 0
	for _, p := range parts {
		size += binary.MaxVarintLen64 + len(p)
	}
	b := make([]byte, 0, size)
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	sum := sha256.Sum256(b)
	return string(sum[:])
}
