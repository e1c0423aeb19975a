package report

import "testing"

func TestFormatPoints(t *testing.T) {
	cases := map[float64]string{
		10: "10", 7.5: "7.5", 0.25: "0.25", 0: "0", -0.001: "0", 2.0 / 3: "0.67",
		0.1 + 0.2: "0.3", 66.666666: "66.67", -1.5: "-1.5", 1e6: "1000000",
	}
	for f, want := range cases {
		if got := FormatPoints(f); got != want {
			t.Errorf("FormatPoints(%v) = %q, want %q", f, got, want)
		}
	}
}
