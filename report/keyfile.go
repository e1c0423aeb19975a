package report

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kubelab/kubelab/internal/atomicfile"
)

// Key files on disk, shared by `kubelab keys generate` (a lecturer's or a
// lab PC's key), `kubelab submit` (the student's key, made on first use),
// `kubelab check --sign` and `kubelab report verify`.

// WriteKeyPair makes a new key pair and writes it as PEM: the private key
// with mode 0600, the public key 0644, their directory made 0700 if missing.
// Without force it never replaces a file (O_EXCL); with force it replaces
// through a temporary file, so the mode is right from the first byte. sk is
// non-nil once the private key is written, even if writing pub then fails.
func WriteKeyPair(priv, pub string, force bool) (ed25519.PublicKey, ed25519.PrivateKey, error) {
	pk, sk, err := GenerateKey()
	if err != nil {
		return nil, nil, fmt.Errorf("generating a key: %w", err)
	}
	skPEM, err := EncodePrivateKey(sk)
	if err != nil {
		return nil, nil, err
	}
	pkPEM, err := EncodePublicKey(pk)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(filepath.Dir(priv), 0o700); err != nil {
		return nil, nil, err
	}
	if err := writeKeyFile(priv, skPEM, 0o600, force); err != nil {
		return nil, nil, fmt.Errorf("writing %s: %w", priv, err)
	}
	if err := writeKeyFile(pub, pkPEM, 0o644, force); err != nil {
		return pk, sk, fmt.Errorf("writing %s: %w", pub, err)
	}
	return pk, sk, nil
}

func writeKeyFile(path string, data []byte, perm fs.FileMode, force bool) error {
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		return errors.Join(err, f.Close())
	}
	return atomicfile.WriteFile(path, data, perm)
}

// ReadPrivateKeyFile reads a signing key (PEM). warning is set when other
// users may read the file: the key still works, but the signer should know.
func ReadPrivateKeyFile(path string) (key ed25519.PrivateKey, warning string, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, "", err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	k, err := ParsePrivateKey(data)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		warning = fmt.Sprintf("%s can be read by other users (mode %04o); chmod 600 it", path, st.Mode().Perm())
	}
	return k, warning, nil
}

// ReadPublicKeyArg reads a public key from a file (PEM or base64), or takes
// arg itself as the base64 key when no such file exists.
func ReadPublicKeyArg(arg string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(arg)
	if err != nil {
		if k, perr := ParsePublicKey([]byte(arg)); perr == nil {
			return k, nil
		}
		return nil, err
	}
	k, err := ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", arg, err)
	}
	return k, nil
}
