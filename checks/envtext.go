package checks

import (
	"fmt"
	"regexp"
	"strings"
)

// envMessage is a gathering error as a message for the report. The
// Indonesian message names the operation in Indonesian (whatID), so no English
// fragment ends up inside it.
func envMessage(e *GatherError) L {
	id := whatID(e.What)
	say := func(en, idf string, extra ...any) L {
		return L{En: fmt.Sprintf(en, append([]any{e.What}, extra...)...), Id: fmt.Sprintf(idf, append([]any{id}, extra...)...)}
	}
	switch e.Kind {
	case ErrUnreachable:
		return say("Could not %s: the server is unreachable.", "Tidak bisa %s: server tidak dapat dihubungi.")
	case ErrUnauthorized:
		return say("Could not %s: the credentials were refused (unauthorized).", "Tidak bisa %s: kredensial ditolak (unauthorized).")
	case ErrForbidden:
		return say("Could not %s: forbidden.", "Tidak bisa %s: akses ditolak (forbidden).")
	case ErrTimeout:
		return say("Could not %s: timed out.", "Tidak bisa %s: waktu habis.")
	case ErrRateLimited:
		if e.RetryAfter > 0 {
			return say("Could not %s: the registry is rate limiting requests; retry after %s.", "Tidak bisa %s: registry membatasi jumlah permintaan; coba lagi setelah %s.", e.RetryAfter)
		}
		return say("Could not %s: the registry is rate limiting requests.", "Tidak bisa %s: registry membatasi jumlah permintaan.")
	case ErrConfig:
		// The detail is a Go library's English text: the Indonesian
		// sentence leaves it to the evidence, where it is kept whole.
		return L{En: fmt.Sprintf("Could not %s: %s.", e.What, e.Detail), Id: fmt.Sprintf("Tidak bisa %s: konfigurasinya tidak bisa dipakai (rinciannya ada di bukti).", id)}
	}
	return say("Could not %s.", "Tidak bisa %s.")
}

// The operations gathering names in GatherError.What (see package gather).
var (
	reListIn   = regexp.MustCompile(`^list (\S+) in namespace (\S+)$`)
	reList     = regexp.MustCompile(`^list (\S+)$`)
	reReadOf   = regexp.MustCompile(`^read the (files|index|manifest|config) of (.+)$`)
	reReadImg  = regexp.MustCompile(`^read image (.+) from the registry$`)
	reReadName = regexp.MustCompile(`^read (\S+)$`)
	reNS       = regexp.MustCompile(`in namespace (\S+)`)
)

// whatID says a gathering operation in Indonesian; an operation it does not
// know is quoted, so it reads as a name rather than as mixed language.
func whatID(what string) string {
	parts := map[string]string{"files": "berkas", "index": "indeks", "manifest": "manifest", "config": "konfigurasi"}
	switch {
	case what == "reach the API server":
		return "menghubungi API server"
	case what == "run the image as a container":
		return "menjalankan image sebagai container"
	case what == "load the kubeconfig":
		return "memuat kubeconfig"
	case what == "build a client":
		return "membuat klien Kubernetes"
	case what == "read registry credentials from the Docker config":
		return "membaca kredensial registry dari konfigurasi Docker"
	case what == "set up the registry client":
		return "menyiapkan klien registry"
	}
	if m := reListIn.FindStringSubmatch(what); m != nil {
		return "membaca daftar " + m[1] + " di namespace " + m[2]
	}
	if m := reReadImg.FindStringSubmatch(what); m != nil {
		return "membaca image " + m[1] + " dari registry"
	}
	if m := reReadOf.FindStringSubmatch(what); m != nil {
		return "membaca " + parts[m[1]] + " image " + m[2]
	}
	if m := reList.FindStringSubmatch(what); m != nil {
		return "membaca daftar " + m[1]
	}
	if m := reReadName.FindStringSubmatch(what); m != nil {
		return "membaca " + m[1]
	}
	return "melakukan \"" + what + "\""
}

// envHint says what to do about a gathering error, starting with the command
// that checks or fixes the environment.
func envHint(e *GatherError) L {
	registry := strings.Contains(e.What, "image") || strings.Contains(e.What, "registry")
	run := strings.Contains(e.What, "container")
	ns := "lab"
	if m := reNS.FindStringSubmatch(e.What); m != nil {
		ns = m[1]
	}
	kind := "pods"
	if m := reListIn.FindStringSubmatch(e.What); m != nil {
		kind = m[1]
	} else if m := reList.FindStringSubmatch(e.What); m != nil {
		kind = m[1]
		ns = ""
	}
	switch e.Kind {
	case ErrUnreachable:
		if registry {
			return T("Run `docker pull %s` on the grading machine to test the way to the registry (network, proxy, DNS or TLS), then `kubelab check` again. This is not your mistake.",
				"Jalankan `docker pull %s` di mesin penilai untuk menguji jalur ke registry (jaringan, proxy, DNS atau TLS), lalu `kubelab check` lagi. Ini bukan kesalahan kamu.", whatImage(e.What))
		}
		return T("Run `minikube status` (start it with `minikube start`), then `kubectl config use-context minikube`, and `kubelab check` again.",
			"Jalankan `minikube status` (nyalakan dengan `minikube start`), lalu `kubectl config use-context minikube`, dan `kubelab check` lagi.")
	case ErrUnauthorized:
		if registry || run {
			return T("Log in again with `docker login`, then `kubelab check` again: the registry refused the saved login.",
				"Login ulang dengan `docker login`, lalu `kubelab check` lagi: registry menolak login yang tersimpan.")
		}
		return T("Refresh the kubeconfig with `minikube update-context` and `kubectl config use-context minikube`, then `kubelab check` again: the cluster refused the credentials.",
			"Perbarui kubeconfig dengan `minikube update-context` dan `kubectl config use-context minikube`, lalu `kubelab check` lagi: klaster menolak kredensialnya.")
	case ErrForbidden:
		can := "`kubectl auth can-i list " + kind + " -n " + ns + "`"
		if ns == "" {
			can = "`kubectl auth can-i list " + kind + "`"
		}
		return T("Check the grader's access with %s; it needs the read permissions in deploy/rbac.yaml (`kubectl apply -f deploy/rbac.yaml`). This is not your mistake.",
			"Periksa akses penilai dengan %s; penilai butuh izin baca di deploy/rbac.yaml (`kubectl apply -f deploy/rbac.yaml`). Ini bukan kesalahan kamu.", can)
	case ErrTimeout:
		return T("Run `kubelab check --timeout 5m` again: the server was slow or hanging. This is not your mistake.",
			"Jalankan `kubelab check --timeout 5m` lagi: servernya lambat atau macet. Ini bukan kesalahan kamu.")
	case ErrRateLimited:
		return T("Wait a few minutes, then run `kubelab check` again; this is not your mistake.",
			"Tunggu beberapa menit, lalu jalankan `kubelab check` lagi; ini bukan kesalahan kamu.")
	case ErrConfig:
		if registry {
			return T("Check the registry login with `docker login`, then `kubelab check` again.",
				"Periksa login registry dengan `docker login`, lalu `kubelab check` lagi.")
		}
		return T("Check the kubeconfig with `kubectl config current-context` (it should be minikube: `kubectl config use-context minikube`), then `kubelab check` again.",
			"Periksa kubeconfig dengan `kubectl config current-context` (seharusnya minikube: `kubectl config use-context minikube`), lalu `kubelab check` lagi.")
	}
	return T("Run `kubelab check` again later; this is not your mistake.",
		"Jalankan `kubelab check` lagi nanti; ini bukan kesalahan kamu.")
}

// whatImage is the image a registry operation names, or IMAGE.
func whatImage(what string) string {
	if m := reReadImg.FindStringSubmatch(what); m != nil {
		return m[1]
	}
	if m := reReadOf.FindStringSubmatch(what); m != nil {
		return m[2]
	}
	return "IMAGE"
}
