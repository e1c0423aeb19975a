package gather

import (
	"runtime"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/kubelab/kubelab/internal/i18n"
)

// EnvFix is one environment problem as a student reads it: what is
// missing, in their language, and the one command that fixes it (a
// command, so the same in both languages). check, submit, doctor and the
// serve page all word the problems here, so they say the same thing.
type EnvFix struct {
	What    i18n.Msg
	Command string
}

// EnvFixes words the problems ProbeEnv found for a student, one entry per
// distinct problem and fix, in the probes' order. The library's own text
// (Detail) stays out: it is in English whatever the student reads.
func EnvFixes(ps []EnvProblem, env EnvOptions) []EnvFix {
	var out []EnvFix
	seen := map[string]bool{}
	for _, p := range ps {
		f := envFix(p, env)
		if seen[f.Command+f.What.Key()] {
			continue
		}
		seen[f.Command+f.What.Key()] = true
		out = append(out, f)
	}
	return out
}

// BlocksSteps says whether a problem keeps steps from being checked at all
// (then a student gets one line per step, not one per check). A stopped
// Docker engine alone does not: only image.runs needs it, and the full
// report says so.
func BlocksSteps(ps []EnvProblem) bool {
	for _, p := range ps {
		if p.Kind != EnvNoDocker {
			return true
		}
	}
	return false
}

// RegistryHost is the registry an image lives on, as a student knows it
// ("Docker Hub" rather than index.docker.io).
func RegistryHost(image string, insecure bool) string {
	if image == "" {
		return "Docker Hub"
	}
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(image, opts...)
	if err != nil || ref.Context().RegistryStr() == name.DefaultRegistry {
		return "Docker Hub"
	}
	return ref.Context().RegistryStr()
}

func envFix(p EnvProblem, env EnvOptions) EnvFix {
	switch p.Kind {
	case EnvNoKubeconfig:
		return EnvFix{i18n.T("There is no kubeconfig yet: no cluster has been started on this computer."), "minikube start"}
	case EnvBadKubeconfig:
		return EnvFix{i18n.T("The kubeconfig cannot be read."), "minikube update-context"}
	case EnvWrongContext:
		return EnvFix{i18n.T("kubectl points at the context %s, whose cluster does not answer; the lab's cluster is %s.", env.Kube.Context, p.Context), "kubectl config use-context " + p.Context}
	case EnvClusterDown:
		return EnvFix{i18n.T("The cluster (context %s) does not answer: minikube is not running.", env.Kube.Context), "minikube start"}
	case EnvUnauthorized:
		return EnvFix{i18n.T("The cluster refused the credentials in the kubeconfig."), "minikube update-context"}
	case EnvRegistryDown:
		host := RegistryHost(env.Image, env.Insecure)
		login := "docker login"
		if host != "Docker Hub" {
			login += " " + host
		}
		// docker login both tests the way to the registry (network,
		// proxy) and is what the push step needs anyway.
		return EnvFix{i18n.T("The registry %s cannot be reached from this computer (network or proxy).", host), login}
	case EnvNoDocker:
		fix := "docker desktop start"
		if runtime.GOOS == "linux" {
			fix = "sudo systemctl start docker"
		}
		return EnvFix{i18n.T("Docker is not running."), fix}
	}
	return EnvFix{i18n.T("Something kubelab needs is missing."), "kubelab doctor"}
}
