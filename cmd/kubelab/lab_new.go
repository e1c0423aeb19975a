package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/labs"
)

type labNewOptions struct {
	Dir   string
	Force bool
}

func newLabNewCmd(_ *globalOptions) *cobra.Command {
	o := &labNewOptions{}
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Write a new lab skeleton (lab.yaml, lessons in en and id, a solution) that validates and self-tests as written",
		Long: `new writes a small working lab into DIR (default ./NAME): a lab.yaml with four
steps (push an image, deploy it, expose it, open it), their lessons in English
and Bahasa Indonesia, and a solution for every step. Edit it into your own
lab, then prove it:

  kubelab lab validate NAME
  kubelab lab selftest NAME

NAME is the lab id: lower-case letters, digits, '-' and '.'.`,
		Example: `  kubelab lab new demo
  kubelab lab new k8s-week3 --dir labs/week3`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.OutOrStdout(), args[0])
		},
	}
	cmd.Flags().StringVar(&o.Dir, "dir", "", "directory to write the lab into (default ./NAME)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "write into a directory that is not empty (files of the skeleton are overwritten)")
	return cmd
}

var labIDRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)

func (o *labNewOptions) run(stdout io.Writer, id string) error {
	if !labIDRe.MatchString(id) || len(id) > 50 {
		return exitf(ExitUsage, "lab name %q: use lower-case letters, digits, '-' and '.' (at most 50), e.g. k8s-week3", id)
	}
	dir := o.Dir
	if dir == "" {
		dir = id
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 && !o.Force {
		return exitf(ExitUsage, "%s exists and is not empty; choose another --dir or pass --force", dir)
	}
	files := skeleton(id)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return exitf(ExitInternal, "%v", err)
		}
		if err := os.WriteFile(p, []byte(files[n]), 0o644); err != nil {
			return exitf(ExitInternal, "%v", err)
		}
	}
	// The skeleton must load as written; anything else is a bug here.
	l, err := labs.Load(os.DirFS(dir), ".", checks.CatalogForLabs())
	if err != nil {
		return exitf(ExitInternal, "the new lab does not validate (a kubelab bug): %v", err)
	}
	fmt.Fprintf(stdout, "wrote lab %s to %s: %d steps, %d checks, %s points\n", l.ID, dir, len(l.Steps), len(l.Checks()), fmtNum(l.MaxScore()))
	for _, n := range names {
		fmt.Fprintf(stdout, "  %s\n", filepath.Join(dir, filepath.FromSlash(n)))
	}
	fmt.Fprintf(stdout, "next:\n  kubelab lab validate %s\n  kubelab lab selftest %s\n  kubelab lab show --lab-dir %s\n", dir, dir, dir)
	return nil
}

// skeleton returns the new lab's files by path.
func skeleton(id string) map[string]string {
	r := strings.NewReplacer("LABID", id)
	out := map[string]string{"lab.yaml": r.Replace(skeletonSpec)}
	for _, f := range skeletonLessons {
		out["en/"+f.file] = r.Replace(f.en)
		out["id/"+f.file] = r.Replace(f.id)
	}
	return out
}

const skeletonSpec = `# Lab LABID, written by kubelab lab new. The format, every field and the check
# catalog: docs/lab-authoring.md (or kubelab lab checks).
#
#   kubelab lab validate <dir>    every problem with file, line and field
#   kubelab lab selftest <dir>    plays the solutions on a simulated cluster
#   kubelab check --lab-dir <dir> --image <user>/hello-flask
id: LABID
version: 0.1.0
title:
  en: "LABID: deploy and expose a web app"
  id: "LABID: men-deploy dan mengekspos aplikasi web"
description:
  en: Push a small Flask app as an image, run it on Kubernetes, expose it and open it in a browser.
  id: Unggah aplikasi Flask kecil sebagai image, jalankan di Kubernetes, ekspos, lalu buka di browser.
languages: [en, id]
pass_percent: 80
steps:
  - id: push
    title: {en: Push the image, id: Mengunggah image}
    file: {en: en/01-push.md, id: id/01-push.md}
    # What the student does to complete the step. The self-test builds this
    # image and pushes it as the student's image ($IMAGE).
    solution:
      image:
        files:
          /app/app.py: |
            from flask import Flask

            app = Flask(__name__)


            @app.route("/")
            def hello():
                return "Hello from Kubernetes!\n"


            if __name__ == "__main__":
                app.run(host="0.0.0.0", port=5000)
          /app/requirements.txt: "flask\n"
        workdir: /app
        expose: [5000/tcp]
        entrypoint: [python]
        cmd: [app.py]
    checks:
      - id: image.pushed
        points: 20
        required: true
        hints:
          en:
            - Did docker push end with a digest line?
            - Push it again with docker push <user>/hello-flask and hand in exactly that name.
          id:
            - Apakah docker push diakhiri baris digest?
            - Push lagi dengan docker push <user>/hello-flask dan serahkan nama yang persis sama.
  - id: deploy
    title: {en: Deploy it, id: Men-deploy}
    file: {en: en/02-deploy.md, id: id/02-deploy.md}
    solution:
      commands:
        - kubectl create deployment web --image=$IMAGE
        - kubectl rollout status deployment/web --timeout=60s
    checks:
      - id: deployment.exists
        points: 20
        required: true
      - id: deployment.available
        points: 20
        needs: [deployment.exists]
  - id: expose
    title: {en: Expose it, id: Mengekspos}
    file: {en: en/03-expose.md, id: id/03-expose.md}
    solution:
      commands:
        - kubectl expose deployment web --type=NodePort --port=5000
    checks:
      - id: service.exists
        points: 15
        needs: [deployment.exists]
      - id: service.type
        points: 10
        needs: [service.exists]
        params: {type: NodePort}
      - id: service.port
        points: 5
        needs: [service.exists]
        params: {port: 5000}
  - id: open
    title: {en: Open it in a browser, id: Membuka di browser}
    file: {en: en/04-open.md, id: id/04-open.md}
    # The app answers: the self-test stands in for it on the node port.
    solution:
      serve_app: true
    checks:
      - id: app.responds
        points: 10
        needs: [service.exists]
        params: {path: /}
`

var skeletonLessons = []struct{ file, en, id string }{
	{"01-push.md", `# Push the image

In this lab you run a small web app on Kubernetes. It starts as a container
image on Docker Hub.

Build the image from your project folder and push it:

` + "```sh" + `
docker build -t <user>/hello-flask .
docker push <user>/hello-flask
` + "```" + `

The push ends with a line like this:

` + "```text" + `
latest: digest: sha256:3f1c... size: 1789
` + "```" + `
`, `# Mengunggah image

Di lab ini Anda menjalankan aplikasi web kecil di Kubernetes. Semuanya dimulai
dari sebuah image kontainer di Docker Hub.

Bangun image dari folder proyek Anda, lalu unggah:

` + "```sh" + `
docker build -t <user>/hello-flask .
docker push <user>/hello-flask
` + "```" + `

Push diakhiri baris seperti ini:

` + "```text" + `
latest: digest: sha256:3f1c... size: 1789
` + "```" + `
`},
	{"02-deploy.md", `# Deploy it

A Deployment keeps your app running. Create one that runs your image, and wait
until it is ready:

` + "```sh" + `
kubectl create deployment web --image=<user>/hello-flask
kubectl rollout status deployment/web
` + "```" + `

` + "```text" + `
deployment "web" successfully rolled out
` + "```" + `
`, `# Men-deploy

Deployment menjaga aplikasi Anda tetap berjalan. Buat Deployment yang
menjalankan image Anda, lalu tunggu sampai siap:

` + "```sh" + `
kubectl create deployment web --image=<user>/hello-flask
kubectl rollout status deployment/web
` + "```" + `

` + "```text" + `
deployment "web" successfully rolled out
` + "```" + `
`},
	{"03-expose.md", `# Expose it

A Service gives the pods one stable address. A NodePort service also opens a
port on the node, so you can reach the app from outside the cluster:

` + "```sh" + `
kubectl expose deployment web --type=NodePort --port=5000
kubectl get services
` + "```" + `
`, `# Mengekspos

Service memberi pod satu alamat yang tetap. Service bertipe NodePort juga
membuka sebuah port di node, sehingga aplikasi bisa dibuka dari luar klaster:

` + "```sh" + `
kubectl expose deployment web --type=NodePort --port=5000
kubectl get services
` + "```" + `
`},
	{"04-open.md", `# Open it in a browser

Let minikube open the service for you:

` + "```sh" + `
minikube service web
` + "```" + `

The page says "Hello from Kubernetes!". Well done!
`, `# Membuka di browser

Biarkan minikube membuka service untuk Anda:

` + "```sh" + `
minikube service web
` + "```" + `

Halamannya menampilkan "Hello from Kubernetes!". Selamat!
`},
}
