//go:build !linux

package dockerd

import (
	"context"
	"errors"
)

var errUnsupported = errors.New("kubelab starts a private dockerd on Linux only; start Docker yourself and set DOCKER_HOST")

func ensurePrivate(context.Context, bool) (string, func(), error) {
	return "", nil, errUnsupported
}

// Stop stops the private engine (Linux only).
func Stop(context.Context) error { return nil }
