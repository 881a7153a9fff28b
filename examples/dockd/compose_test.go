package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// composeBin is Debian's docker-compose 1.29 (python3, docker-py 5.0.3:
// API 1.38, the legacy filters and events' legacy fields).
const composeBin = "/usr/bin/docker-compose"

// docker-compose up -d, ps, logs, exec and down of a project with two
// services, a network, a volume and a published port.
func TestCompose(t *testing.T) {
	if _, err := os.Stat(composeBin); err != nil {
		t.Fatalf("docker-compose: %v (scripts/test-deps.sh installs Debian's)", err)
	}
	c := newDockerCLI(t)
	port := strconv.Itoa(freePort(t))
	env := append(c.env, "WEB_PORT="+port, "COMPOSE_DOCKER_CLI_BUILD=0", "COMPOSE_INTERACTIVE_NO_CLI=1")
	compose := func(args ...string) result {
		t.Helper()
		all := append([]string{"--ansi", "never", "-p", "proj", "-f", "testdata/compose/docker-compose.yml"}, args...)
		return runClient(t, env, nil, 3*time.Minute, composeBin, all...)
	}
	ok := func(args ...string) string {
		t.Helper()
		r := compose(args...)
		if r.code != 0 {
			t.Fatalf("docker-compose %s: %v\ndockd's log:\n%s", strings.Join(args, " "), r, tail(c.d.stderr.String(), 40))
		}
		return r.stdout
	}
	defer func() {
		if r := compose("down", "-v", "-t", "1"); r.code != 0 {
			t.Errorf("docker-compose down -v: %v", r)
		}
	}()
	ok("up", "-d")
	httpGet(t, "http://127.0.0.1:"+port+"/", "hello-compose")

	out := ok("ps")
	for _, name := range []string{"proj_web_1", "proj_writer_1"} {
		if !strings.Contains(out, name) || !strings.Contains(out, "Up") {
			t.Errorf("docker-compose ps = %q, want %s Up", out, name)
		}
	}
	if out := ok("ps", "-q"); len(strings.Fields(out)) != 2 {
		t.Errorf("docker-compose ps -q = %q, want two IDs", out)
	}
	if out := ok("logs", "--no-color", "writer"); !strings.Contains(out, "written") {
		t.Errorf("docker-compose logs writer = %q, want written", out)
	}
	// The services find each other by name on their network.
	r := compose("exec", "-T", "writer", "sh", "-c", "for i in $(seq 50); do wget -q -O- http://web/ && exit; sleep 0.1; done; exit 1")
	if r.code != 0 || r.stdout != "hello-compose\n" {
		t.Errorf("docker-compose exec -T writer wget http://web/ = %v; want hello-compose", r)
	}
	if r := compose("exec", "-T", "web", "sh", "-c", "exit 3"); r.code != 3 {
		t.Errorf("docker-compose exec exit 3 = %v; want exit 3", r)
	}
	if out := c.ok("network", "ls", "--format", "{{.Name}}"); !strings.Contains(out, "proj_back\n") {
		t.Errorf("docker network ls = %q, want proj_back", out)
	}
	if out := c.ok("volume", "ls", "--format", "{{.Name}}"); !strings.Contains(out, "proj_data\n") {
		t.Errorf("docker volume ls = %q, want proj_data", out)
	}

	ok("down", "-v", "-t", "1")
	c.expect(0, "", "ps", "-aq")
	if out := c.ok("network", "ls", "--format", "{{.Name}}"); strings.Contains(out, "proj_back") {
		t.Errorf("docker network ls after down = %q, want proj_back gone", out)
	}
	if out := c.ok("volume", "ls", "--format", "{{.Name}}"); strings.Contains(out, "proj_data") {
		t.Errorf("docker volume ls after down -v = %q, want proj_data gone", out)
	}
}
