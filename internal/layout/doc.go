// Package layout holds no code: its tests keep the repository's shape true
// (issue 13). Commands stay thin (no file under cmd/kubelab over 200 lines),
// no Go file grows past 500 lines nor a function past 100 (issue 25), and
// every package has a rank and imports none above it, as the table in
// docs/architecture.md lists.
package layout
