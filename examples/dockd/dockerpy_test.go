package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// docker-py (Debian's python3-docker 5.0.3, by /usr/bin/python3: not
// another python's docker module) runs testdata/dockerpy_check.py, whose
// checks assert inside python and name what failed.
func TestDockerPy(t *testing.T) {
	const python = "/usr/bin/python3"
	c := newDockerCLI(t)
	reg := startRegistry(t)
	if _, err := os.Stat(python); err != nil {
		t.Fatal(err)
	}
	env := append(c.env, "PYTHONPATH=", "PYTHONNOUSERSITE=1")
	r := runClient(t, env, nil, 5*time.Minute, python, "-I", "testdata/dockerpy_check.py", reg)
	t.Logf("docker-py checks:\n%s", r.stdout)
	if r.code != 0 {
		t.Errorf("docker-py: %d checks failed:\n%s\ndockd's log:\n%s", r.code, r.stderr, tail(c.d.stderr.String(), 30))
	}
	if !strings.Contains(r.stdout, "ok   volumes") && r.code == 0 {
		t.Errorf("docker-py: the checks did not all run:\n%s", r.stdout)
	}
}
