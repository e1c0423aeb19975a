package gather

import (
	"bytes"
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"
)

// TestDecodePageKeepsOwnedNamespaces: a List page, as the API server sends
// it in protobuf or JSON, gives the objects of the namespaces kept, whole,
// the continue token and the namespace of the page's last object, even
// when that object was dropped.
func TestDecodePageKeepsOwnedNamespaces(t *testing.T) {
	list := &corev1.PodList{TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"}, ListMeta: metav1.ListMeta{Continue: "next-page"}}
	for _, p := range [][2]string{{"a", "web-1"}, {"b", "web-2"}, {"c", "web-3"}, {"d", "web-4"}} {
		list.Items = append(list.Items, corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: p[0], Name: p[1], Labels: map[string]string{"app": "hello"}},
			Spec:       corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "app", Image: "example.test/hello:1"}}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning},
		})
	}
	var pb bytes.Buffer
	if err := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme).Encode(list, &pb); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	keep := func(ns string) bool { return ns == "b" || ns == "c" }
	for name, data := range map[string][]byte{"protobuf": pb.Bytes(), "json": js} {
		items, cont, last, err := decodePage[corev1.Pod](data, keep)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(items) != 2 || items[0].Name != "web-2" || items[1].Name != "web-3" {
			t.Fatalf("%s: kept %d pods %v, want web-2 and web-3", name, len(items), items)
		}
		if p := items[1]; p.Namespace != "c" || p.Spec.NodeName != "node-1" || p.Spec.Containers[0].Image != "example.test/hello:1" ||
			p.Status.Phase != corev1.PodRunning || p.Labels["app"] != "hello" {
			t.Errorf("%s: a kept pod is not whole: %+v", name, p)
		}
		if cont != "next-page" || last != "d" {
			t.Errorf("%s: continue %q, last namespace %q; want next-page, d", name, cont, last)
		}
	}
	if _, _, _, err := decodePage[corev1.Pod](append([]byte("k8s\x00"), 0x12, 0x05, 0x12, 0x10), keep); err == nil {
		t.Error("a truncated protobuf page decoded without an error")
	}
}
