package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/kubelab/kubelab/internal/testenv"
)

// TestLabShowWidth: `kubelab lab show --width 80` keeps every line outside
// code blocks within 80 columns, in both languages of both built-in labs,
// and prints no escape code when it is not writing to a terminal.
func TestLabShowWidth(t *testing.T) {
	for _, lab := range []string{"kubernetes-basics", "kubernetes-scaling"} {
		for _, lang := range []string{"en", "id"} {
			var md, out bytes.Buffer
			for _, c := range []struct {
				args []string
				w    *bytes.Buffer
			}{{[]string{"lab", "show", lab, "--lang", lang, "--format", "md"}, &md}, {[]string{"lab", "show", lab, "--lang", lang, "--width", "80"}, &out}} {
				cmd, _ := newRoot()
				cmd.SetArgs(c.args)
				cmd.SetOut(c.w)
				if err := cmd.Execute(); err != nil {
					t.Fatalf("%v: %v", c.args, err)
				}
			}
			code := map[string]bool{}
			in := false
			for _, l := range strings.Split(md.String(), "\n") {
				if strings.HasPrefix(strings.TrimSpace(l), "```") {
					in = !in
				} else if in {
					code[strings.TrimSpace(l)] = true
				}
			}
			if out.Len() < 5000 {
				t.Fatalf("%s/%s: only %d bytes shown", lab, lang, out.Len())
			}
			if strings.Contains(out.String(), "\x1b") {
				t.Errorf("%s/%s: escape codes in output that is not a terminal", lab, lang)
			}
			for i, l := range strings.Split(out.String(), "\n") {
				if code[strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(l), "$ "), "PS> "))] {
					continue
				}
				if n := len([]rune(l)); n > 80 {
					t.Errorf("%s/%s line %d: %d columns: %q", lab, lang, i+1, n, l)
				}
			}
		}
	}
}

// TestLabShowColourOnTerminal: on a real terminal (a pseudo-terminal) the
// lesson is coloured; with NO_COLOR set it is not.
func TestLabShowColourOnTerminal(t *testing.T) {
	for _, noColor := range []string{"", "1"} {
		t.Run("NO_COLOR="+noColor, func(t *testing.T) {
			t.Setenv("NO_COLOR", noColor)
			master, slave := openPTY(t)
			got := make(chan string, 1)
			go func() {
				var b bytes.Buffer
				buf := make([]byte, 32<<10)
				for {
					n, err := master.Read(buf)
					b.Write(buf[:n])
					if err != nil {
						break
					}
				}
				got <- b.String()
			}()
			o := &labShowOptions{g: &globalOptions{Lang: "id"}, Step: "dockerfile", Format: "text", Width: 80}
			lab, err := o.g.loadLab([]string{"kubernetes-basics"})
			if err != nil {
				t.Fatal(err)
			}
			if err := o.run(slave, lab); err != nil {
				t.Fatal(err)
			}
			slave.Close() // the master's Read then ends with EIO
			var out string
			select {
			case out = <-got:
			case <-time.After(10 * time.Second):
				t.Fatal("the terminal output never ended")
			}
			if !strings.Contains(out, "FROM python:3") {
				t.Fatalf("lesson not shown on the terminal: %q", out)
			}
			coloured := strings.Contains(out, "\x1b[")
			if noColor == "" && !coloured {
				t.Error("no colour on a terminal")
			}
			if noColor != "" && coloured {
				t.Error("colour although NO_COLOR is set")
			}
		})
	}
}

// openPTY opens a pseudo-terminal pair with the Linux ioctls (no cgo, no
// new module).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		testenv.Missing(t, "no pseudo-terminals here: %v", err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		testenv.Missing(t, "unlockpt: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		testenv.Missing(t, "ptsname: %v", e)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		testenv.Missing(t, "open pts: %v", err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

// TestLabShowPipedKeepsCodeMarks: `kubelab lab show | less` (not a
// terminal, and with NO_COLOR too) keeps inline code between backquotes in
// both languages, so commands stay marked without colour.
func TestLabShowPipedKeepsCodeMarks(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	for _, lang := range []string{"en", "id"} {
		var out bytes.Buffer
		cmd, _ := newRoot()
		cmd.SetArgs([]string{"lab", "show", "kubernetes-basics", "--lang", lang, "--step", "dockerfile"})
		cmd.SetOut(&out)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), "\x1b") || !strings.Contains(out.String(), "`WORKDIR /app`") || !strings.Contains(out.String(), "`Dockerfile`") {
			t.Errorf("%s: inline code not marked in piped output:\n%s", lang, out.String())
		}
	}
}
