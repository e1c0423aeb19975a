package handin

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/internal/atomicfile"
	"github.com/kubelab/kubelab/report"
)

// crossCheck compares the submissions with each other: the same cluster
// (fingerprint, or a node with the same UID), the same image digest or
// objects with the same UIDs in two students' submissions flag both.
func crossCheck(entries []*entry) {
	x := indexSubmissions(entries)
	for _, e := range entries {
		x.flagCluster(e)
		x.flagImage(e)
		x.flagObjects(e)
	}
}

// crossIndex says which students handed in each cluster, image and object,
// so that each submission can then be compared with all the others.
type crossIndex struct {
	clusters map[string]map[string]bool // fingerprint or node uid -> students
	images   map[string]map[string]bool // image digest -> students
	objects  map[types.UID]map[string]bool
	what     map[types.UID]string
}

// indexSubmissions builds the crossIndex of every submission.
func indexSubmissions(entries []*entry) *crossIndex {
	x := &crossIndex{
		clusters: map[string]map[string]bool{},
		images:   map[string]map[string]bool{},
		objects:  map[types.UID]map[string]bool{},
		what:     map[types.UID]string{},
	}
	add := func(m map[string]map[string]bool, k, id string) {
		if m[k] == nil {
			m[k] = map[string]bool{}
		}
		m[k][id] = true
	}
	for _, e := range entries {
		id := e.s.Student.ID
		if fp := e.s.Fingerprint.Cluster; fp != "" {
			add(x.clusters, fp, id)
		}
		if d := imageDigest(e); d != "" {
			add(x.images, d, id)
		}
		if ci := e.s.Evidence.Cluster; ci != nil {
			for _, n := range ci.Nodes {
				if n.UID != "" {
					add(x.clusters, "node "+string(n.UID), id)
				}
			}
		}
		for uid, desc := range objectsOf(e) {
			if x.objects[uid] == nil {
				x.objects[uid] = map[string]bool{}
			}
			x.objects[uid][id] = true
			x.what[uid] = desc
		}
	}
	return x
}

// flagCluster sets SharedCluster: another student handed in the same
// cluster fingerprint or a node with the same UID.
func (x *crossIndex) flagCluster(e *entry) {
	id := e.s.Student.ID
	others := map[string]bool{}
	for _, ids := range x.clusters {
		if ids[id] {
			for o := range ids {
				if o != id {
					others[o] = true
				}
			}
		}
	}
	fp := e.s.Fingerprint.Cluster
	switch {
	case len(others) > 0:
		e.flags[SharedCluster] = raised(checks.T("The same cluster (%s) is in the submission of %s.", short(fp), list(others)),
			fact("cluster", fp), fact("also_handed_in_by", list(others)))
	case fp == "":
		e.flags[SharedCluster] = outcome{status: report.Skipped, msg: checks.T("The submission has no cluster fingerprint (the cluster could not be read).")}
	default:
		e.flags[SharedCluster] = notRaised(checks.T("No other submission has this cluster (%s).", short(fp)), fact("cluster", fp))
	}
}

// flagImage sets SharedImage: another student handed in the same image
// digest.
func (x *crossIndex) flagImage(e *entry) {
	id := e.s.Student.ID
	switch d := imageDigest(e); {
	case d == "":
		e.flags[SharedImage] = outcome{status: report.Skipped, msg: checks.T("The submission names no image digest.")}
	case len(x.images[d]) > 1:
		withWhom := map[string]bool{}
		for o := range x.images[d] {
			if o != id {
				withWhom[o] = true
			}
		}
		e.flags[SharedImage] = raised(checks.T("The same image (%s) was handed in by %s.", short(d), list(withWhom)),
			fact("image_digest", d), fact("also_handed_in_by", list(withWhom)))
	default:
		e.flags[SharedImage] = notRaised(checks.T("No other submission has this image (%s).", short(d)), fact("image_digest", d))
	}
}

// flagObjects sets SharedObjects: objects with the same UIDs are in another
// student's submission (the first five named).
func (x *crossIndex) flagObjects(e *entry) {
	id := e.s.Student.ID
	mine := objectsOf(e)
	var shared []string
	withWhom := map[string]bool{}
	for uid := range mine {
		if len(x.objects[uid]) > 1 {
			shared = append(shared, fmt.Sprintf("%s (uid %s)", x.what[uid], uid))
			for o := range x.objects[uid] {
				if o != id {
					withWhom[o] = true
				}
			}
		}
	}
	sort.Strings(shared)
	switch {
	case len(shared) > 0:
		n := len(shared)
		if len(shared) > 5 {
			shared = append(shared[:5], "…")
		}
		e.flags[SharedObjects] = raised(checks.T("%d object(s) are also in the submission of %s: %s.", n, list(withWhom), strings.Join(shared, ", ")),
			fact("shared_objects", fmt.Sprint(n)), fact("also_handed_in_by", list(withWhom)))
	case len(mine) == 0:
		e.flags[SharedObjects] = outcome{status: report.Skipped, msg: checks.T("The submission holds no object of the student's namespace.")}
	default:
		e.flags[SharedObjects] = notRaised(checks.T("None of the %d object(s) is in another submission.", len(mine)))
	}
}

// imageDigest is the digest of the image the evidence judged (a manifest
// list's or a single manifest's): two students with one digest handed in
// one build.
func imageDigest(e *entry) string {
	if img := e.s.Evidence.Image; img != nil {
		return img.Digest
	}
	return ""
}

// objectsOf lists the UIDs of the objects of the student's namespace in
// the evidence, each with what it is.
func objectsOf(e *entry) map[types.UID]string {
	out := map[types.UID]string{}
	add := func(kind string, m metav1.ObjectMeta) {
		if m.UID != "" {
			out[m.UID] = kind + " " + m.Name
		}
	}
	ev := e.s.Evidence
	if ns := ev.NS; ns != nil {
		for _, o := range ns.Deployments {
			add("deployment", o.ObjectMeta)
		}
		for _, o := range ns.ReplicaSets {
			add("replicaset", o.ObjectMeta)
		}
		for _, o := range ns.Pods {
			add("pod", o.ObjectMeta)
		}
		for _, o := range ns.Services {
			add("service", o.ObjectMeta)
		}
		for _, o := range ns.EndpointSlices {
			add("endpointslice", o.ObjectMeta)
		}
		for _, o := range ns.Events {
			add("event", o.ObjectMeta)
		}
	}
	if t := ev.Target; t != nil {
		if t.Deployment != nil {
			add("deployment", t.Deployment.ObjectMeta)
		}
		for _, o := range t.Pods {
			add("pod", o.ObjectMeta)
		}
		if t.Service != nil {
			add("service", t.Service.ObjectMeta)
		}
		for _, o := range t.EndpointSlices {
			add("endpointslice", o.ObjectMeta)
		}
	}
	return out
}

// checkKeys compares each valid signature's key with the other students'
// and with the key history.
func checkKeys(opt Options, entries []*entry, hist map[string]string) {
	byKey := map[string]map[string]bool{}
	for _, e := range entries {
		if e.keyID != "" {
			if byKey[e.keyID] == nil {
				byKey[e.keyID] = map[string]bool{}
			}
			byKey[e.keyID][e.s.Student.ID] = true
		}
	}
	for _, e := range entries {
		id := e.s.Student.ID
		if e.keyID == "" {
			skip := outcome{status: report.Skipped, msg: checks.T("The signature is not valid, so the key proves nothing.")}
			e.flags[OtherKey], e.flags[SharedKey] = skip, skip
			continue
		}
		others := map[string]bool{}
		for o := range byKey[e.keyID] {
			if o != id {
				others[o] = true
			}
		}
		if len(others) > 0 {
			e.flags[SharedKey] = raised(checks.T("Key %s also signed the submission of %s.", e.keyID, list(others)),
				fact("key_id", e.keyID), fact("also_signed", list(others)))
		} else {
			e.flags[SharedKey] = notRaised(checks.T("No other student signed with key %s.", e.keyID))
		}
		switch old, ok := hist[id]; {
		case !ok:
			e.flags[OtherKey] = notRaised(checks.T("First key on record for this student id: %s (this hand-in binds it).", e.keyID), fact("key_id", e.keyID))
		case old != e.keyID:
			e.flags[OtherKey] = raised(checks.T("Signed with key %s, but this student id is bound to key %s (%s): someone else may have handed in under this id. No grade until the lecturer accepts the new key.", e.keyID, old, opt.KeysFile),
				fact("key_id", e.keyID), fact("bound_key_id", old))
		default:
			e.flags[OtherKey] = notRaised(checks.T("The key this student id is bound to (%s).", e.keyID), fact("key_id", e.keyID))
		}
	}
}

func list(set map[string]bool) string {
	var ids []string
	for id := range set {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return strings.Join(ids, ", ")
}

// short abbreviates a fingerprint for a message.
func short(fp string) string {
	if len(fp) > len("sha256:")+12 {
		return fp[:len("sha256:")+12] + "…"
	}
	return fp
}

var keyIDRe = regexp.MustCompile(`^[0-9a-f]{16}$`)

// ReadKeyHistory reads a key history (JSON object: student id -> key id).
// An empty path or a missing file is an empty history.
func ReadKeyHistory(path string) (map[string]string, error) {
	hist := map[string]string{}
	if path == "" {
		return hist, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return hist, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &hist); err != nil {
		return nil, fmt.Errorf("%s: not a key history (a JSON object of student id to key id): %v", path, err)
	}
	for id, k := range hist {
		if !keyIDRe.MatchString(k) {
			return nil, fmt.Errorf("%s: student %s: key id %q is not 16 hex digits", path, id, k)
		}
	}
	return hist, nil
}

// WriteKeyHistory writes the key history, sorted by student id.
func WriteKeyHistory(path string, hist map[string]string) error {
	b, err := json.MarshalIndent(hist, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o644)
}
