package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/checks"
	"github.com/kubelab/kubelab/labs"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	Lang          string
	LabDir        string
	Profile       string
	ProfileOutput string

	stopProfile func() error
}

func newRoot() (*cobra.Command, *globalOptions) {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "kubelab",
		Short: "Kubernetes lab runner and auto-grader",
		Long: `kubelab teaches a beginner Kubernetes lab step by step and grades it by
inspecting the student's real cluster and Docker Hub image.

Students read the lesson (kubelab lab show), do each step on minikube and
Docker Hub, and check their own work (kubelab check). Lecturers grade whole
classes (kubelab grade) and export reports.`,
		Example: `  kubelab lab show --lang id
  kubelab check --image budi/hello-flask
  kubelab check --image budi/hello-flask -o html --output-file report.html`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.Lang, "lang", defaultLang(), "language of lessons and reports: id (Bahasa Indonesia) or en; the default follows LANG")
	root.PersistentFlags().StringVar(&g.LabDir, "lab-dir", "", "load the lab from this directory (lab.yaml + Markdown) instead of the built-in labs")
	root.PersistentFlags().StringVar(&g.Profile, "profile", "none", "write a Go profile of this run: none, cpu, heap, allocs or goroutine (for a bug report about a slow or large run)")
	root.PersistentFlags().StringVar(&g.ProfileOutput, "profile-output", "profile.pprof", "the file --profile writes (read it with go tool pprof)")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		g.Lang = strings.ToLower(g.Lang)
		if g.Lang != "id" && g.Lang != "en" {
			return exitf(ExitUsage, "--lang %q: use id (Bahasa Indonesia) or en (English)", g.Lang)
		}
		return g.startProfile()
	}
	// Installed by krew, kubelab runs as kubectl-kubelab: help and usage
	// then say "kubectl kubelab", the command the student types.
	if strings.HasPrefix(filepath.Base(os.Args[0]), "kubectl-") {
		root.Annotations = map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl kubelab"}
	}
	root.AddCommand(newVersionCmd(), newLabCmd(g), newCheckCmd(g), newSubmitCmd(g), newServeCmd(g), newGradeCmd(g), newReportCmd(), newKeysCmd(), newDoctorCmd(g))
	markCommandErrors(root)
	return root, g
}

// defaultLang reads the locale like gettext does: LANGUAGE, LC_ALL,
// LC_MESSAGES, LANG; Indonesian when it starts with "id", else English.
func defaultLang() string {
	for _, v := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"} {
		if s := os.Getenv(v); s != "" {
			if strings.HasPrefix(strings.ToLower(s), "id") || strings.HasPrefix(strings.ToLower(s), "in_") {
				return "id"
			}
			return "en"
		}
	}
	return "en"
}

// loadLab finds the lab named by args (or the default) with the catalog.
func (g *globalOptions) loadLab(args []string) (*labs.Lab, error) {
	id := ""
	if len(args) > 0 {
		id = args[0]
	}
	l, err := labs.Find(id, g.LabDir, checks.CatalogForLabs())
	if err != nil {
		return nil, exitf(ExitUsage, "%w", err)
	}
	return l, nil
}
