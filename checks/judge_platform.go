package checks

import (
	"slices"
	"strings"

	"github.com/kubelab/kubelab/report"
)

// image.platform judges the image against the student's own cluster: the
// architectures of its Ready nodes. An arm64 image on an arm64 minikube
// (Apple Silicon) runs, so it passes. The lab's platform parameter is an
// extra requirement on top (e.g. the lecturer's amd64 cluster), stated in
// the message; without nodes to look at, any Linux platform passes.

// nodeArchs returns the distinct "os/arch" of the cluster's Ready nodes (all
// nodes when none is Ready), sorted; nil when no node is known.
func nodeArchs(s *Snapshot) []string {
	if s.Cluster == nil || s.Cluster.Err != nil || s.Cluster.NodesErr != nil {
		return nil
	}
	var ready, all []string
	for i := range s.Cluster.Nodes {
		n := &s.Cluster.Nodes[i]
		arch := strings.ToLower(n.Status.NodeInfo.Architecture)
		if arch == "" {
			continue
		}
		os := strings.ToLower(n.Status.NodeInfo.OperatingSystem)
		if os == "" {
			os = "linux"
		}
		pl := os + "/" + arch
		if !slices.Contains(all, pl) {
			all = append(all, pl)
		}
		if nodeReady(n) && !slices.Contains(ready, pl) {
			ready = append(ready, pl)
		}
	}
	if len(ready) == 0 {
		ready = all
	}
	slices.Sort(ready)
	return ready
}

func judgeImagePlatform(s *Snapshot, p Params) Judgement {
	im, j := imageState(s, false)
	if j != nil {
		return *j
	}
	extra := strings.ToLower(strings.TrimSpace(p.String("platform", "")))
	plats := im.Platforms
	if len(plats) == 0 && im.Config != nil {
		if pl := imgPlatformString(im.Config.OS, im.Config.Architecture, ""); pl != "" {
			plats = []string{pl}
		}
	}
	kind := "single image"
	if im.IsIndex {
		kind = "multi-platform index"
	}
	nodes := nodeArchs(s)
	shownNodes := strings.Join(nodes, ", ")
	if shownNodes == "" {
		shownNodes = "(not known)"
	}
	ev := []report.Fact{fact("platforms", imgOrNone(strings.Join(plats, ", "))), fact("manifest", kind), fact("cluster nodes", shownNodes)}
	if extra != "" {
		ev = append(ev, fact("lab requires", extra))
	}
	img := imgShownRef(im)
	has := func(want string) bool {
		for _, pl := range plats {
			if imgPlatformMatches(pl, want) {
				return true
			}
		}
		return false
	}
	build := func(want string) L {
		return fixHint([]string{"docker buildx build --platform " + want + " -t " + img + " --push ."},
			T("This builds and pushes the image for %s (an Apple Silicon Mac builds linux/arm64 unless told otherwise).", want))
	}
	if len(plats) == 0 {
		want := extra
		if want == "" && len(nodes) > 0 {
			want = nodes[0]
		}
		if want == "" {
			want = "linux/amd64"
		}
		return fail(T("The image does not say which platform it is built for; your cluster needs %s.", want), build(want), ev...)
	}
	var missing []string
	for _, n := range nodes {
		if !has(n) {
			missing = append(missing, n)
		}
	}
	switch {
	case len(nodes) > 0 && len(missing) == len(nodes):
		return fail(T("The image is built only for %s; your cluster's nodes run %s, so its pods cannot start it (exec format error / no matching manifest).",
			strings.Join(plats, ", "), shownNodes), build(strings.Join(nodes, ",")), ev...)
	case len(missing) > 0:
		return partial(0.5, T("The image is built for %s; your cluster also has %s nodes, where its pods cannot start.", strings.Join(plats, ", "), strings.Join(missing, ", ")),
			build(strings.Join(nodes, ",")), ev...)
	case extra != "" && !has(extra):
		if len(nodes) == 0 {
			return fail(T("The image is built only for %s; the lab requires %s.", strings.Join(plats, ", "), extra),
				build(extra), ev...)
		}
		return partial(0.5, T("The image runs on your cluster (%s), but the lab also requires %s, which it lacks (platforms: %s).", shownNodes, extra, strings.Join(plats, ", ")),
			build(strings.Join(append(slices.Clone(nodes), extra), ",")), ev...)
	}
	var msg L
	switch {
	case len(nodes) == 0 && extra == "":
		msg = T("The image is built for %s; your cluster's nodes were not known, so any Linux platform is accepted.", strings.Join(plats, ", "))
		if !slices.ContainsFunc(plats, func(pl string) bool { return strings.HasPrefix(strings.ToLower(pl), "linux/") }) {
			return fail(T("The image is built only for %s, not for Linux.", strings.Join(plats, ", ")), build("linux/amd64"), ev...)
		}
	case len(nodes) == 0:
		msg = T("The image is built for %s, which includes %s as the lab requires (your cluster's nodes were not known).", strings.Join(plats, ", "), extra)
	case extra != "":
		msg = T("The image is built for %s: it runs on your cluster's nodes (%s) and includes %s as the lab requires.", strings.Join(plats, ", "), shownNodes, extra)
	default:
		msg = T("The image is built for %s, which your cluster's nodes run (%s).", strings.Join(plats, ", "), shownNodes)
	}
	return pass(msg, ev...)
}
