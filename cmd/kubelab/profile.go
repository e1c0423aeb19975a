package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
)

// profiles are the --profile choices, as kubectl names them.
var profiles = []string{"none", "cpu", "heap", "allocs", "goroutine"}

// startProfile starts the profile named by g.Profile; g.stopProfile
// writes it to g.ProfileOutput when the command ends, failed or not.
// A lecturer grading a large class can send the file with a slow-run bug.
func (g *globalOptions) startProfile() error {
	switch g.Profile {
	case "none", "":
		return nil
	case "cpu":
		f, err := os.Create(g.ProfileOutput)
		if err != nil {
			return exitf(ExitUsage, "--profile-output: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return exitf(ExitUsage, "--profile cpu: %w", err)
		}
		g.stopProfile = func() error {
			pprof.StopCPUProfile()
			return f.Close()
		}
	case "heap", "allocs", "goroutine":
		// The file is created now, not at the end, so that a long run is
		// not lost to a path that cannot be written.
		f, err := os.Create(g.ProfileOutput)
		if err != nil {
			return exitf(ExitUsage, "--profile-output: %w", err)
		}
		name := g.Profile
		g.stopProfile = func() error {
			if name != "goroutine" {
				runtime.GC() // the heap as it is, not as of the last collection
			}
			err := pprof.Lookup(name).WriteTo(f, 0)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			return err
		}
	default:
		return exitf(ExitUsage, "--profile %q: use one of %v", g.Profile, profiles)
	}
	return nil
}

// flushProfile writes the running profile, if any; an error is only
// reported, since the command's own result matters more.
func (g *globalOptions) flushProfile(stderr io.Writer) {
	if g.stopProfile == nil {
		return
	}
	if err := g.stopProfile(); err != nil {
		fmt.Fprintf(stderr, "kubelab: writing the %s profile to %s: %v\n", g.Profile, g.ProfileOutput, err)
	}
	g.stopProfile = nil
}
