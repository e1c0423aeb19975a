package pysource

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// laptopFiles are files as editors on students' laptops save them.
var laptopFiles = map[string]string{
	"plain":            "from flask import Flask\napp = Flask(__name__)\napp.run(host='0.0.0.0', port=5000)\n",
	"bom":              "\xef\xbb\xbfPORT = 5000\nfrom flask import Flask\napp = Flask(__name__)\napp.run(host='0.0.0.0', port=PORT)\n",
	"crlf":             "PORT = 5000\r\nfrom flask import Flask\r\napp = Flask(__name__)\r\napp.run(host='0.0.0.0',\r\n        port=PORT)\r\n",
	"bom-crlf":         "\xef\xbb\xbf# -*- coding: utf-8 -*-\r\nPORT = 5000\r\n",
	"lone-cr":          "PORT = 5000\rx = 1\r",
	"latin1-cookie":    "# -*- coding: latin-1 -*-\nGREETING = 'Hal\xe9'\nPORT = 5000\n",
	"cp1252-cookie":    "#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nGREETING = '\x93hi\x94'\nPORT = 5000\n",
	"utf8-dash-cookie": "# coding=utf_8\nPORT = 5000\n",
}

func TestDecodeFixesWhatScanSees(t *testing.T) {
	for _, name := range []string{"bom", "crlf", "bom-crlf", "lone-cr", "latin1-cookie", "cp1252-cookie"} {
		src, err := Decode(laptopFiles[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		py := Scan(src)
		if n, ok := py.Int("PORT", env()); !ok || n != 5000 {
			t.Errorf("%s: PORT = %d, %v; want 5000 (source %q)", name, n, ok, src)
		}
	}
}

// pythonRead runs one python3 over the files, which answers for each one
// with a JSON object: whether compile() accepts it, and, when it does, the
// text Python reads (tokenize.open: PEP 263 and universal newlines), or
// with readReq the text pip reads from a requirements file
// (pip._internal.utils.encoding.auto_decode, then splitlines, as
// pip._internal.req.req_file does). One process: each start costs a second
// on a busy machine.
func pythonRead(t *testing.T, files map[string]string, readReq bool) map[string]pyResult {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	dir := t.TempDir()
	var args []string
	for name, raw := range files {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(raw), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, f)
	}
	script := `import sys, json, os, tokenize
out = {}
for f in sys.argv[2:]:
    r = {}
    raw = open(f, "rb").read()
    if sys.argv[1] == "req":
        from pip._internal.utils.encoding import auto_decode
        r["ok"] = True
        r["text"] = "\n".join(auto_decode(raw).splitlines())
    else:
        try:
            compile(raw, f, "exec")
            r["ok"] = True
            r["text"] = tokenize.open(f).read()
        except (SyntaxError, ValueError) as e:
            r["ok"] = False
            r["text"] = str(e)
    out[os.path.basename(f)] = r
json.dump(out, sys.stdout)
`
	mode := "src"
	if readReq {
		mode = "req"
	}
	cmd := exec.Command(py, append([]string{"-c", script, mode}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		if readReq {
			t.Skipf("pip not importable by python3: %v", err)
		}
		t.Fatalf("python3: %v", err)
	}
	var res map[string]pyResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("python3 said %s: %v", out, err)
	}
	return res
}

type pyResult struct {
	OK   bool   `json:"ok"`
	Text string `json:"text"`
}

// TestDecodeAgreesWithPython: python3 compiles each laptop file, and the
// text it reads is the text Decode returns, byte for byte; what python3
// refuses, Decode refuses.
func TestDecodeAgreesWithPython(t *testing.T) {
	refused := map[string]string{
		"utf16":             "\xff\xfeP\x00O\x00R\x00T\x00",
		"latin1-no-cookie":  "GREETING = 'Hal\xe9'\n",
		"bom-latin1-cookie": "\xef\xbb\xbf# coding: latin-1\nx = 1\n",
	}
	all := map[string]string{}
	for k, v := range laptopFiles {
		all[k] = v
	}
	for k, v := range refused {
		all[k] = v
	}
	py := pythonRead(t, all, false)
	for name, raw := range all {
		got, err := Decode(raw)
		_, bad := refused[name]
		switch {
		case bad && py[name].OK:
			t.Errorf("%s: python3 compiled it, the test expected a refusal", name)
		case bad && err == nil:
			t.Errorf("%s: Decode accepted what python3 refuses (%s)", name, py[name].Text)
		case bad:
		case !py[name].OK:
			t.Errorf("%s: python3 refuses the file: %s", name, py[name].Text)
		case err != nil:
			t.Errorf("%s: Decode: %v", name, err)
		case got != py[name].Text:
			t.Errorf("%s: Decode = %q, Python reads %q", name, got, py[name].Text)
		}
	}
}

// requirementsFiles are requirements.txt as Windows tools write them.
var requirementsFiles = map[string]string{
	"utf8":          "flask==3.0.3\n",
	"bom":           "\xef\xbb\xbfflask==3.0.3\n",
	"crlf":          "requests\r\nflask\r\n",
	"powershell51":  "\xff\xfef\x00l\x00a\x00s\x00k\x00\r\x00\n\x00", // echo flask > requirements.txt
	"utf16be":       "\xfe\xff\x00f\x00l\x00a\x00s\x00k\x00\n",
	"latin1-cookie": "# -*- coding: latin-1 -*-\n# caf\xe9\nflask\n",
}

// TestDecodeRequirementsAgreesWithPip compares with pip's own reading.
func TestDecodeRequirementsAgreesWithPip(t *testing.T) {
	pip := pythonRead(t, requirementsFiles, true)
	for name, raw := range requirementsFiles {
		got, err := DecodeRequirements(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.TrimSuffix(got, "\n") != pip[name].Text {
			t.Errorf("%s: DecodeRequirements = %q, pip reads %q", name, got, pip[name].Text)
		}
		if !strings.Contains(got, "flask") {
			t.Errorf("%s: flask not read: %q", name, got)
		}
	}
}
