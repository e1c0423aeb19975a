package gather

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
)

// UnsafeKubeconfigError lists what makes a kubeconfig unsafe to use on
// someone else's behalf.
type UnsafeKubeconfigError struct {
	Path     string
	Problems []string
}

func (e *UnsafeKubeconfigError) Error() string {
	return fmt.Sprintf("kubeconfig %s is not safe to grade with: %s (a student's kubeconfig must carry its credentials inline: kubectl config view --minify --flatten > FILE)",
		e.Path, strings.Join(e.Problems, "; "))
}

// VetKubeconfig checks a kubeconfig that someone else wrote (a student's,
// named in a roster) before the grader uses it. Loading a kubeconfig with
// client-go can run programs and read the grader's files: an exec credential
// plugin or an auth provider runs a command of the file's choosing, and a
// tokenFile, client certificate, key or CA file path is read on the
// grader's machine (a token file is then sent to the file's server, and a
// path like /dev/zero never ends). VetKubeconfig only parses the file; it
// returns an *UnsafeKubeconfigError naming each such user or cluster.
func VetKubeconfig(path string) error {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %v", path, err)
	}
	var problems []string
	for name, u := range cfg.AuthInfos {
		if u == nil {
			continue
		}
		if u.Exec != nil {
			problems = append(problems, fmt.Sprintf("user %q runs a program for its credentials (exec: %q)", name, u.Exec.Command))
		}
		if u.AuthProvider != nil {
			problems = append(problems, fmt.Sprintf("user %q uses the auth provider %q, which may run programs", name, u.AuthProvider.Name))
		}
		if u.TokenFile != "" {
			problems = append(problems, fmt.Sprintf("user %q reads its token from the file %q", name, u.TokenFile))
		}
		if u.ClientCertificate != "" || u.ClientKey != "" {
			problems = append(problems, fmt.Sprintf("user %q reads its client certificate or key from a file", name))
		}
	}
	for name, c := range cfg.Clusters {
		if c != nil && c.CertificateAuthority != "" {
			problems = append(problems, fmt.Sprintf("cluster %q reads its CA certificate from the file %q", name, c.CertificateAuthority))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return &UnsafeKubeconfigError{Path: path, Problems: problems}
}
