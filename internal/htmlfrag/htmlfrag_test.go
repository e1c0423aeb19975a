package htmlfrag

import (
	"fmt"
	"html/template"
	"testing"
)

var tmpl = template.Must(template.New("page").Parse(`{{define "cell"}}<td title="{{.Title}}">{{.Text}}</td>{{end}}`))

type cell struct{ Title, Text string }

// TestSharedPartsOutliveUniqueOnes: a class where every student has a part
// no one else has renders the parts every page shares once, however many
// students there are, and never keeps more than two generations.
func TestSharedPartsOutliveUniqueOnes(t *testing.T) {
	var c Cache
	shared := cell{"cluster.reachable: pass", "✔ 5"}
	renders := 0
	for i := range 5 * Kept {
		h, err := c.Render(tmpl, "cell", Key(shared.Title, shared.Text), func() (any, error) { renders++; return shared, nil })
		if err != nil || h != `<td title="cluster.reachable: pass">✔ 5</td>` {
			t.Fatalf("shared part: %q, %v", h, err)
		}
		own := cell{fmt.Sprintf("pods.running: Pod hello-%d <crashed>", i), "✘ 0"}
		h, err = c.Render(tmpl, "cell", Key(own.Title, own.Text), func() (any, error) { return own, nil })
		if want := fmt.Sprintf(`<td title="pods.running: Pod hello-%d &lt;crashed&gt;">✘ 0</td>`, i); err != nil || string(h) != want {
			t.Fatalf("own part: %q, %v; want %q", h, err, want)
		}
	}
	if renders != 1 {
		t.Errorf("the shared part was rendered %d times for %d pages; want once", renders, 5*Kept)
	}
	if n := c.Len(); n > 2*Kept {
		t.Errorf("%d parts kept; want at most %d", n, 2*Kept)
	}
}

// TestKeyKeepsPartsApart: lists of parts that join to the same text have
// different keys.
func TestKeyKeepsPartsApart(t *testing.T) {
	pairs := [][2][]string{
		{{"ab", "c"}, {"a", "bc"}},
		{{"a", ""}, {"a"}},
		{{"", "a"}, {"a", ""}},
		{{"1:a"}, {"a"}},
	}
	for _, p := range pairs {
		if Key(p[0]...) == Key(p[1]...) {
			t.Errorf("Key(%q) == Key(%q)", p[0], p[1])
		}
	}
	if Key("a", "b") != Key("a", "b") {
		t.Error("the same parts should make the same key")
	}
}

// TestRenderErrorKeepsNothing: a part whose data fails is not kept.
func TestRenderErrorKeepsNothing(t *testing.T) {
	var c Cache
	_, err := c.Render(tmpl, "cell", Key("x"), func() (any, error) { return nil, fmt.Errorf("no data") })
	if err == nil || c.Len() != 0 {
		t.Errorf("err %v, %d kept; want the error and nothing kept", err, c.Len())
	}
}
