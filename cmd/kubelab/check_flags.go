package main

import (
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/kubelab/kubelab/gather"
)

func defaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "kubelab", "images")
}

// clusterFlags say how to reach the cluster and the registry. check (with
// serve and submit) and grade share them; each words whose cluster it is
// (clusterWords).
type clusterFlags struct {
	Kubeconfig string
	Context    string
	CacheDir   string
	Insecure   bool
	NoProxy    bool
}

// clusterWords are the usages that differ between a student's own cluster
// (check) and a class's shared one (grade).
type clusterWords struct{ kubeconfig, context, noProxy string }

var (
	ownCluster = clusterWords{
		kubeconfig: "kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)",
		context:    "kubeconfig context to use (default: the current one)",
		noProxy:    "never reach the app through the API server's service proxy",
	}
	sharedCluster = clusterWords{
		kubeconfig: "kubeconfig of the shared cluster (default: $KUBECONFIG, else ~/.kube/config)",
		context:    "context of the shared cluster (default: the current one)",
		noProxy:    "never reach an app through the API server's service proxy",
	}
)

func (c *clusterFlags) add(f *pflag.FlagSet, words clusterWords) {
	f.StringVar(&c.Context, "context", "", words.context)
	f.StringVar(&c.Kubeconfig, "kubeconfig", "", words.kubeconfig)
	f.BoolVar(&c.NoProxy, "no-service-proxy", false, words.noProxy)
	f.StringVar(&c.CacheDir, "cache-dir", defaultCacheDir(), "where image metadata is cached by digest")
	f.BoolVar(&c.Insecure, "insecure-registry", false, "allow a plain-HTTP registry (local test registries only)")
}

// imageOptions and appOptions are what the flags mean to gathering.
func (c *clusterFlags) imageOptions() gather.ImageOptions {
	return gather.ImageOptions{CacheDir: c.CacheDir, Insecure: c.Insecure}
}

func (c *clusterFlags) appOptions() gather.AppOptions {
	return gather.AppOptions{ServiceProxy: !c.NoProxy}
}

// addTargetFlags adds the flags that say whose work is graded and how to
// reach it; check, serve and submit share them.
func (o *checkOptions) addTargetFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Image, "image", "", "your image on Docker Hub, e.g. budi/hello-flask (means docker.io/budi/hello-flask:latest)")
	f.StringVarP(&o.Namespace, "namespace", "n", "", "namespace of your deployment (default: the context's, else default)")
	f.StringVar(&o.Deployment, "deployment", "", "grade this deployment instead of finding the one that runs --image")
	f.BoolVar(&o.NoRun, "no-run", false, "do not run the image in Docker (image.runs is skipped)")
	o.clusterFlags.add(f, ownCluster)
}
