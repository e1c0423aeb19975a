package checks

import (
	"regexp"
	"strings"

	"github.com/kubelab/kubelab/internal/i18n"
)

// envMessage is a gathering error as a message for the report. The
// operation is a message too (whatMsg), so the Indonesian names it in
// Indonesian and no English fragment ends up inside it.
func envMessage(e *GatherError) L {
	what := whatMsg(e.What)
	switch e.Kind {
	case ErrUnreachable:
		return T("Could not %s: the server is unreachable.", what)
	case ErrUnauthorized:
		return T("Could not %s: the credentials were refused (unauthorized).", what)
	case ErrForbidden:
		return T("Could not %s: forbidden.", what)
	case ErrTimeout:
		return T("Could not %s: timed out.", what)
	case ErrRateLimited:
		if e.RetryAfter > 0 {
			return T("Could not %s: the registry is rate limiting requests; retry after %s.", what, e.RetryAfter)
		}
		return T("Could not %s: the registry is rate limiting requests.", what)
	case ErrConfig:
		return T("Could not %s: %s.", what, e.Detail)
	}
	return T("Could not %s.", what)
}

// The operations gathering names in GatherError.What (see package gather).
var (
	reListIn   = regexp.MustCompile(`^list (\S+) in namespace (\S+)$`)
	reList     = regexp.MustCompile(`^list (\S+)$`)
	reReadOf   = regexp.MustCompile(`^read the (files|index|manifest|config) of (.+)$`)
	reReadImg  = regexp.MustCompile(`^read image (.+) from the registry$`)
	reReadName = regexp.MustCompile(`^read (\S+)$`)
	reNS       = regexp.MustCompile(`in namespace (\S+)`)
)

// whatMsg is a gathering operation as a message: its English is what
// itself. An operation it does not know is quoted in other languages, so
// it reads as a name rather than as mixed language.
func whatMsg(what string) L {
	switch what {
	case "reach the API server":
		return T("reach the API server")
	case "run the image as a container":
		return T("run the image as a container")
	case "load the kubeconfig":
		return T("load the kubeconfig")
	case "build a client":
		return T("build a client")
	case "read registry credentials from the Docker config":
		return T("read registry credentials from the Docker config")
	case "set up the registry client":
		return T("set up the registry client")
	}
	if m := reListIn.FindStringSubmatch(what); m != nil {
		return T("list %s in namespace %s", m[1], m[2])
	}
	if m := reReadImg.FindStringSubmatch(what); m != nil {
		return T("read image %s from the registry", m[1])
	}
	if m := reReadOf.FindStringSubmatch(what); m != nil {
		part := map[string]L{"files": T("files"), "index": T("index"), "manifest": T("manifest"), "config": T("config")}[m[1]]
		return T("read the %s of %s", part, m[2])
	}
	if m := reList.FindStringSubmatch(what); m != nil {
		return T("list %s", m[1])
	}
	if m := reReadName.FindStringSubmatch(what); m != nil {
		return T("read %s", m[1])
	}
	return i18n.TC("unknown operation", "%s", what)
}

// envHint says what to do about a gathering error, starting with the command
// that checks or fixes the environment.
func envHint(e *GatherError) L {
	registry := strings.Contains(e.What, "image") || strings.Contains(e.What, "registry")
	run := strings.Contains(e.What, "container")
	ns := "lab"
	if m := reNS.FindStringSubmatch(e.What); m != nil {
		ns = m[1]
	}
	kind := "pods"
	if m := reListIn.FindStringSubmatch(e.What); m != nil {
		kind = m[1]
	} else if m := reList.FindStringSubmatch(e.What); m != nil {
		kind = m[1]
		ns = ""
	}
	switch e.Kind {
	case ErrUnreachable:
		if registry {
			return T("Run `docker pull %s` on the grading machine to test the way to the registry (network, proxy, DNS or TLS), then `kubelab check` again. This is not your mistake.", whatImage(e.What))
		}
		return T("Run `minikube status` (start it with `minikube start`), then `kubectl config use-context minikube`, and `kubelab check` again.")
	case ErrUnauthorized:
		if registry || run {
			return T("Log in again with `docker login`, then `kubelab check` again: the registry refused the saved login.")
		}
		return T("Refresh the kubeconfig with `minikube update-context` and `kubectl config use-context minikube`, then `kubelab check` again: the cluster refused the credentials.")
	case ErrForbidden:
		can := "`kubectl auth can-i list " + kind + " -n " + ns + "`"
		if ns == "" {
			can = "`kubectl auth can-i list " + kind + "`"
		}
		return T("Check the grader's access with %s; it needs the read permissions in deploy/rbac.yaml (`kubectl apply -f deploy/rbac.yaml`). This is not your mistake.", can)
	case ErrTimeout:
		return T("Run `kubelab check --timeout 5m` again: the server was slow or hanging. This is not your mistake.")
	case ErrRateLimited:
		return T("Wait a few minutes, then run `kubelab check` again; this is not your mistake.")
	case ErrConfig:
		if registry {
			return T("Check the registry login with `docker login`, then `kubelab check` again.")
		}
		return T("Check the kubeconfig with `kubectl config current-context` (it should be minikube: `kubectl config use-context minikube`), then `kubelab check` again.")
	}
	return T("Run `kubelab check` again later; this is not your mistake.")
}

// whatImage is the image a registry operation names, or IMAGE.
func whatImage(what string) string {
	if m := reReadImg.FindStringSubmatch(what); m != nil {
		return m[1]
	}
	if m := reReadOf.FindStringSubmatch(what); m != nil {
		return m[2]
	}
	return "IMAGE"
}
