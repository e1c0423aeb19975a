// Package selftest proves a lab: it plays the lab's solution step by step
// on the simulated cluster, with the real kubectl, and grades after each
// step, so that every check is shown to fail before its step is done and to
// pass once it is.
//
// The rule, state by state:
//
//   - "nothing done" is the state before any solution runs: the student's
//     namespace exists and is empty, nothing is pushed.
//   - A step with a solution starts a new state, the one after its solution
//     ran. A step without a solution belongs to the state of the nearest
//     step with a solution before it: it only looks at what that step did
//     ("kubectl get pods" after "kubectl create deployment"). Steps before
//     the first solution belong to "nothing done": the environment does
//     them (a running cluster).
//   - In each state, the checks of the steps that belong to it must pass.
//     A check that needs Docker (image.runs) is "not tested": a self-test
//     never runs containers.
//   - The checks of steps that belong to later states must not pass yet:
//     they must fail or be skipped. Exempt are informational checks and
//     checks that read only the cluster (cluster.*), which a working
//     cluster passes from the start.
//   - Checks of earlier states are not asserted again on the way: a later
//     step may change what they saw (rolling out v2 after deploying v1).
//   - But after the last step, the finished lab must earn every check: all
//     checks must pass (informational ones excepted, image.runs not
//     tested), since a student who did the whole lab hands it in then.
package selftest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kubelab/kubelab/internal/netguard"
	"github.com/kubelab/kubelab/labs"
)

// ErrNoSolution is returned for a lab none of whose steps has a solution.
var ErrNoSolution = errors.New("the lab has no solution to play: give its steps a solution: block (see docs/lab-authoring.md)")

// Options configure Run.
type Options struct {
	// Namespace is the student's namespace (default "selftest-<lab id>").
	Namespace string
	// Repository is the student's image repository on the test registry
	// (default "student/hello-flask"); $REPO is it with the registry.
	Repository string
	// Settle is how long a state may take to show what its steps did
	// (default 60s); a state is graded again until its checks pass.
	Settle time.Duration
	// CommandTimeout bounds each command (default 2 minutes).
	CommandTimeout time.Duration
	// Log receives progress lines (nil: none).
	Log io.Writer
}

// Run plays lab's solution in env and grades each state.
func Run(ctx context.Context, env *Env, lab *labs.Lab, opt Options) (*Result, error) {
	if !lab.HasSolution() {
		return nil, ErrNoSolution
	}
	start := time.Now()
	if opt.Namespace == "" {
		opt.Namespace = "selftest-" + lab.ID
		if len(opt.Namespace) > 63 {
			opt.Namespace = strings.TrimRight(opt.Namespace[:63], "-.")
		}
		opt.Namespace = strings.ReplaceAll(opt.Namespace, ".", "-")
	}
	if opt.Repository == "" {
		opt.Repository = "student/hello-flask"
	}
	if opt.Settle == 0 {
		opt.Settle = 60 * time.Second
	}
	if opt.CommandTimeout == 0 {
		opt.CommandTimeout = 2 * time.Minute
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	// Probes may reach only loopback (the stand-in app on the node port).
	if os.Getenv(netguard.EnvVar) == "" {
		os.Setenv(netguard.EnvVar, "127.0.0.0/8")
		defer os.Unsetenv(netguard.EnvVar)
	}

	p := &player{env: env, lab: lab, opt: opt}
	if err := p.setup(ctx); err != nil {
		return nil, err
	}
	defer p.cleanup()
	res := &Result{Lab: lab.ID, Version: lab.Version, Namespace: opt.Namespace, Image: p.vars["IMAGE"]}
	fmt.Fprintf(opt.Log, "selftest %s: namespace %s, image %s\n", lab.ID, opt.Namespace, p.vars["IMAGE"])

	// owner[step] is the state whose expectations hold the step's checks.
	owner := map[string]int{}
	var solved []*labs.Step
	for _, st := range lab.Steps {
		if st.Solution != nil {
			solved = append(solved, st)
		}
		owner[st.ID] = len(solved)
	}
	for i := 0; i <= len(solved); i++ {
		t0 := time.Now()
		s := &State{}
		res.States = append(res.States, s)
		if i > 0 {
			s.Step = solved[i-1].ID
			fmt.Fprintf(opt.Log, "selftest %s: step %s\n", lab.ID, s.Step)
			if !p.play(ctx, solved[i-1], s) {
				// The later states would say nothing true about the lab.
				s.Duration = time.Since(t0)
				break
			}
		}
		p.settle(ctx, i, len(solved), owner, s)
		s.Duration = time.Since(t0)
		held := 0
		for _, r := range s.Rows {
			if r.Held {
				held++
			}
		}
		fmt.Fprintf(opt.Log, "selftest %s: %s: %d of %d expectations held (%.1fs)\n", lab.ID, s.Name(), held, len(s.Rows), s.Duration.Seconds())
	}
	res.Duration = time.Since(start)
	return res, nil
}
