package labs

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestSplitCommand(t *testing.T) {
	vars := map[string]string{"IMAGE": "127.0.0.1:5000/student/app:v1", "REPO": "127.0.0.1:5000/student/app", "TAG": "v1", "NAMESPACE": "lab 1"}
	cases := []struct {
		line string
		want []string
		err  string
	}{
		{"kubectl create deployment hello-flask --image=$IMAGE", []string{"kubectl", "create", "deployment", "hello-flask", "--image=127.0.0.1:5000/student/app:v1"}, ""},
		{"kubectl set image deployment/web web=${REPO}:v2", []string{"kubectl", "set", "image", "deployment/web", "web=127.0.0.1:5000/student/app:v2"}, ""},
		{`kubectl annotate deploy/web kubernetes.io/change-cause="version 2: new greeting"`, []string{"kubectl", "annotate", "deploy/web", "kubernetes.io/change-cause=version 2: new greeting"}, ""},
		{`kubectl patch deploy web -p '{"spec":{"replicas":3}}'`, []string{"kubectl", "patch", "deploy", "web", "-p", `{"spec":{"replicas":3}}`}, ""},
		// Single quotes keep $ literal; a variable's value is never split.
		{`kubectl label ns x 'a=$IMAGE' b=$NAMESPACE`, []string{"kubectl", "label", "ns", "x", "a=$IMAGE", "b=lab 1"}, ""},
		{`kubectl get pods -o jsonpath="{.items[*].metadata.name}"`, []string{"kubectl", "get", "pods", "-o", "jsonpath={.items[*].metadata.name}"}, ""},
		{`kubectl get pods -l app=web\ x  "" 'it''s'`, []string{"kubectl", "get", "pods", "-l", "app=web x", "", "its"}, ""},
		{`kubectl get cost $$5 "\$IMAGE"`, []string{"kubectl", "get", "cost", "$5", "$IMAGE"}, ""},
		{"kubectl get pods | grep web", nil, `"|" is shell syntax`},
		{"kubectl get pods > out.txt", nil, `">" is shell syntax`},
		{"kubectl get pods; kubectl get svc", nil, `";" is shell syntax`},
		{"kubectl get pods && echo ok", nil, `"&" is shell syntax`},
		{"kubectl get $(whoami)", nil, "command substitution"},
		{"kubectl get `whoami`", nil, "shell syntax"},
		{`kubectl get "pods`, nil, "unterminated double quote"},
		{`kubectl get 'pods`, nil, "unterminated single quote"},
		{"kubectl get pods # all of them", nil, "comments"},
		{"kubectl get $HOME", nil, "unknown variable $HOME"},
		{"kubectl get pods\r", nil, "on one line"},
		{"kubectl get \"$(whoami)\"", nil, "command substitution"},
		{`kubectl get "a\"b" x\`, []string{"kubectl", "get", `a"b`, `x\`}, ""},
	}
	for _, tc := range cases {
		got, err := SplitCommand(tc.line, vars)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.line, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %q, %v\nwant %q", tc.line, got, err, tc.want)
		}
	}
}

func TestCheckCommand(t *testing.T) {
	ok := []string{
		"kubectl get nodes",
		"kubectl rollout status deployment/web --timeout=60s",
		"kubectl apply -f deployment.yaml",
		"kubectl delete deployment,service web --ignore-not-found",
		"kubectl -n kube-system get pods",
	}
	for _, l := range ok {
		if err := CheckCommand(l); err != nil {
			t.Errorf("%s: %v", l, err)
		}
	}
	bad := map[string]string{
		"docker push student/app":                    `program "docker" is not allowed`,
		"sh -c 'kubectl get pods'":                   `program "sh" is not allowed`,
		"/usr/bin/kubectl get pods":                  `program "/usr/bin/kubectl" is not allowed`,
		"kubectl --context prod get pods":            "flag --context is not allowed",
		"kubectl get pods --kubeconfig=/etc/k.conf":  "flag --kubeconfig is not allowed",
		"kubectl get pods -w":                        "flag -w is not allowed",
		"kubectl run x --image=$IMAGE -it":           "flag -it is not allowed",
		"kubectl apply -f -":                         "standard input",
		"kubectl edit deployment web":                "kubectl edit is not allowed",
		"kubectl port-forward svc/web 5000":          "kubectl port-forward is not allowed",
		"kubectl exec deploy/web -- ls":              "kubectl exec is not allowed",
		"kubectl logs deploy/web -f":                 "waits forever",
		"kubectl get pods | wc -l":                   "shell syntax",
		"":                                           "empty command",
		"kubectl create deployment web --image=$IMG": "unknown variable $IMG",
	}
	for l, want := range bad {
		err := CheckCommand(l)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", l, err, want)
		}
	}
}

func TestExpandVars(t *testing.T) {
	got, err := ExpandVars("image: $IMAGE\nns: ${NAMESPACE}\ncost: $$5\nshell: $(date)\nend $", map[string]string{"IMAGE": "r/a:v1", "NAMESPACE": "lab"})
	want := "image: r/a:v1\nns: lab\ncost: $5\nshell: $(date)\nend $"
	if err != nil || got != want {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	if _, err := ExpandVars("$NOPE", nil); err == nil {
		t.Error("unknown variable accepted")
	}
}

const solutionSpec = goodSpec + `    solution:
      files:
        web.yaml: |
          image: $IMAGE
      image:
        tag: v1
        files: {/app/app.py: "print(1)\n"}
        entrypoint: [python]
        cmd: [app.py]
        workdir: /app
        expose: [5000]
      commands:
        - kubectl create deployment web --image=$IMAGE
        - kubectl apply -f web.yaml
      serve_app: true
`

func TestLoadSolution(t *testing.T) {
	l, err := Load(fsWith(solutionSpec), "lab", testCatalog)
	if err != nil {
		t.Fatal(err)
	}
	sol := l.Steps[0].Solution
	if sol == nil || len(sol.Commands) != 2 || !sol.ServeApp || sol.Image == nil || sol.Files["web.yaml"] != "image: $IMAGE\n" {
		t.Fatalf("solution %+v", sol)
	}
	im := sol.Image
	if im.Tag != "v1" || im.Workdir != "/app" || im.Platform != "linux/amd64" || !reflect.DeepEqual(im.Expose, []string{"5000/tcp"}) ||
		!reflect.DeepEqual(im.Entrypoint, []string{"python"}) || im.Files["/app/app.py"] != "print(1)\n" {
		t.Errorf("image %+v", im)
	}
	if !l.HasSolution() {
		t.Error("HasSolution false")
	}
}

// TestLoadSolutionProblems: a broken solution is reported like every other
// problem of a spec, with file, line and field.
func TestLoadSolutionProblems(t *testing.T) {
	cases := []struct {
		name, from, to string
		want           string
	}{
		{"program not kubectl", "- kubectl apply -f web.yaml", "- docker push student/app",
			`lab/lab.yaml:33: steps[0](one).solution.commands[1]: program "docker" is not allowed: a solution runs only kubectl`},
		{"unknown field", "      serve_app: true", "      serve-app: true",
			`lab/lab.yaml:34: steps[0](one).solution.serve-app: unknown field (known: commands, files, image, serve_app)`},
		{"unknown image field", "        workdir: /app", "        wrkdir: /app",
			`lab/lab.yaml:29: steps[0](one).solution.image.wrkdir: unknown field`},
		{"shell pipe", "- kubectl apply -f web.yaml", "- kubectl get pods | grep web",
			`lab/lab.yaml:33: steps[0](one).solution.commands[1]: "|" is shell syntax`},
		{"unknown variable", "--image=$IMAGE\n", "--image=$IMG\n",
			`lab/lab.yaml:32: steps[0](one).solution.commands[0]: unknown variable $IMG`},
		{"unquoted colon", "- kubectl apply -f web.yaml", "- kubectl annotate deploy/web why=v2: better",
			`lab/lab.yaml:33: steps[0](one).solution.commands[1]: reads as a YAML mapping`},
		{"serve_app not bool", "serve_app: true", "serve_app: often",
			`lab/lab.yaml:34: steps[0](one).solution.serve_app: must be true or false`},
		{"relative image path", `{/app/app.py: "print(1)\n"}`, `{app/app.py: "print(1)\n"}`,
			`lab/lab.yaml:26: steps[0](one).solution.image.files.app/app.py: "app/app.py" must be an absolute path in the image`},
		{"file escapes", "        web.yaml: |", "        ../web.yaml: |",
			`lab/lab.yaml:22: steps[0](one).solution.files.../web.yaml: "../web.yaml" must be a relative path`},
		{"bad tag", "tag: v1", "tag: 'v 1'",
			`lab/lab.yaml:25: steps[0](one).solution.image.tag: "v 1" is not a valid image tag`},
		{"bad port", "expose: [5000]", "expose: [http]",
			`steps[0](one).solution.image.expose[0]: "http" must be a port like 5000 or 5000/tcp`},
		{"forbidden flag", "- kubectl apply -f web.yaml", "- kubectl --context=prod apply -f web.yaml",
			`lab/lab.yaml:33: steps[0](one).solution.commands[1]: flag --context is not allowed`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(solutionSpec, tc.from) {
				t.Fatalf("fixture: %q not in spec", tc.from)
			}
			spec := strings.Replace(solutionSpec, tc.from, tc.to, 1)
			_, err := Load(fsWith(spec), "lab", testCatalog)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a ValidationError, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error lacks %q:\n%s", tc.want, err)
			}
			for _, p := range ve.Problems {
				if p.File == "" || p.Line == 0 || p.Field == "" {
					t.Errorf("problem without file, line or field: %+v", p)
				}
			}
		})
	}
	// A solution must do something.
	_, err := Load(fsWith(goodSpec+"    solution: {}\n"), "lab", testCatalog)
	if err == nil || !strings.Contains(err.Error(), "steps[0](one).solution: a solution needs commands, an image or serve_app") {
		t.Errorf("empty solution: %v", err)
	}
}
