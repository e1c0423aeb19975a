package report

import "testing"

func TestCleanTextAndLine(t *testing.T) {
	in := "web\x1b[2J\u202Egnp.exe\u200E\tok\nnext\x00"
	if got, want := CleanText(in), "web[2Jgnp.exe\u200E\tok\nnext"; got != want {
		t.Errorf("CleanText = %q, want %q", got, want)
	}
	if got, want := CleanLine(in), "web[2Jgnp.exe\u200E ok next"; got != want {
		t.Errorf("CleanLine = %q, want %q", got, want)
	}
}
