package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/grade"
	"github.com/kubelab/kubelab/handin"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/report"
)

type submitOptions struct {
	checkOptions
	Key    string
	Settle time.Duration
}

func newSubmitCmd(g *globalOptions) *cobra.Command {
	o := &submitOptions{checkOptions: checkOptions{g: g}}
	cmd := &cobra.Command{
		Use:   "submit [LAB] --image REF --student-id ID",
		Short: "Hand in your work: check everything and write one signed submission file for your lecturer",
		Long: `submit runs every check of the lab like kubelab check (on your cluster and
your image; it never changes your cluster), then writes ONE file to hand in
(--output-file, default submission.json, schema ` + handin.Schema + `):

  - the report, signed with your key;
  - the evidence the checks judged, so your lecturer can judge it again:
    the objects of your namespace, the cluster's nodes and kube-system pods,
    what the registry says about your image, what your app answered.
    Redacted: no env values, no command lines, no annotations but the
    deployment's revision numbers (so no last-applied configuration), no
    managedFields, no events' messages; no Secret, ConfigMap, kubeconfig
    or registry credential is ever read;
  - your cluster's fingerprint (its CA and kube-system UID) and your image's
    digest;
  - your public key and a signature over the whole file.

Sign every lab with the same key (--key, default ~/.config/kubelab/kubelab.key;
made on your first submit): your lecturer keeps each student's key id, and a
new key is flagged. Do not push your image again after submitting: your
lecturer checks that the registry still serves the digest you handed in.

A check that catches your cluster mid-change (a pod still starting, a new pod
not yet routed) is checked again every 5 s for up to --settle before the file
is written.

Exit codes: 0 written, 2 bad flags, 3 written, but some checks could not run
(cluster unreachable, registry rate limit): fix that and submit again,
4 internal error, 130 interrupted (Ctrl-C: nothing written).`,
		Example: `  kubelab submit --image budi/hello-flask --student-id 2201234 --name "Budi Santoso"
  kubelab submit kubernetes-basics --image budi/hello-flask --student-id 2201234 --output-file 2201234.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lab, err := g.loadLab(args)
			if err != nil {
				return err
			}
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), lab)
		},
	}
	f := cmd.Flags()
	o.addTargetFlags(f)
	f.DurationVar(&o.Timeout, "timeout", 2*time.Minute, "deadline for all the checks")
	f.StringVar(&o.OutputFile, "output-file", "submission.json", "the submission file to write")
	f.StringVar(&o.StudentID, "student-id", "", "your student id (required)")
	f.StringVar(&o.StudentName, "name", "", "your name")
	f.DurationVar(&o.Settle, "settle", 30*time.Second, "when a check catches your cluster mid-change (a pod still starting), check again every 5 s for this long before writing the file (0: write at once)")
	f.StringVar(&o.Key, "key", "", "your ed25519 private key (PEM); default "+filepath.Join(defaultKeyDir(), "kubelab.key")+", made if missing")
	return cmd
}

func (o *submitOptions) run(ctx context.Context, stdout, stderr io.Writer, lab *labs.Lab) error {
	if o.StudentID == "" {
		return exitf(ExitUsage, "--student-id is required: your student id, e.g. --student-id 2201234")
	}
	if o.OutputFile == "" {
		return exitf(ExitUsage, "--output-file must name a file")
	}
	if o.Settle < 0 {
		return exitf(ExitUsage, "--settle must not be negative (0 writes at once)")
	}
	req, err := o.request(lab)
	if err != nil {
		return err
	}
	if err := grade.CheckStudentID(o.StudentID); err != nil {
		return exitf(ExitUsage, "--student-id: %w", err)
	}
	key, err := o.loadOrMakeKey(stderr)
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	probes := o.startProbes(ctx, req)
	sub, err := handin.MakeSettled(ctx, req, key, o.Settle, func(checks []string, wait time.Duration) {
		fmt.Fprintf(stderr, "your cluster is still changing (a pod starting or just started: %s): checking again in %s\n", strings.Join(checks, ", "), wait.Round(time.Second))
	})
	if ctx.Err() != nil {
		return silentExit(exitInterrupted)
	}
	if err != nil {
		return exitf(ExitInternal, "%w", err)
	}
	data, err := handin.JSON(sub)
	if err != nil {
		return exitf(ExitInternal, "writing the submission: %w", err)
	}
	w, done, err := openOutput(stdout, o.OutputFile)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	if err = errors.Join(err, done(err == nil)); err != nil {
		return exitf(ExitInternal, "writing %s: %w", o.OutputFile, err)
	}

	r := sub.Report
	if ok, err := probes.writeBrief(stdout, r, o.g.Lang, isTerminal(stdout)); err != nil {
		return err
	} else if !ok {
		if err := report.Render(stdout, "text", r, report.RenderOptions{Color: isTerminal(stdout)}); err != nil {
			return exitf(ExitInternal, "printing the report: %w", err)
		}
	}
	fmt.Fprintf(stderr, "submission written to %s: score %s/%s, signed with key %s\n", o.OutputFile, fmtNum(r.Score), fmtNum(r.MaxScore), sub.Key.KeyID)
	if sub.Fingerprint.Cluster != "" {
		fmt.Fprintf(stderr, "cluster fingerprint %s\n", sub.Fingerprint.Cluster)
	} else {
		fmt.Fprintln(stderr, "note: the cluster could not be read, so the submission carries no cluster fingerprint")
	}
	if sub.Fingerprint.ImageDigest != "" {
		fmt.Fprintf(stderr, "image digest %s: do not push %s again before it is graded\n", sub.Fingerprint.ImageDigest, o.Image)
	}
	fmt.Fprintf(stderr, "hand in %s as it is: any change to it shows.\n", o.OutputFile)
	if r.Settling() {
		fmt.Fprintf(stderr, "note: your cluster was still changing when this was written (a pod starting or just started: %s); when `kubectl get pods` shows your pod Running and Ready, submit again.\n", strings.Join(r.SettlingChecks(), ", "))
	}
	if r.EnvErrors() > 0 {
		return exitf(ExitEnv, "%d check(s) could not run (the environment's fault, not yours): fix that and submit again", r.EnvErrors())
	}
	return nil
}

// loadOrMakeKey reads --key, or the default key, which is made on first
// use.
func (o *submitOptions) loadOrMakeKey(stderr io.Writer) (ed25519.PrivateKey, error) {
	path := o.Key
	if path == "" {
		path = filepath.Join(defaultKeyDir(), "kubelab.key")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return makeSubmitKey(stderr, path)
		}
	}
	k, warning, err := report.ReadPrivateKeyFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, exitf(ExitUsage, "--key %s: no such file (leave --key out to use, or make, %s; or run kubelab keys generate)", path, filepath.Join(defaultKeyDir(), "kubelab.key"))
	}
	if err != nil {
		return nil, exitf(ExitUsage, "--key: %w", err)
	}
	if warning != "" {
		fmt.Fprintf(stderr, "warning: %s\n", warning)
	}
	return k, nil
}

// makeSubmitKey makes the student's key on first submit; a kubelab.pub left
// from before is kept.
func makeSubmitKey(stderr io.Writer, path string) (ed25519.PrivateKey, error) {
	pk, sk, err := report.WriteKeyPair(path, filepath.Join(filepath.Dir(path), "kubelab.pub"), false)
	if err != nil && !(sk != nil && errors.Is(err, os.ErrExist)) {
		return nil, exitf(ExitInternal, "%w", err)
	}
	fmt.Fprintf(stderr, "You had no key yet: made a new one (key id %s) in %s (keep it; mode 0600).\n"+
		"Sign every lab with this same key: your lecturer records its id, and a new key is flagged.\n", report.KeyID(pk), path)
	return sk, nil
}
