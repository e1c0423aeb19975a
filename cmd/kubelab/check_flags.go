package main

import (
	"os"
	"path/filepath"

	"github.com/spf13/pflag"
)

func defaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "kubelab", "images")
}

// addTargetFlags adds the flags that say whose work is graded and how to
// reach it; check, serve and submit share them.
func (o *checkOptions) addTargetFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Image, "image", "", "your image on Docker Hub, e.g. budi/hello-flask (means docker.io/budi/hello-flask:latest)")
	f.StringVarP(&o.Namespace, "namespace", "n", "", "namespace of your deployment (default: the context's, else default)")
	f.StringVar(&o.Context, "context", "", "kubeconfig context to use (default: the current one)")
	f.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")
	f.StringVar(&o.Deployment, "deployment", "", "grade this deployment instead of finding the one that runs --image")
	f.BoolVar(&o.NoRun, "no-run", false, "do not run the image in Docker (image.runs is skipped)")
	f.BoolVar(&o.NoProxy, "no-service-proxy", false, "never reach the app through the API server's service proxy")
	f.StringVar(&o.CacheDir, "cache-dir", defaultCacheDir(), "where image metadata is cached by digest")
	f.BoolVar(&o.Insecure, "insecure-registry", false, "allow a plain-HTTP registry (local test registries only)")
}
