//go:build tools

// Package krew only pins krew's version for go.mod; the release tests build
// sigs.k8s.io/krew/cmd/krew from this directory.
package krew

import _ "sigs.k8s.io/krew/cmd/krew"
