package checks

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/kubelab/kubelab/internal/i18n"
	"github.com/kubelab/kubelab/report"
)

// Files.

// nearMisses are the files in the image that are probably the one wanted
// under another name: in the same directory with another case, a letter
// missing, extra or swapped, an extension added, changed or dropped
// (app.py.txt, App.py, requirement.txt, requirements); or with the same
// name in another directory. At most 3, closest first.
func nearMisses(paths []string, want string) []string {
	dir, base := path.Split(want)
	dir = path.Clean(dir)
	stem := strings.TrimSuffix(base, path.Ext(base))
	type cand struct {
		p    string
		rank int
	}
	var cs []cand
	for _, p := range paths {
		if p == want || systemDir(p) {
			continue
		}
		pd, pb := path.Split(p)
		pd = path.Clean(pd)
		pstem := strings.TrimSuffix(pb, path.Ext(pb))
		lb, lbase := strings.ToLower(pb), strings.ToLower(base)
		rank := -1
		switch {
		case lb == lbase:
			rank = 0 // App.py, or app.py in another directory
		case strings.HasPrefix(lb, lbase+"."):
			rank = 1 // app.py.txt (Windows hides the .txt)
		case strings.EqualFold(pb, stem) || strings.EqualFold(pstem, stem) && path.Ext(pb) != "":
			rank = 2 // requirements, requirements.text, app.txt
		case editDistance(lb, lbase) <= 1 || (len(base) >= 10 && editDistance(lb, lbase) <= 2):
			rank = 3 // requirement.txt, ap.py, requirments.txt
		}
		if rank < 0 {
			continue
		}
		if pd != dir {
			if lb != lbase {
				continue // only the exact name counts elsewhere
			}
			rank += 10
		}
		cs = append(cs, cand{p, rank})
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].rank != cs[j].rank {
			return cs[i].rank < cs[j].rank
		}
		return cs[i].p < cs[j].p
	})
	var out []string
	for i := 0; i < len(cs) && i < 3; i++ {
		out = append(out, cs[i].p)
	}
	return out
}

// editDistance is the optimal string alignment distance (insertions,
// deletions, substitutions, adjacent transpositions).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// appHint explains an app that does not answer through its service: an app
// listening on 127.0.0.1 only, else what to look at.
func appHint(s *Snapshot, t *Target) L {
	if why := localhostOnly(s); !why.IsZero() {
		h := localhostHint(studentImage(s, t), t.Deployment.Name, 5000)
		return i18n.Concat(h, i18n.Raw(" ("), why, i18n.Raw(".)"))
	}
	if t.Service.Spec.Type == "LoadBalancer" && len(t.Service.Status.LoadBalancer.Ingress) == 0 {
		return fixHint([]string{"minikube tunnel", "minikube service " + t.Service.Name},
			T("The LoadBalancer has no address until minikube tunnel runs (leave it open in another terminal); minikube service opens the app through the NodePort."))
	}
	return fixHint([]string{"kubectl logs deployment/" + t.Deployment.Name}, T("It shows whether the app started and on which address and port it listens (it must be 0.0.0.0:5000)."))
}

// imgMissingFiles judges wanted files absent from the image, naming what
// the student copied instead (near-miss names from ImageInfo.Paths, or the
// same name in another directory) with the command that fixes it.
func imgMissingFiles(im *ImageInfo, wd string, wanted []string, ev []report.Fact) (Judgement, bool) {
	paths := slices.Clone(im.Paths)
	for f := range im.Files {
		if !slices.Contains(paths, f) {
			paths = append(paths, f)
		}
	}
	// renames is evidence (English, as all evidence); renameMsgs says the
	// same in the reader's language.
	var missing, renames, moved []string
	var renameMsgs []L
	for _, want := range wanted {
		if im.Files[want] != nil {
			continue
		}
		missing = append(missing, want)
		for _, got := range nearMisses(paths, want) {
			if path.Dir(got) == path.Dir(want) {
				renames = append(renames, fmt.Sprintf("%s instead of %s", got, path.Base(want)))
				renameMsgs = append(renameMsgs, T("%s instead of %s", got, path.Base(want)))
			} else {
				moved = append(moved, got)
			}
			break
		}
	}
	if len(missing) == 0 {
		return Judgement{}, false
	}
	img := imgShownRef(im)
	rebuild := []string{"docker build -t " + img + " .", "docker push " + img}
	if len(moved) > 0 {
		ev = append(ev, fact("found elsewhere", strings.Join(moved, ", ")))
	}
	if len(renames) > 0 {
		ev = append(ev, fact("near misses", strings.Join(renames, ", ")))
		var mv []string
		for _, want := range missing {
			for _, got := range nearMisses(paths, want) {
				if path.Dir(got) == path.Dir(want) {
					mv = append(mv, fmt.Sprintf("mv %s %s", path.Base(got), path.Base(want)))
				}
				break
			}
		}
		return fail(T("Missing from the image: %s; it holds %s.", strings.Join(missing, ", "), i18n.Join(renameMsgs, i18n.Raw(", "))), fixHint(append(mv, rebuild...),
			T("Rename the file in your project folder to exactly the name the lesson uses (Windows may hide an extension such as .txt: turn on `File name extensions` in Explorer), then build and push again.")), ev...), true
	}
	if len(moved) > 0 {
		return fail(T("Missing from the image: %s (found instead: %s; the files were copied to another directory).", strings.Join(missing, ", "), strings.Join(moved, ", ")),
			fixHint(rebuild, T("Put WORKDIR %s before the COPY lines of the Dockerfile and copy with COPY . . (or COPY app.py requirements.txt ./), so the files land in %s.", wd, wd)), ev...), true
	}
	return fail(T("Missing from the image: %s.", strings.Join(missing, ", ")),
		fixHint(rebuild, T("Run it in the folder that holds app.py, requirements.txt and the Dockerfile; with WORKDIR %s, COPY . . copies both files in (a file deleted later, e.g. with RUN rm, is gone from the image too).", wd)), ev...), true
}
