package main

import (
	"testing"

	"github.com/spf13/cobra"
)

// TestEveryCommandHasHelpAndExamples: each command a user can type has a
// short description and at least one example in its --help.
func TestEveryCommandHasHelpAndExamples(t *testing.T) {
	var walk func(c *cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			seen++
			if sub.Short == "" {
				t.Errorf("%s has no short description", sub.CommandPath())
			}
			if sub.Runnable() && sub.Example == "" {
				t.Errorf("%s has no example in --help", sub.CommandPath())
			}
			walk(sub)
		}
	}
	root, _ := newRoot()
	walk(root)
	if seen < 10 {
		t.Fatalf("only %d commands found", seen)
	}
}

func TestDefaultLangFollowsLocale(t *testing.T) {
	for _, tc := range []struct{ language, lcAll, lang, want string }{
		{"", "", "id_ID.UTF-8", "id"},
		{"", "", "en_US.UTF-8", "en"},
		{"", "C", "id_ID.UTF-8", "en"},
		{"id", "", "en_US.UTF-8", "id"},
		{"", "", "", "en"},
	} {
		t.Setenv("LANGUAGE", tc.language)
		t.Setenv("LC_ALL", tc.lcAll)
		t.Setenv("LC_MESSAGES", "")
		t.Setenv("LANG", tc.lang)
		if got := defaultLang(); got != tc.want {
			t.Errorf("LANGUAGE=%q LC_ALL=%q LANG=%q: %s, want %s", tc.language, tc.lcAll, tc.lang, got, tc.want)
		}
	}
}
