package i18n

import "testing"

// TestMsgIn renders messages the way reports do: translated at render time,
// numbers as written, nested messages in the same language, English when a
// language or a key has no translation.
func TestMsgIn(t *testing.T) {
	what := T("reach the API server")
	for _, tc := range []struct {
		m          Msg
		lang, want string
	}{
		{T("Could not %s: timed out.", what), "en", "Could not reach the API server: timed out."},
		{T("Could not %s: timed out.", what), "id", "Tidak bisa menghubungi API server: waktu habis."},
		// fmt, not a locale printer: no digit grouping in Indonesian.
		{T("Pod %s is crash-looping: the app starts and exits; restarted %d times.", "web", 12345), "id", "Pod web crash-loop: aplikasi mulai lalu keluar; restart 12345 kali."},
		{T("Could not %s: timed out.", what), "fr", "Could not reach the API server: timed out."},
		{T("A sentence no catalog has: %d%%.", 5000), "id", "A sentence no catalog has: 5000%."},
		{T("100% sure"), "en", "100% sure"}, // no args: not formatted
		{TC("unknown operation", "%s", "frob"), "en", "frob"},
		{TC("unknown operation", "%s", "frob"), "id", `melakukan "frob"`},
		{Join([]Msg{Raw("`a`"), Raw("`b`")}, T(", then ")), "id", "`a`, lalu `b`"},
		{Concat(T("files"), Raw(" (x)")), "id", "berkas (x)"},
		{Func(func(lang string) string { return "<" + lang + ">" }), "id", "<id>"},
		{Msg{}, "id", ""},
	} {
		if got := tc.m.In(tc.lang); got != tc.want {
			t.Errorf("In(%s) = %q, want %q", tc.lang, got, tc.want)
		}
	}
	if !(Msg{}).IsZero() || T("x").IsZero() {
		t.Error("IsZero wrong")
	}
}

func TestVerbs(t *testing.T) {
	for in, want := range map[string]string{
		"%s and %d":          "1s 2d",
		"100%% of %q":        "1q",
		"%[2]s before %[1]s": "2s 1s",
		"%-5s|%5.2f":         "1s 2f",
	} {
		got := ""
		for i, v := range Verbs(in) {
			if i > 0 {
				got += " "
			}
			got += v
		}
		if got != want {
			t.Errorf("Verbs(%q) = %q, want %q", in, got, want)
		}
	}
}
