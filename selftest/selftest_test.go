package selftest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/internal/simcluster"
	"github.com/kubelab/kubelab/internal/testenv"
	"github.com/kubelab/kubelab/labs"
)

// startEnv starts the simulated cluster and registry once for a test.
func startEnv(t *testing.T) *Env {
	t.Helper()
	testenv.Real(t, "the simulated cluster")
	bins, err := simcluster.Binaries()
	if err != nil {
		testenv.Missing(t, "cluster binaries: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	env, err := StartEnv(ctx, EnvOptions{BinDir: bins, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	t.Logf("simulated cluster and registry up in %.1fs", time.Since(start).Seconds())
	return env
}

// labFrom loads a lab spec; every step's lesson is s.md.
func labFrom(t *testing.T, spec string) *labs.Lab {
	t.Helper()
	fsys := fstest.MapFS{"lab/lab.yaml": {Data: []byte(spec)}, "lab/s.md": {Data: []byte("# Step\n")}}
	l, err := labs.Load(fsys, "lab", checks.CatalogForLabs())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

const specHead = `id: %s
version: 0.0.1
title: {en: T, id: T}
languages: [en, id]
steps:
`

func step(id string) string {
	return "  - id: " + id + "\n    title: {en: " + id + ", id: " + id + "}\n    file: {en: s.md, id: s.md}\n"
}

func spec(id string, steps ...string) string {
	return strings.Replace(specHead, "%s", id, 1) + strings.Join(steps, "")
}

// TestSelftest plays the built-in labs and deliberately broken labs on one
// simulated cluster, each in its own namespace.
func TestSelftest(t *testing.T) {
	env := startEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	run := func(t *testing.T, l *labs.Lab, settle time.Duration) *Result {
		t.Helper()
		var log bytes.Buffer
		res, err := Run(ctx, env, l, Options{Settle: settle, Log: &log})
		if err != nil {
			t.Fatalf("%v\n%s", err, log.String())
		}
		var out bytes.Buffer
		if err := WriteText(&out, res, TextOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d states in %.1fs", l.ID, len(res.States), res.Duration.Seconds())
		if testing.Verbose() || t.Failed() {
			t.Log("\n" + out.String())
		}
		return res
	}

	// Both built-in labs pass their self-test.
	all, err := labs.Builtin(checks.CatalogForLabs())
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, l := range all {
		ids[l.ID] = true
		t.Run("builtin/"+l.ID, func(t *testing.T) {
			res := run(t, l, 60*time.Second)
			if !res.OK() {
				var out bytes.Buffer
				_ = WriteText(&out, res, TextOptions{BrokenOnly: true, Transcript: true})
				t.Fatalf("self-test of %s failed:\n%s", l.ID, out.String())
			}
			held, broken, notTested := res.Counts()
			if held == 0 || broken != 0 {
				t.Errorf("held %d, broken %d", held, broken)
			}
			// Every scored check was shown to pass at least once, and every
			// check of a step with a solution to not pass before it.
			passed, before := map[string]bool{}, map[string]bool{}
			for _, s := range res.States {
				for _, r := range s.Rows {
					if r.Expect == ExpectPass && r.Held {
						passed[r.Check] = true
					}
					if r.Expect == ExpectNotPass && r.Held {
						before[r.Check] = true
					}
				}
			}
			for _, c := range l.Checks() {
				if !c.Informational && !passed[c.ID] {
					t.Errorf("check %s was never shown to pass", c.ID)
				}
				if st := l.StepOf(c.ID); st.Solution != nil && !c.Informational && !clusterOnly(c.ID) && !before[c.ID] {
					t.Errorf("check %s of step %s was never shown to fail before its step", c.ID, st.ID)
				}
			}
			if l.ID == "kubernetes-basics" && notTested == 0 {
				t.Error("image.runs should be reported as not tested")
			}
		})
	}
	for _, want := range []string{"kubernetes-basics", "kubernetes-scaling"} {
		if !ids[want] {
			t.Errorf("built-in lab %s missing", want)
		}
	}

	deploy := step("deploy") + `    solution:
      commands:
        - kubectl create deployment web --image=$IMAGE
        - kubectl rollout status deployment/web --timeout=60s
    checks:
      - {id: deployment.exists, points: 10}
`
	t.Run("broken/service-type", func(t *testing.T) {
		// The check asks for a LoadBalancer; the solution exposes a ClusterIP.
		l := labFrom(t, spec("broken-type", deploy, step("expose")+`    solution:
      commands:
        - kubectl expose deployment web --port=5000
    checks:
      - {id: service.exists, points: 10, needs: [deployment.exists]}
      - {id: service.type, points: 10, needs: [service.exists], params: {type: LoadBalancer}}
`))
		res := run(t, l, 3*time.Second)
		if res.OK() {
			t.Fatal("a lab whose solution cannot satisfy service.type passed its self-test")
		}
		broken := strings.Join(res.Broken(), "\n")
		want := "after step expose: check service.type of step expose: expected pass, got fail: Service web is of type ClusterIP, not LoadBalancer."
		if !strings.Contains(broken, want) {
			t.Errorf("broken list lacks %q:\n%s", want, broken)
		}
		if n := len(res.Broken()); n != 1 {
			t.Errorf("%d broken expectations, want only service.type:\n%s", n, broken)
		}
		var out bytes.Buffer
		_ = WriteText(&out, res, TextOptions{})
		for _, w := range []string{"FAILED:", "BROKEN", "STEP", "CHECK", "EXPECTED", "GOT", "MESSAGE", "service.type"} {
			if !strings.Contains(out.String(), w) {
				t.Errorf("table lacks %q", w)
			}
		}
	})

	t.Run("broken/passes-too-early", func(t *testing.T) {
		// The deploy step's solution also exposes the app, so the expose
		// step's check passes before its step.
		l := labFrom(t, spec("broken-early", strings.Replace(deploy, "        - kubectl rollout status", "        - kubectl expose deployment web --port=5000\n        - kubectl rollout status", 1),
			step("expose")+`    solution:
      commands:
        - kubectl get services
    checks:
      - {id: service.exists, points: 10, needs: [deployment.exists]}
`))
		res := run(t, l, 3*time.Second)
		broken := strings.Join(res.Broken(), "\n")
		want := "after step deploy: check service.exists of step expose: expected fail/skip, got pass"
		if res.OK() || !strings.Contains(broken, want) {
			t.Errorf("want %q, got OK=%v:\n%s", want, res.OK(), broken)
		}
	})

	t.Run("broken/finished-lab", func(t *testing.T) {
		// A later step undoes an earlier one: the finished lab would not
		// earn service.exists.
		l := labFrom(t, spec("broken-finish", deploy, step("expose")+`    solution:
      commands:
        - kubectl expose deployment web --port=5000
    checks:
      - {id: service.exists, points: 10, needs: [deployment.exists]}
`, step("tidy")+`    solution:
      commands:
        - kubectl delete service web
`))
		res := run(t, l, 3*time.Second)
		broken := strings.Join(res.Broken(), "\n")
		want := "after step tidy: check service.exists of step expose: expected pass (finished lab), got fail"
		if res.OK() || !strings.Contains(broken, want) {
			t.Errorf("want %q, got OK=%v:\n%s", want, res.OK(), broken)
		}
	})

	t.Run("broken/command-fails", func(t *testing.T) {
		l := labFrom(t, spec("broken-command", deploy, step("inspect")+`    solution:
      commands:
        - kubectl get deployment no-such-deployment
    checks:
      - {id: deployment.available, points: 10, needs: [deployment.exists]}
`))
		res := run(t, l, 3*time.Second)
		broken := strings.Join(res.Broken(), "\n")
		want := "after step inspect: step inspect: command failed: kubectl get deployment no-such-deployment: exit status 1"
		if res.OK() || !strings.Contains(broken, want) || !strings.Contains(broken, "NotFound") {
			t.Errorf("want %q with kubectl's NotFound, got OK=%v:\n%s", want, res.OK(), broken)
		}
		if last := res.States[len(res.States)-1]; len(last.Rows) != 0 {
			t.Errorf("a state whose solution failed was still graded: %+v", last.Rows)
		}
	})
}

// TestExpectations: the rule, on a lab with steps without a solution before,
// between and after the steps with one. Pure: no cluster.
func TestExpectations(t *testing.T) {
	l := labFrom(t, spec("rules",
		step("cluster")+"    checks:\n      - {id: cluster.reachable, points: 1}\n      - {id: cluster.components, informational: true}\n",
		step("deploy")+"    solution: {commands: [kubectl create deployment web --image=$IMAGE]}\n    checks:\n      - {id: deployment.exists, points: 1}\n      - {id: cluster.node-ready, points: 1}\n",
		step("look")+"    checks:\n      - {id: pods.running, points: 1}\n",
		step("expose")+"    solution: {commands: [kubectl expose deployment web --port=5000]}\n    checks:\n      - {id: service.exists, points: 1}\n",
	))
	p := &player{lab: l}
	owner := map[string]int{"cluster": 0, "deploy": 1, "look": 1, "expose": 2}
	type e struct{ check, want string }
	show := func(rows []Row) []e {
		var out []e
		for _, r := range rows {
			out = append(out, e{r.Check, r.ExpectText()})
		}
		return out
	}
	cases := map[int][]e{
		0: {{"cluster.reachable", "pass"}, {"cluster.components", "any (informational)"}, {"deployment.exists", "fail/skip"},
			{"cluster.node-ready", "any (cluster only)"}, {"pods.running", "fail/skip"}, {"service.exists", "fail/skip"}},
		1: {{"deployment.exists", "pass"}, {"cluster.node-ready", "pass"}, {"pods.running", "pass"}, {"service.exists", "fail/skip"}},
		2: {{"cluster.reachable", "pass (finished lab)"}, {"cluster.components", "any (informational)"}, {"deployment.exists", "pass (finished lab)"},
			{"cluster.node-ready", "pass (finished lab)"}, {"pods.running", "pass (finished lab)"}, {"service.exists", "pass"}},
	}
	for i, want := range cases {
		got := show(p.expectations(i, 2, owner))
		if len(got) != len(want) {
			t.Errorf("state %d: %v, want %v", i, got, want)
			continue
		}
		for k := range want {
			if got[k] != want[k] {
				t.Errorf("state %d: %v, want %v", i, got, want)
				break
			}
		}
	}
}
