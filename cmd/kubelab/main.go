// Command kubelab teaches the beginner Kubernetes lab and grades it against a
// student's real cluster and Docker Hub image. Each command is a thin layer
// over the packages labs, checks and report.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	root, g := newRoot()
	root.SetArgs(args)
	err := root.Execute()
	g.flushProfile()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(os.Stderr, "kubelab:", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "kubelab:", err)
	return ExitUsage
}
