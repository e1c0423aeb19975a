package report

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"slices"
	"testing"
)

// keptPages are pages that differ from a golden report in one thing
// each: one of its texts, numbers or flags changed (every one in turn).
func keptPages(t testing.TB) []*Report {
	var out []*Report
	for _, data := range goldenJSON(t) {
		// The golden report, and the same signed, with a fingerprint and
		// no student, so that the optional parts' fields change too.
		for _, optional := range []bool{false, true} {
			for k := 0; ; k++ {
				r, err := Read(data)
				if err != nil {
					t.Fatal(err)
				}
				if optional {
					r.Signature = &Signature{Algorithm: "ed25519", KeyID: "key-1"}
					r.Fingerprint = &Fingerprint{Cluster: "cluster-1"}
					r.Student = Student{}
				}
				if k > 0 && !changeLeaf(reflect.ValueOf(r).Elem(), new(int), k-1) {
					break
				}
				out = append(out, r)
			}
		}
	}
	return out
}

// changeLeaf changes the k-th settable string, number or flag in v
// (through structs, slices and pointers), counting from *n, and says
// whether there was one.
func changeLeaf(v reflect.Value, n *int, k int) bool {
	switch v.Kind() {
	case reflect.String, reflect.Float64, reflect.Int, reflect.Bool:
		if !v.CanSet() {
			return false
		}
		*n++
		if *n-1 != k {
			return false
		}
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "·")
		case reflect.Float64:
			v.SetFloat(v.Float() + 1)
		case reflect.Int:
			v.SetInt(v.Int() + 1)
		case reflect.Bool:
			v.SetBool(!v.Bool())
		}
		return true
	case reflect.Pointer:
		return !v.IsNil() && changeLeaf(v.Elem(), n, k)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() && changeLeaf(v.Field(i), n, k) {
				return true
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if changeLeaf(v.Index(i), n, k) {
				return true
			}
		}
	case reflect.Map:
		// Counts: each status's number in turn.
		for _, key := range v.MapKeys() {
			if v.Type().Elem().Kind() == reflect.Int {
				*n++
				if *n-1 == k {
					v.SetMapIndex(key, reflect.ValueOf(int(v.MapIndex(key).Int()+1)).Convert(v.Type().Elem()))
					return true
				}
			}
		}
	}
	return false
}

// TestKeptFragmentsShowOnlyTheirPage: a page rendered after many others
// (its parts found already rendered, fragment) is byte for byte the page
// rendered with nothing kept. A key missing a field the part shows would
// put one report's text into another's page.
func TestKeptFragmentsShowOnlyTheirPage(t *testing.T) {
	pages := keptPages(t)
	t.Logf("%d pages", len(pages))
	render := func(r *Report, links bool) []byte {
		var opt HTMLOptions
		if links {
			opt.LessonURL = func(step string) string { return "lesson.html#" + step }
		}
		var b bytes.Buffer
		if err := WriteHTML(&b, r, opt); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for _, links := range []bool{false, true} {
		cold := make([][]byte, len(pages))
		for i, r := range pages {
			forgetFragments()
			cold[i] = render(r, links)
		}
		forgetFragments()
		for round, order := range [][]int{ascending(len(pages)), descending(len(pages))} {
			for _, i := range order {
				if warm := render(pages[i], links); !bytes.Equal(warm, cold[i]) {
					t.Fatalf("round %d, page %d (lesson links %v): rendered after others, it differs from the page rendered alone:\n%s",
						round, i, links, firstDifference(string(cold[i]), string(warm)))
				}
			}
		}
	}
}

// FuzzHTMLKept: any page rendered right after any other is the page
// rendered alone.
func FuzzHTMLKept(f *testing.F) {
	bases := goldenJSON(f)
	f.Add(uint8(0), "a", "b", uint8(0), "a", "c", uint8(1))
	f.Add(uint8(2), "x", "", uint8(0x5f), "x", "y", uint8(0x40))
	f.Fuzz(func(t *testing.T, base uint8, a, b string, flags uint8, a2, b2 string, flags2 uint8) {
		data := bases[int(base)%len(bases)]
		forgetFragments()
		alone := page(t, data, a2, b2, flags2)
		forgetFragments()
		page(t, data, a, b, flags)
		if after := page(t, data, a2, b2, flags2); !bytes.Equal(after, alone) {
			t.Fatalf("the page of %q/%q/%#x rendered after that of %q/%q/%#x differs from it rendered alone:\n%s",
				a2, b2, flags2, a, b, flags, firstDifference(string(alone), string(after)))
		}
	})
}

// goldenJSON are the golden reports' JSON: correct, mistakes, hostile.
func goldenJSON(t testing.TB) [][]byte {
	var out [][]byte
	for _, name := range []string{"correct", "mistakes", "hostile"} {
		data, err := os.ReadFile("testdata/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

func forgetFragments() {
	fragments.Lock()
	clear(fragments.m)
	fragments.Unlock()
}

func ascending(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func descending(n int) []int {
	out := ascending(n)
	slices.Reverse(out)
	return out
}

// firstDifference shows where got first differs from want, with the
// bytes around it.
func firstDifference(want, got string) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("at byte %d:\n  want: %q\n  got:  %q", i, want[from:min(len(want), i+80)], got[from:min(len(got), i+80)])
}
