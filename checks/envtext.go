package checks

// envMessage is a gathering error as a message for the report.
func envMessage(e *GatherError) L {
	switch e.Kind {
	case ErrUnreachable:
		return T("Could not %s: the server is unreachable.", "Tidak bisa %s: server tidak dapat dihubungi.", e.What)
	case ErrUnauthorized:
		return T("Could not %s: the credentials were refused (unauthorized).", "Tidak bisa %s: kredensial ditolak (unauthorized).", e.What)
	case ErrForbidden:
		return T("Could not %s: forbidden.", "Tidak bisa %s: akses ditolak (forbidden).", e.What)
	case ErrTimeout:
		return T("Could not %s: timed out.", "Tidak bisa %s: waktu habis.", e.What)
	case ErrRateLimited:
		if e.RetryAfter > 0 {
			return T("Could not %s: the registry is rate limiting requests; retry after %s.", "Tidak bisa %s: registry membatasi jumlah permintaan; coba lagi setelah %s.", e.What, e.RetryAfter)
		}
		return T("Could not %s: the registry is rate limiting requests.", "Tidak bisa %s: registry membatasi jumlah permintaan.", e.What)
	case ErrConfig:
		return T("Could not %s: %s.", "Tidak bisa %s: %s.", e.What, e.Detail)
	}
	return T("Could not %s.", "Tidak bisa %s.", e.What)
}

// envHint says what to do about a gathering error.
func envHint(e *GatherError) L {
	switch e.Kind {
	case ErrUnreachable:
		return T("Is the cluster running (minikube status) and is the kubeconfig context the right one?",
			"Apakah klaster berjalan (minikube status) dan context kubeconfig sudah benar?")
	case ErrUnauthorized:
		return T("Your kubeconfig or registry login is out of date; log in again.",
			"Kubeconfig atau login registry sudah kedaluwarsa; login ulang.")
	case ErrForbidden:
		return T("The grader's account lacks read access; see deploy/rbac.yaml for the permissions it needs.",
			"Akun penilai tidak punya hak baca; lihat deploy/rbac.yaml untuk izin yang diperlukan.")
	case ErrTimeout:
		return T("The server is slow or hanging; try again, or raise --timeout.",
			"Server lambat atau macet; coba lagi, atau naikkan --timeout.")
	case ErrRateLimited:
		return T("Wait and run the check again; this is not your mistake.",
			"Tunggu lalu jalankan pemeriksaan lagi; ini bukan kesalahan Anda.")
	}
	return L{}
}
