package gather

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubelab/kubelab/internal/regularfile"
)

// MaxKubeconfigSize is the largest student kubeconfig read: one cluster,
// user and context with inline certificates is a few KiB.
const MaxKubeconfigSize = 1 << 20

// readKubeconfig reads a regular file of at most MaxKubeconfigSize bytes,
// opened without blocking so that a named pipe is refused, not waited on.
func readKubeconfig(path string) ([]byte, error) {
	data, err := regularfile.Read(path, MaxKubeconfigSize)
	var tooLarge *regularfile.TooLargeError
	if errors.As(err, &tooLarge) {
		return nil, fmt.Errorf("larger than %d bytes: not a kubeconfig", MaxKubeconfigSize)
	}
	return data, err
}

// notAKubeconfig says why a parsed file cannot reach any cluster, or "".
func notAKubeconfig(cfg *clientcmdapi.Config) string {
	servers := 0
	for _, c := range cfg.Clusters {
		if c != nil && c.Server != "" {
			servers++
		}
	}
	switch {
	case servers == 0:
		return "it names no cluster with a server"
	case len(cfg.Contexts) == 0:
		return "it names no context"
	}
	if cur := cfg.CurrentContext; cur != "" {
		if _, ok := cfg.Contexts[cur]; !ok {
			return fmt.Sprintf("its current-context %q is not among its contexts", cur)
		}
	}
	return ""
}

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
//
// It also refuses a file that is not a kubeconfig at all: not a regular
// file (a pipe would block, /dev/zero never end), larger than
// MaxKubeconfigSize, unreadable, or one that names no cluster with a server
// or no context. client-go reads an empty file, /dev/null or /etc/shadow as
// an empty kubeconfig without error; graded with one, every cluster check
// is "not graded" and the student's grade would be made of the image
// checks alone.
func VetKubeconfig(path string) error {
	data, err := readKubeconfig(path)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %v", path, err)
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return fmt.Errorf("kubeconfig %s is not a kubeconfig: %v", path, err)
	}
	if msg := notAKubeconfig(cfg); msg != "" {
		return fmt.Errorf("kubeconfig %s is not a kubeconfig: %s (export one with: kubectl config view --minify --flatten > FILE)", path, msg)
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
