package gather

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// A shard of a class, or a class on a cluster shared with others, owns a
// fraction of the namespaces a cluster-wide List page holds. Decoding the
// whole page into typed objects and dropping most of them afterwards made
// every shard's memory that of the whole cluster (439 MB for a quarter of
// 10 000 students). So a page is read as bytes into a buffer kept for the
// next page, each object's namespace is read from its bytes, and only the
// objects of owned namespaces are decoded; the others are never converted.

// pageFunc reads one page of a cluster-wide List: the objects of the
// namespaces keep accepts, the continue token, and the namespace of the
// page's last object, kept or not (it tells the reader how far the List
// has gone even when nothing of the page was kept).
type pageFunc[T any] func(ctx context.Context, o metav1.ListOptions, keep func(ns string) bool) (items []T, cont, last string, err error)

// protoObject is a generated Kubernetes type: it decodes itself from its
// protobuf bytes.
type protoObject[T any] interface {
	*T
	Unmarshal([]byte) error
}

// rawPages reads a resource's cluster-wide List pages from rc (a typed
// client's REST client) as bytes and decodes the kept objects; the buffer
// is reused from page to page (a kind's pages are read by one goroutine).
func rawPages[T any, PT protoObject[T]](rc rest.Interface, resource string) pageFunc[T] {
	var buf bytes.Buffer
	return func(ctx context.Context, o metav1.ListOptions, keep func(string) bool) ([]T, string, string, error) {
		req := rc.Get().Resource(resource)
		if o.Limit > 0 {
			req = req.Param("limit", strconv.FormatInt(o.Limit, 10))
		}
		if o.Continue != "" {
			req = req.Param("continue", o.Continue)
		}
		body, err := req.Stream(ctx)
		if err != nil {
			return nil, "", "", err
		}
		buf.Reset()
		_, err = buf.ReadFrom(body)
		body.Close()
		if err != nil {
			return nil, "", "", err
		}
		// A page of pods can be megabytes: a buffer grown far past the
		// usual page is let go rather than kept for the rest of the run.
		defer func() {
			if buf.Cap() > 64<<20 {
				buf = bytes.Buffer{}
			}
		}()
		return decodePage[T, PT](buf.Bytes(), keep)
	}
}

// protoMagic starts a Kubernetes protobuf response (the runtime.Unknown
// envelope follows).
var protoMagic = []byte("k8s\x00")

// decodePage decodes a List response, protobuf or JSON, keeping the
// objects whose namespace keep accepts.
func decodePage[T any, PT protoObject[T]](data []byte, keep func(string) bool) ([]T, string, string, error) {
	if !bytes.HasPrefix(data, protoMagic) {
		return decodeJSONPage[T](data, keep)
	}
	list, err := protoField(data[len(protoMagic):], 2) // runtime.Unknown.raw
	if err != nil {
		return nil, "", "", fmt.Errorf("decoding a List page: %w", err)
	}
	var items []T
	var meta metav1.ListMeta
	last := ""
	for b := list; len(b) > 0; {
		num, v, n, err := nextProtoField(b)
		if err != nil {
			return nil, "", "", fmt.Errorf("decoding a List page: %w", err)
		}
		b = b[n:]
		switch num {
		case 1: // ListMeta
			if err := meta.Unmarshal(v); err != nil {
				return nil, "", "", fmt.Errorf("decoding a List page's metadata: %w", err)
			}
		case 2: // an item
			om, err := protoField(v, 1) // the object's metadata
			if err != nil {
				return nil, "", "", fmt.Errorf("decoding a List item: %w", err)
			}
			ns, err := protoField(om, 3) // ObjectMeta.namespace
			if err != nil {
				return nil, "", "", fmt.Errorf("decoding a List item's namespace: %w", err)
			}
			last = string(ns)
			if !keep(last) {
				continue
			}
			var item T
			if err := PT(&item).Unmarshal(v); err != nil {
				return nil, "", "", fmt.Errorf("decoding a List item: %w", err)
			}
			items = append(items, item)
		}
	}
	return items, meta.Continue, last, nil
}

// nextProtoField reads the field at the start of b: its number, its bytes
// when it is length-delimited (nil otherwise), and its length in b.
func nextProtoField(b []byte) (protowire.Number, []byte, int, error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, nil, 0, protowire.ParseError(n)
	}
	if typ != protowire.BytesType {
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return 0, nil, 0, protowire.ParseError(m)
		}
		return num, nil, n + m, nil
	}
	v, m := protowire.ConsumeBytes(b[n:])
	if m < 0 {
		return 0, nil, 0, protowire.ParseError(m)
	}
	return num, v, n + m, nil
}

// protoField returns the bytes of message b's last length-delimited field
// num (protobuf's rule for a repeated singular field), nil when absent.
func protoField(b []byte, num protowire.Number) ([]byte, error) {
	var out []byte
	for len(b) > 0 {
		n, v, l, err := nextProtoField(b)
		if err != nil {
			return nil, err
		}
		if n == num && v != nil {
			out = v
		}
		b = b[l:]
	}
	return out, nil
}

// decodeJSONPage is decodePage for a server that answered in JSON.
func decodeJSONPage[T any](data []byte, keep func(string) bool) ([]T, string, string, error) {
	var list struct {
		Metadata metav1.ListMeta   `json:"metadata"`
		Items    []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, "", "", fmt.Errorf("decoding a List page: %w", err)
	}
	var items []T
	last := ""
	for _, raw := range list.Items {
		var m struct {
			Metadata struct {
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, "", "", fmt.Errorf("decoding a List item: %w", err)
		}
		last = m.Metadata.Namespace
		if !keep(last) {
			continue
		}
		var item T
		if err := json.Unmarshal(raw, &item); err != nil {
			return nil, "", "", fmt.Errorf("decoding a List item: %w", err)
		}
		items = append(items, item)
	}
	return items, list.Metadata.Continue, last, nil
}

// filteredPages makes a pageFunc of a plain List function: the whole page
// is decoded, then filtered (for clients with no REST client, as in tests).
func filteredPages[T any](list func(ctx context.Context, ns string, o metav1.ListOptions) ([]T, string, error), meta func(*T) *metav1.ObjectMeta) pageFunc[T] {
	return func(ctx context.Context, o metav1.ListOptions, keep func(string) bool) ([]T, string, string, error) {
		items, next, err := list(ctx, metav1.NamespaceAll, o)
		if err != nil {
			return nil, "", "", err
		}
		last := ""
		kept := items[:0]
		for i := range items {
			last = meta(&items[i]).Namespace
			if keep(last) {
				kept = append(kept, items[i])
			}
		}
		clear(items[len(kept):])
		return kept, next, last, nil
	}
}

// pagesOf is rawPages for a real client; a client with no REST client (a
// fake one) has its pages decoded whole by list, then filtered.
func pagesOf[T any, PT protoObject[T]](rc rest.Interface, resource string,
	list func(ctx context.Context, ns string, o metav1.ListOptions) ([]T, string, error), meta func(*T) *metav1.ObjectMeta) pageFunc[T] {
	if c, ok := rc.(*rest.RESTClient); rc == nil || ok && c == nil {
		return filteredPages(list, meta)
	}
	return rawPages[T, PT](rc, resource)
}
