package checks

import "github.com/kubelab/kubelab/snapshot"

// The judges' short names for the snapshot model (package snapshot), so that
// a judge reads s.Target.Pods, not snapshot.Snapshot everywhere.
type (
	Snapshot    = snapshot.Snapshot
	ClusterInfo = snapshot.ClusterInfo
	Namespace   = snapshot.Namespace
	Target      = snapshot.Target
	ImageInfo   = snapshot.ImageInfo
	ImageConfig = snapshot.ImageConfig
	ImageFile   = snapshot.ImageFile
	RunProbe    = snapshot.RunProbe
	AppProbe    = snapshot.AppProbe
	AppAttempt  = snapshot.AppAttempt
	GatherError = snapshot.GatherError
	ErrKind     = snapshot.ErrKind
	Source      = snapshot.Source
	Plan        = snapshot.Plan
)

// The kinds of gathering errors and the sources, under the judges' names.
const (
	ErrUnreachable  = snapshot.ErrUnreachable
	ErrUnauthorized = snapshot.ErrUnauthorized
	ErrForbidden    = snapshot.ErrForbidden
	ErrTimeout      = snapshot.ErrTimeout
	ErrRateLimited  = snapshot.ErrRateLimited
	ErrConfig       = snapshot.ErrConfig
	ErrOther        = snapshot.ErrOther

	SrcCluster   = snapshot.SrcCluster
	SrcNamespace = snapshot.SrcNamespace
	SrcImage     = snapshot.SrcImage
	SrcRun       = snapshot.SrcRun
	SrcApp       = snapshot.SrcApp
)

// The container run's defaults, as the image.runs parameters show them.
const (
	DefaultRunPort           = snapshot.DefaultRunPort
	DefaultRunStartupTimeout = snapshot.DefaultRunStartupTimeout
)

var (
	imgCleanDir       = snapshot.CleanDir
	imgPlatformString = snapshot.PlatformString
	systemDir         = snapshot.SystemDir
	// NormalizeImage is snapshot.NormalizeImage, under the name the judges
	// and the lab tools have always used.
	NormalizeImage = snapshot.NormalizeImage
)
