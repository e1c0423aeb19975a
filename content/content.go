// Package content holds the built-in labs' lessons (Markdown per language) and
// their specs, embedded in the kubelab binary. Each lab is a directory with
// lab.yaml and its Markdown, the same layout a lecturer uses with --lab-dir.
package content

import "embed"

// FS holds one directory per built-in lab.
//
//go:embed */lab.yaml */en/*.md */id/*.md
var FS embed.FS
