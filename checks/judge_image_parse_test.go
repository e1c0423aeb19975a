package checks

import "testing"

// The image judges read CMD scripts through internal/shellwords and app.py
// through internal/pysource; these cases pin what that reading gives the
// judge (the packages' own tests cover the reading itself).
func TestImageCommandReading(t *testing.T) {
	cases := []struct {
		argv   []string
		ok     bool
		server string
		port   int
	}{
		{[]string{"/bin/sh", "-c", "cd /app && exec python app.py"}, true, "python", 0},
		{[]string{"/bin/sh", "-c", "(cd /app; python app.py)"}, true, "python", 0},
		{[]string{"/bin/sh", "-c", "python app.py > /tmp/log 2>&1"}, true, "python", 0},
		{[]string{"/bin/sh", "-c", `gunicorn -b "0.0.0.0:5000" app:app # serve`}, true, "gunicorn", 5000},
		{[]string{"/bin/sh", "-c", "node server.js"}, false, "", 0},
	}
	for _, tc := range cases {
		got := imgAnalyzeCommand(&ImageConfig{Cmd: tc.argv})
		if got.OK != tc.ok || got.Server != tc.server || got.Port != tc.port {
			t.Errorf("%q: OK %v server %q port %d; want %v %q %d (%s)", tc.argv, got.OK, got.Server, got.Port, tc.ok, tc.server, tc.port, got.Why.In("en"))
		}
	}
}

func TestImageCodePortReading(t *testing.T) {
	cases := []struct {
		src         string
		env         []string
		found       bool
		port        int
		hostMissing bool
	}{
		{"app = Flask(__name__)\napp.run(host='0.0.0.0', port=5000)\n", nil, true, 5000, false},
		{"app = Flask(__name__)\napp.run()\n", nil, true, 5000, true},
		{"web = flask.Flask(__name__)\nPORT = int(os.environ.get('PORT', 8080))\nweb.run('0.0.0.0', PORT)\n", []string{"PORT=5000"}, true, 5000, false},
		// A call inside a docstring or a string is not the app's call.
		{"app = Flask(__name__)\n\"\"\"Run with app.run(port=9).\"\"\"\napp.run(host='0.0.0.0', port=5000)\n", nil, true, 5000, false},
		{"app = Flask(__name__)\nx = 'app.run(port=9)'\n", nil, false, 0, false},
	}
	for _, tc := range cases {
		got := imgCodePort(tc.src, tc.env)
		if got.found != tc.found || got.port != tc.port || got.hostMissing != tc.hostMissing {
			t.Errorf("%q: %+v; want found %v port %d hostMissing %v", tc.src, got, tc.found, tc.port, tc.hostMissing)
		}
	}
}
