package gather

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/kubelab/kubelab/report"
)

// ClusterCA returns the CA bundle cfg trusts for the API server: its CA
// data, else the file it names; nil when it trusts none (for example
// insecure-skip-tls-verify).
func ClusterCA(cfg *rest.Config) ([]byte, error) {
	if len(cfg.TLSClientConfig.CAData) > 0 {
		return cfg.TLSClientConfig.CAData, nil
	}
	if f := cfg.TLSClientConfig.CAFile; f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading the cluster CA: %w", err)
		}
		return b, nil
	}
	return nil, nil
}

// ClusterFingerprint identifies the cluster cfg reaches (see
// report.ClusterFingerprint): its CA bundle and the UID of its kube-system
// namespace, read with one GET through the read-only client.
func ClusterFingerprint(ctx context.Context, cfg *rest.Config, count *atomic.Int64) (string, error) {
	ca, err := ClusterCA(cfg)
	if err != nil {
		return "", err
	}
	cs, err := NewClient(cfg, count, 15*time.Second)
	if err != nil {
		return "", err
	}
	ns, err := cs.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("reading namespace kube-system: %w", err)
	}
	return report.ClusterFingerprint(ca, string(ns.UID)), nil
}
