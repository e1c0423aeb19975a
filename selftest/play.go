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
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/pipeline"
	"github.com/kubelab/kubelab/report"
	"github.com/kubelab/kubelab/snapshot"
)

// The player: it plays each step's solution on the cluster, then settles what the checks should say after it.

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
		Job:       pipeline.Job{Lab: p.lab, Lang: "en", Image: p.vars["IMAGE"]},
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
