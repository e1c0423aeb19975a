// Command kubelab teaches the beginner Kubernetes lab and grades it against a
// student's real cluster and Docker Hub image. Each command is a thin layer
// over the packages labs, checks and report.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command line with the given streams and returns its exit
// code; tests call it with buffers, in parallel.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root, g := newRoot()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	g.flushProfile(stderr)
	if err != nil {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(stderr, "kubelab:", msg)
		}
	}
	return exitCode(err)
}
