// Package layout holds no code: its tests keep the repository's shape true
// (issue 13). Commands stay thin (no file under cmd/kubelab over 200 lines),
// no Go file grows past 500 lines, and no package imports one above it in
// the order of docs/architecture.md.
package layout
