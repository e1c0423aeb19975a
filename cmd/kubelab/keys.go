package main

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/report"
)

func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Make the ed25519 keys that sign and verify reports",
		Example: `  kubelab keys generate
  kubelab keys generate --out ./lab-pc-1`,
	}
	cmd.AddCommand(newKeysGenerateCmd())
	return cmd
}

type keysGenerateOptions struct {
	Out   string
	Name  string
	Force bool
}

func newKeysGenerateCmd() *cobra.Command {
	o := &keysGenerateOptions{}
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate an ed25519 key pair for kubelab check --sign",
		Long: `generate writes a new ed25519 key pair as PEM: NAME.key, the private key
(PKCS #8, file mode 0600: keep it where only the signer can read it), and
NAME.pub, the public key to give to whoever verifies reports. It prints the
key id (the first 16 hex digits of the SHA-256 of the public key), which
signed reports and kubelab report verify show.

It never overwrites a key unless --force is given.

Exit codes: 0 written, 2 a key file exists already, 4 the files could not be
written.`,
		Example: `  kubelab keys generate
  kubelab keys generate --out ./lab-pc-1 --name lab-pc-1
  kubelab check --image budi/hello-flask --sign ~/.config/kubelab/kubelab.key -o json --output-file report.json
  kubelab report verify report.json --pubkey ~/.config/kubelab/kubelab.pub`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(streams(cmd))
		},
	}
	cmd.Flags().StringVar(&o.Out, "out", defaultKeyDir(), "directory for the key files (made with mode 0700 if missing)")
	cmd.Flags().StringVar(&o.Name, "name", "kubelab", "base name of the key files: NAME.key and NAME.pub")
	cmd.Flags().BoolVar(&o.Force, "force", false, "overwrite existing key files")
	return cmd
}

func defaultKeyDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "kubelab")
	}
	return "."
}

func (o *keysGenerateOptions) run(ios *ioStreams) error {
	stdout := ios.Out
	if o.Out == "" || o.Name == "" || filepath.Base(o.Name) != o.Name {
		return exitf(ExitUsage, "--out and --name must be set, and --name must be a plain file name")
	}
	priv := filepath.Join(o.Out, o.Name+".key")
	pub := filepath.Join(o.Out, o.Name+".pub")
	if !o.Force {
		for _, p := range []string{priv, pub} {
			if _, err := os.Lstat(p); err == nil {
				return exitf(ExitUsage, "%s exists; not overwriting a key (use --force, or another --out or --name)", p)
			}
		}
	}
	pk, _, err := report.WriteKeyPair(priv, pub, o.Force)
	if err != nil {
		return exitf(ExitInternal, "%w", err)
	}
	id := report.KeyID(pk)
	fmt.Fprintf(stdout, "key id:      %s\n", id)
	fmt.Fprintf(stdout, "private key: %s (mode 0600; keep it secret)\n", priv)
	fmt.Fprintf(stdout, "public key:  %s (give it to whoever verifies reports)\n", pub)
	fmt.Fprintf(stdout, "\nsign:   kubelab check --image IMAGE --sign %s -o json --output-file report.json\n", priv)
	fmt.Fprintf(stdout, "verify: kubelab report verify report.json --pubkey %s\n", pub)
	return nil
}

// loadPrivateKey reads a signing key (PEM), warning when others may read it.
func loadPrivateKey(path string, stderr io.Writer) (ed25519.PrivateKey, error) {
	k, warning, err := report.ReadPrivateKeyFile(path)
	if err != nil {
		return nil, exitf(ExitUsage, "--sign: %w", err)
	}
	if warning != "" {
		fmt.Fprintf(stderr, "warning: %s\n", warning)
	}
	return k, nil
}

// loadPublicKey reads --pubkey: a file (PEM or base64) or the base64 key.
func loadPublicKey(arg string) (ed25519.PublicKey, error) {
	k, err := report.ReadPublicKeyArg(arg)
	if err != nil {
		return nil, exitf(ExitUsage, "--pubkey: %w", err)
	}
	return k, nil
}
