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
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/gather"
	"github.com/kubelab/kubelab/internal/netguard"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// ErrNoSolution is returned for a lab none of whose steps has a solution.
var ErrNoSolution = errors.New("the lab has no solution to play: give its steps a solution: block (see docs/lab-authoring.md)")

// Expect is what a check must do in a state.
type Expect string

// The expectations.
const (
	ExpectPass    Expect = "pass"
	ExpectNotPass Expect = "fail/skip"
	ExpectAny     Expect = "any"
)

// Row is one expectation about one check in one state, and what happened.
type Row struct {
	// Step is the step the check belongs to.
	Step   string
	Check  string
	Expect Expect
	// Why explains an ExpectAny: "informational" or "cluster only".
	Why string
	Got report.Status
	// Held: the check did what was expected.
	Held bool
	// NotTested marks a check that needs Docker, which a self-test never
	// runs; it counts as held.
	NotTested bool
	Message   string
}

// GotText is Got as shown in the table.
func (r Row) GotText() string {
	if r.NotTested {
		return "not tested (needs Docker)"
	}
	return string(r.Got)
}

// ExpectText is Expect as shown in the table.
func (r Row) ExpectText() string {
	if r.Why != "" {
		return string(r.Expect) + " (" + r.Why + ")"
	}
	return string(r.Expect)
}

// CommandRun is one solution command as it ran.
type CommandRun struct {
	// Line is the command as the lab writes it; Args as it ran (variables
	// replaced, "kubectl" first).
	Line     string
	Args     []string
	Output   string
	Err      string
	Duration time.Duration
}

// State is one state of the self-test: "nothing done", or after one step's
// solution.
type State struct {
	// Step is the step whose solution made this state ("" for nothing done).
	Step string
	// Files written, images pushed (ref@digest), commands run, the service
	// stood in for.
	Files    []string
	Pushed   []string
	Commands []CommandRun
	Served   string
	// Problems playing the solution (a command that failed).
	Problems []string
	Rows     []Row
	// Grades is how many times the state was graded before it settled.
	Grades   int
	Duration time.Duration
}

// Name is "nothing done" or "after step X".
func (s *State) Name() string {
	if s.Step == "" {
		return "nothing done"
	}
	return "after step " + s.Step
}

// Result is a whole self-test.
type Result struct {
	Lab, Version string
	Namespace    string
	// Image is the image the student hands in ($IMAGE).
	Image    string
	States   []*State
	Duration time.Duration
}

// OK reports whether every expectation held and the solution played
// without problems.
func (r *Result) OK() bool {
	for _, s := range r.States {
		if len(s.Problems) > 0 {
			return false
		}
		for _, row := range s.Rows {
			if !row.Held {
				return false
			}
		}
	}
	return true
}

// Broken lists every expectation that did not hold and every problem, each
// naming the state, the step and the check.
func (r *Result) Broken() []string {
	var out []string
	for _, s := range r.States {
		for _, p := range s.Problems {
			out = append(out, s.Name()+": "+p)
		}
		for _, row := range s.Rows {
			if !row.Held {
				out = append(out, fmt.Sprintf("%s: check %s of step %s: expected %s, got %s: %s",
					s.Name(), row.Check, row.Step, row.ExpectText(), row.GotText(), row.Message))
			}
		}
	}
	return out
}

// Counts returns how many expectations held, broke and were not tested.
func (r *Result) Counts() (held, broken, notTested int) {
	for _, s := range r.States {
		for _, row := range s.Rows {
			switch {
			case !row.Held:
				broken++
			case row.NotTested:
				notTested++
				held++
			default:
				held++
			}
		}
	}
	return
}

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

// player plays one lab's solution.
type player struct {
	env  *Env
	lab  *labs.Lab
	opt  Options
	vars map[string]string
	// work is the student's working directory; kubeconfig points kubectl
	// at the simulated cluster and the student's namespace.
	work, home, kubeconfig string
	stops                  []func()
}

func (p *player) setup(ctx context.Context) error {
	repo := p.env.Registry + "/" + p.opt.Repository
	tag := "latest"
	for _, st := range p.lab.Steps {
		if st.Solution != nil && st.Solution.Image != nil && st.Solution.Image.Tag != "" {
			tag = st.Solution.Image.Tag
			break
		}
	}
	p.vars = map[string]string{"REPO": repo, "TAG": tag, "IMAGE": repo + ":" + tag, "NAMESPACE": p.opt.Namespace}
	var err error
	if p.work, err = os.MkdirTemp("", "kubelab-selftest-work-"); err != nil {
		return err
	}
	p.home = filepath.Join(p.work, ".home")
	if err := os.MkdirAll(p.home, 0o700); err != nil {
		return err
	}
	// The student's kubeconfig: the simulated cluster, their namespace.
	cfg, err := clientcmd.LoadFromFile(p.env.Cluster.Kubeconfig)
	if err != nil {
		return fmt.Errorf("selftest: kubeconfig: %w", err)
	}
	if c := cfg.Contexts[cfg.CurrentContext]; c != nil {
		c.Namespace = p.opt.Namespace
	}
	p.kubeconfig = filepath.Join(p.home, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, p.kubeconfig); err != nil {
		return err
	}
	// The namespace exists before anything is done, as the student's would.
	cs, err := p.env.Cluster.Clientset()
	if err != nil {
		return err
	}
	_, err = cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: p.opt.Namespace}}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("selftest: namespace %s already exists in the cluster; a self-test needs an empty namespace", p.opt.Namespace)
	}
	if err != nil {
		return fmt.Errorf("selftest: creating namespace %s: %w", p.opt.Namespace, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := cs.CoreV1().ServiceAccounts(p.opt.Namespace).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("selftest: namespace %s has no default service account after 30s", p.opt.Namespace)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (p *player) cleanup() {
	for _, stop := range p.stops {
		stop()
	}
	os.RemoveAll(p.work)
}

// play runs one step's solution: files, image, commands, app stand-in. It
// returns false when the solution could not be played.
func (p *player) play(ctx context.Context, st *labs.Step, s *State) bool {
	sol := st.Solution
	for _, rel := range labs.SortedFiles(sol.Files) {
		content, err := labs.ExpandVars(sol.Files[rel], p.vars)
		if err == nil {
			dst := filepath.Join(p.work, filepath.FromSlash(rel))
			if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
				err = os.WriteFile(dst, []byte(content), 0o644)
			}
		}
		if err != nil {
			s.Problems = append(s.Problems, fmt.Sprintf("step %s: writing file %s: %v", st.ID, rel, err))
			return false
		}
		s.Files = append(s.Files, rel)
	}
	if si := sol.Image; si != nil {
		tag := si.Tag
		if tag == "" {
			tag = p.vars["TAG"]
		}
		ref := p.vars["REPO"] + ":" + tag
		img, err := BuildImage(si)
		var digest string
		if err == nil {
			digest, err = push(ctx, ref, img)
		}
		if err != nil {
			s.Problems = append(s.Problems, fmt.Sprintf("step %s: building and pushing the image %s: %v", st.ID, ref, err))
			return false
		}
		s.Pushed = append(s.Pushed, ref+"@"+digest)
		fmt.Fprintf(p.opt.Log, "  pushed %s\n", ref)
	}
	for _, line := range sol.Commands {
		run := p.command(ctx, line)
		s.Commands = append(s.Commands, run)
		fmt.Fprintf(p.opt.Log, "  $ %s\n", strings.Join(run.Args, " "))
		if run.Err != "" {
			s.Problems = append(s.Problems, fmt.Sprintf("step %s: command failed: %s: %s\n%s", st.ID, line, run.Err, indent(run.Output)))
			return false
		}
	}
	if sol.ServeApp {
		svc, err := p.serveApp(ctx)
		if err != nil {
			// Not fatal: app.responds will say what a browser would see.
			s.Problems = append(s.Problems, fmt.Sprintf("step %s: serve_app: %v", st.ID, err))
		} else {
			s.Served = svc
		}
	}
	return true
}

// command runs one solution command line with the real kubectl, in the
// student's working directory, namespace and cluster. No shell runs.
func (p *player) command(ctx context.Context, line string) CommandRun {
	run := CommandRun{Line: line}
	start := time.Now()
	defer func() { run.Duration = time.Since(start) }()
	args, err := labs.SplitCommand(line, p.vars)
	if err == nil {
		err = labs.CheckCommand(line)
	}
	if err != nil {
		run.Err = err.Error()
		return run
	}
	run.Args = args
	cctx, cancel := context.WithTimeout(ctx, p.opt.CommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, p.env.Cluster.KubectlPath(), args[1:]...)
	cmd.Dir = p.work
	cmd.Env = []string{"KUBECONFIG=" + p.kubeconfig, "HOME=" + p.home, "PATH=" + os.Getenv("PATH"), "LANG=C"}
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	run.Output = string(out)
	if len(run.Output) > 16<<10 {
		run.Output = run.Output[:16<<10] + "\n…"
	}
	if err != nil {
		if cctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("timed out after %s", p.opt.CommandTimeout)
		}
		run.Err = err.Error()
	}
	return run
}

// serveApp stands in for the app on the node port of the service that
// exposes the student's deployment, as `minikube service` would open it.
func (p *player) serveApp(ctx context.Context) (string, error) {
	cfg, err := p.env.Cluster.RestConfig()
	if err != nil {
		return "", err
	}
	cs, err := gather.NewClient(cfg, nil, 10*time.Second)
	if err != nil {
		return "", err
	}
	deadline := time.Now().Add(p.opt.Settle)
	var t *snapshot.Target
	for {
		ns := gather.GatherNamespaces(ctx, cs, []string{p.opt.Namespace})[p.opt.Namespace]
		t = checks.Discover(ns, p.vars["IMAGE"], "")
		if t.Service != nil || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	if t.Deployment == nil {
		return "", errors.New("no deployment runs the student's image, so there is no app to answer")
	}
	if t.Service == nil {
		return "", fmt.Errorf("no service exposes deployment %s, so a browser could not reach the app", t.Deployment.Name)
	}
	stop, err := p.env.Cluster.ServeApp(ctx, p.opt.Namespace, t.Service.Name, p.standIn(), false)
	if err != nil {
		return "", err
	}
	p.stops = append(p.stops, stop)
	return t.Service.Name, nil
}

// standIn answers like the student's app would, including every text an
// app.responds check of the lab looks for.
func (p *player) standIn() http.Handler {
	body := "Hello from Kubernetes! (kubelab self-test, standing in for the app)\n"
	for _, c := range p.lab.Checks() {
		if c.ID == "app.responds" {
			if s, ok := c.Params["contains"].(string); ok && s != "" {
				body += s + "\n"
			}
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, body)
	})
}

// expectations lists what each check must do in state i of last.
func (p *player) expectations(i, last int, owner map[string]int) []Row {
	var rows []Row
	for _, st := range p.lab.Steps {
		q := owner[st.ID]
		if q < i && i < last {
			continue
		}
		for _, ref := range st.Checks {
			r := Row{Step: st.ID, Check: ref.ID, Expect: ExpectPass}
			if q > i {
				r.Expect = ExpectNotPass
			}
			switch {
			case q < i && !ref.Informational:
				r.Why = "finished lab"
			case ref.Informational:
				r.Expect, r.Why = ExpectAny, "informational"
			case q > i && clusterOnly(ref.ID):
				r.Expect, r.Why = ExpectAny, "cluster only"
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// clusterOnly reports whether a check reads nothing but the cluster itself.
func clusterOnly(id string) bool {
	c, ok := checks.Lookup(id)
	if !ok || len(c.Sources) == 0 {
		return false
	}
	for _, s := range c.Sources {
		if s != snapshot.SrcCluster {
			return false
		}
	}
	return true
}

// needsDocker reports whether a check runs the image as a container.
func needsDocker(id string) bool {
	c, ok := checks.Lookup(id)
	if !ok {
		return false
	}
	for _, s := range c.Sources {
		if s == snapshot.SrcRun {
			return true
		}
	}
	return false
}

// settle grades state i until the checks it owns pass or Settle runs out,
// and records every expectation against the last grade.
func (p *player) settle(ctx context.Context, i, last int, owner map[string]int, s *State) {
	deadline := time.Now().Add(p.opt.Settle)
	for {
		rep := p.grade(ctx)
		s.Grades++
		got := map[string]report.Result{}
		for _, r := range rep.Checks {
			got[r.ID] = r
		}
		rows := p.expectations(i, last, owner)
		settled := true
		for k := range rows {
			r := &rows[k]
			res, ok := got[r.Check]
			if !ok {
				r.Got, r.Message = report.Error, "the check was not graded"
				continue
			}
			r.Got, r.Message = res.Status, res.Message
			switch r.Expect {
			case ExpectAny:
				r.Held = true
			case ExpectPass:
				r.Held = res.Status == report.Pass
				if !r.Held && res.Status == report.Skipped && needsDocker(r.Check) {
					r.Held, r.NotTested = true, true
				}
				if !r.Held {
					settled = false
				}
			case ExpectNotPass:
				r.Held = res.Status == report.Fail || res.Status == report.Skipped
			}
		}
		s.Rows = rows
		if settled || time.Now().After(deadline) || ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (p *player) grade(ctx context.Context) *report.Report {
	return pipeline.Grade(ctx, pipeline.Request{
		Lab: p.lab, Lang: "en", Image: p.vars["IMAGE"],
		Kube:      gather.LoadKube(p.kubeconfig, "", p.opt.Namespace),
		ImageOpts: gather.ImageOptions{Insecure: true, Keychain: anonymous{}},
		// image.runs needs Docker: a self-test never runs containers.
		NoRun: true,
		// The simulated cluster's pod IPs are fake: never the service proxy.
		App:     gather.AppOptions{ServiceProxy: false, Timeout: 3 * time.Second},
		Timeout: time.Minute,
	})
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
