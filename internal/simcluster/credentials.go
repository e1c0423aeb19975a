// credentials.go holds the simulated cluster's certificate and kubeconfig
// files: the CA and serving certificates written at start-up, a real node's
// kubelet certificates, and the client kubeconfigs issued for users.

package simcluster

import (
	"net"
	"os"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func (c *Cluster) writePKI() error {
	p, err := newPKI()
	if err != nil {
		return err
	}
	c.pki = p
	if err := os.WriteFile(c.path("ca.crt"), p.caPEM, 0o644); err != nil {
		return err
	}
	kb, err := marshalKey(p)
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.path("ca.key"), kb, 0o600); err != nil {
		return err
	}
	var extra []net.IP
	if ip := net.ParseIP(c.apiAddress); ip != nil {
		extra = append(extra, ip)
	}
	crt, key, err := p.issue("kube-apiserver", nil, true, extra...)
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.path("apiserver.crt"), crt, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(c.path("apiserver.key"), key, 0o600); err != nil {
		return err
	}
	if c.apiAddress != "" {
		// A real node, reached as on minikube (kubeadm's layout): the API
		// server calls the kubelet (kubectl logs, exec, port-forward) on
		// the node address with a client certificate of its own, and
		// checks the kubelet's serving certificate against the cluster CA.
		certs := []struct {
			name, cn string
			groups   []string
			server   bool
		}{
			{"kubelet", c.NodeName, nil, true},
			{"apiserver-kubelet-client", "kube-apiserver-kubelet-client", []string{"system:masters"}, false},
		}
		for _, k := range certs {
			crt, key, err := p.issue(k.cn, k.groups, k.server, extra...)
			if err != nil {
				return err
			}
			if err := os.WriteFile(c.path(k.name+".crt"), crt, 0o644); err != nil {
				return err
			}
			if err := os.WriteFile(c.path(k.name+".key"), key, 0o600); err != nil {
				return err
			}
		}
	}
	return serviceAccountKey(c.path("sa.key"), c.path("sa.pub"))
}

// KubeletServing returns the files a real node's kubelet serves with (its
// certificate for the node address, its key) and the CA that signs the
// API server's client certificate (the kubelet's x509 client CA). Set for
// a cluster started with APIAddress only.
func (c *Cluster) KubeletServing() (crt, key, clientCA string) {
	return c.path("kubelet.crt"), c.path("kubelet.key"), c.path("ca.crt")
}

func (c *Cluster) writeKubeconfig(path, user string, groups []string) error {
	crt, key, err := c.pki.issue(user, groups, false)
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[c.Context] = &clientcmdapi.Cluster{Server: c.Server, CertificateAuthorityData: c.pki.caPEM}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: crt, ClientKeyData: key}
	cfg.Contexts[c.Context] = &clientcmdapi.Context{Cluster: c.Context, AuthInfo: user, Namespace: "default"}
	cfg.CurrentContext = c.Context
	return clientcmd.WriteToFile(*cfg, path)
}

func marshalKey(p *pki) ([]byte, error) {
	kb, err := x509MarshalEC(p)
	if err != nil {
		return nil, err
	}
	return pemBlock("EC PRIVATE KEY", kb), nil
}
