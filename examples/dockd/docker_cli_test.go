package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// dockerCLI is the docker CLI pointed at one dockd.
type dockerCLI struct {
	t   *testing.T
	d   *daemon
	bin string
	env []string
}

// dockerBin is the CLI of Debian's docker.io (scripts/test-deps.sh
// installs it; its daemons never run), by path so that another docker on
// PATH does not stand in for it; DOCK_TEST_DOCKER names another.
func dockerBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("DOCK_TEST_DOCKER")
	if bin == "" {
		bin = "/usr/bin/docker"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("the docker CLI: %v (scripts/test-deps.sh installs Debian's docker.io)", err)
	}
	return bin
}

// newDockerCLI starts dockd over a fresh root holding busybox and returns
// the CLI pointed at it.
func newDockerCLI(t *testing.T) *dockerCLI {
	t.Helper()
	d := startDockd(t, newRoot(t), "")
	return &dockerCLI{t: t, d: d, bin: dockerBin(t), env: clientEnv(t, d)}
}

// run runs docker with args and no stdin.
func (c *dockerCLI) run(args ...string) result {
	c.t.Helper()
	return runClient(c.t, c.env, nil, 2*time.Minute, c.bin, args...)
}

// ok runs docker and fails the test unless it exits 0; it returns stdout.
func (c *dockerCLI) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("docker %s: %v\ndockd's log:\n%s", strings.Join(args, " "), r, tail(c.d.stderr.String(), 40))
	}
	return r.stdout
}

// expect runs docker and checks its exit code and stdout.
func (c *dockerCLI) expect(code int, stdout string, args ...string) {
	c.t.Helper()
	r := c.run(args...)
	if r.code != code || r.stdout != stdout {
		c.t.Errorf("docker %s = %v; want exit %d, stdout %q", strings.Join(args, " "), r, code, stdout)
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func TestDockerCLIVersionInfo(t *testing.T) {
	c := newDockerCLI(t)
	out := c.ok("version", "--format", "{{.Server.Os}} {{.Server.APIVersion}}")
	if !regexp.MustCompile(`^linux 1\.\d+\n$`).MatchString(out) {
		t.Errorf("docker version --format = %q, want linux and the API version", out)
	}
	out = c.ok("info", "--format", "{{.OSType}} {{.Images}}")
	if out != "linux 1\n" {
		t.Errorf("docker info --format = %q, want linux 1 (busybox)", out)
	}
}

func TestDockerCLIRun(t *testing.T) {
	c := newDockerCLI(t)
	c.expect(0, "hi\n", "run", "--rm", "busybox", "echo", "hi")
	// The exit code passes through; stdout and stderr stay apart.
	r := c.run("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 7")
	if r.code != 7 || r.stdout != "out\n" || r.stderr != "err\n" {
		t.Errorf("docker run exit 7 = %v; want exit 7, out, err", r)
	}
	// Stdin with -i.
	r = runClient(t, c.env, []byte("in\n"), time.Minute, c.bin, "run", "--rm", "-i", "busybox", "cat")
	if r.code != 0 || r.stdout != "in\n" {
		t.Errorf("docker run -i cat = %v; want in", r)
	}
	// --rm leaves nothing behind.
	c.expect(0, "", "ps", "-aq")
	// A missing image: docker's message, exit 125.
	if r := c.run("run", "--rm", "127.0.0.1:1/none:1", "true"); r.code != 125 {
		t.Errorf("docker run of a missing image = %v; want exit 125", r)
	}
}

func TestDockerCLIDetachedPortsExecLogs(t *testing.T) {
	c := newDockerCLI(t)
	id := strings.TrimSpace(c.ok("run", "-d", "--name", "web", "-p", "127.0.0.1::80", "busybox",
		"sh", "-c", "mkdir /www && echo hello > /www/index.html && echo ready && exec httpd -f -p 80 -h /www"))
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
		t.Fatalf("docker run -d printed %q, want the container's ID", id)
	}
	if out := c.ok("ps", "--format", "{{.Names}} {{.Status}}"); !regexp.MustCompile(`^web Up `).MatchString(out) {
		t.Errorf("docker ps = %q, want web Up", out)
	}
	port := strings.TrimSpace(c.ok("port", "web", "80/tcp"))
	if !regexp.MustCompile(`^127\.0\.0\.1:\d+$`).MatchString(port) {
		t.Fatalf("docker port web 80 = %q, want 127.0.0.1:PORT", port)
	}
	httpGet(t, "http://"+port+"/", "hello")

	// inspect --format.
	c.expect(0, "true /web\n", "inspect", "--format", "{{.State.Running}} {{.Name}}", "web")
	c.expect(0, "busybox\n", "inspect", "--format", "{{.Config.Image}}", "web")

	// exec: output and exit codes.
	c.expect(0, "hello\n", "exec", "web", "cat", "/www/index.html")
	c.expect(5, "", "exec", "web", "sh", "-c", "exit 5")
	r := runClient(t, c.env, []byte("piped\n"), time.Minute, c.bin, "exec", "-i", "web", "cat")
	if r.code != 0 || r.stdout != "piped\n" {
		t.Errorf("docker exec -i cat = %v; want piped", r)
	}

	// logs, and logs -f that ends when the container does.
	c.expect(0, "ready\n", "logs", "web")
	c.ok("run", "-d", "--name", "talker", "busybox", "sh", "-c", "echo one; sleep 1; echo two")
	c.expect(0, "one\ntwo\n", "logs", "-f", "talker")

	// stats --no-stream.
	if out := c.ok("stats", "--no-stream", "--format", "{{.Name}}", "web"); out != "web\n" {
		t.Errorf("docker stats --no-stream = %q, want web", out)
	}

	// stop and rm.
	c.expect(0, "web\n", "stop", "-t", "1", "web")
	c.expect(0, "false\n", "inspect", "--format", "{{.State.Running}}", "web")
	c.expect(0, "web\n", "rm", "web")
	c.expect(0, "talker\n", "rm", "-f", "talker")
	c.expect(0, "", "ps", "-aq")
	if r := c.run("rm", "web"); r.code != 1 || !strings.Contains(r.stderr, "No such container: web") {
		t.Errorf("docker rm of a removed container = %v; want exit 1, No such container", r)
	}
}

func TestDockerCLICopy(t *testing.T) {
	c := newDockerCLI(t)
	c.ok("run", "-d", "--name", "box", "busybox", "sleep", "600")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(in, []byte("into the container\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.ok("cp", in, "box:/tmp/in.txt")
	c.expect(0, "into the container\n", "exec", "box", "cat", "/tmp/in.txt")
	c.ok("exec", "box", "sh", "-c", "mkdir /out && echo out of it > /out/f")
	c.ok("cp", "box:/out", dir)
	if b, err := os.ReadFile(filepath.Join(dir, "out", "f")); err != nil || string(b) != "out of it\n" {
		t.Errorf("docker cp box:/out: %q, %v; want out of it", b, err)
	}
	// CLI 20.10 words the stat's 404 itself; later ones print the
	// daemon's message.
	if r := c.run("cp", "box:/nonexistent", dir); r.code != 1 || !strings.Contains(r.stderr, "No such container:path: box:/nonexistent") &&
		!strings.Contains(r.stderr, "Could not find the file /nonexistent in container box") {
		t.Errorf("docker cp of a missing path = %v; want exit 1, No such container:path (or Docker's Could not find the file)", r)
	}
}

func TestDockerCLIBuild(t *testing.T) {
	c := newDockerCLI(t)
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile": "FROM busybox\nARG GREETING=hello\nCOPY msg.txt /msg.txt\nRUN echo \"$GREETING from RUN\" >> /msg.txt\nLABEL built=by-dockd\nCMD [\"cat\", \"/msg.txt\"]\n",
		"msg.txt":    "from the context\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := c.ok("build", "-t", "built:1", "--build-arg", "GREETING=hi", dir)
	if !strings.Contains(out, "Successfully built ") || !strings.Contains(out, "Successfully tagged built:1") {
		t.Errorf("docker build printed %q, want Successfully built and tagged", out)
	}
	c.expect(0, "from the context\nhi from RUN\n", "run", "--rm", "built:1")
	c.expect(0, "by-dockd\n", "inspect", "--format", `{{index .Config.Labels "built"}}`, "built:1")
	// A Dockerfile error fails the build with the CLI's exit code 1.
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nRUN exit 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := c.run("build", dir); r.code != 1 || !strings.Contains(r.stderr+r.stdout, "returned a non-zero code: 3") {
		t.Errorf("docker build with RUN exit 3 = %v; want exit 1, returned a non-zero code: 3", r)
	}
}

func TestDockerCLIImagesPullPush(t *testing.T) {
	c := newDockerCLI(t)
	reg := startRegistry(t)
	if out := c.ok("images", "--format", "{{.Repository}}:{{.Tag}}"); out != "busybox:latest\n" {
		t.Errorf("docker images = %q, want busybox:latest", out)
	}
	ref := reg + "/cli/bb:1"
	c.ok("tag", "busybox", ref)
	out := c.ok("push", ref)
	if !regexp.MustCompile(`1: digest: sha256:[0-9a-f]{64} size: [1-9]\d*`).MatchString(out) {
		t.Errorf("docker push printed %q, want the digest line", out)
	}
	c.ok("rmi", ref)
	if r := c.run("image", "inspect", ref); r.code != 1 {
		t.Errorf("docker image inspect after rmi = %v; want exit 1", r)
	}
	out = c.ok("pull", ref)
	if !strings.Contains(out, "Status: Downloaded newer image for "+ref) && !strings.Contains(out, "Status: Image is up to date for "+ref) {
		t.Errorf("docker pull printed %q, want its Status line", out)
	}
	c.expect(0, "pulled\n", "run", "--rm", ref, "echo", "pulled")
	out = c.ok("images", "--format", "{{.Repository}}:{{.Tag}}")
	if !strings.Contains(out, reg+"/cli/bb:1\n") {
		t.Errorf("docker images after the pull = %q, want %s", out, ref)
	}
	// A missing tag: the registry's 404, exit 1.
	if r := c.run("pull", reg+"/cli/bb:nosuch"); r.code != 1 {
		t.Errorf("docker pull of a missing tag = %v; want exit 1", r)
	}
}

func TestDockerCLIVolumesNetworks(t *testing.T) {
	c := newDockerCLI(t)
	c.expect(0, "vol1\n", "volume", "create", "vol1")
	if out := c.ok("volume", "ls", "--format", "{{.Name}} {{.Driver}}"); out != "vol1 local\n" {
		t.Errorf("docker volume ls = %q, want vol1 local", out)
	}
	c.expect(0, "vol1\n", "volume", "inspect", "--format", "{{.Name}}", "vol1")
	c.ok("run", "--rm", "-v", "vol1:/data", "busybox", "sh", "-c", "echo kept > /data/f")
	c.expect(0, "kept\n", "run", "--rm", "-v", "vol1:/data", "busybox", "cat", "/data/f")
	c.expect(0, "vol1\n", "volume", "rm", "vol1")
	if r := c.run("volume", "inspect", "vol1"); r.code != 1 {
		t.Errorf("docker volume inspect after rm = %v; want exit 1", r)
	}

	id := strings.TrimSpace(c.ok("network", "create", "net1"))
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
		t.Errorf("docker network create printed %q, want an ID", id)
	}
	out := c.ok("network", "ls", "--format", "{{.Name}} {{.Driver}}")
	for _, want := range []string{"bridge bridge\n", "host host\n", "none null\n", "net1 bridge\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("docker network ls = %q, want a line %q", out, want)
		}
	}
	c.expect(0, "bridge\n", "network", "inspect", "--format", "{{.Driver}}", "net1")
	// Two containers on it find each other by name.
	c.ok("run", "-d", "--name", "srv", "--network", "net1", "busybox", "sh", "-c",
		"mkdir /www && echo on-net1 > /www/index.html && exec httpd -f -p 80 -h /www")
	c.expect(0, "on-net1\n", "run", "--rm", "--network", "net1", "busybox", "sh", "-c",
		"for i in $(seq 50); do wget -q -O- http://srv/ && exit; sleep 0.1; done; exit 1")
	c.ok("network", "disconnect", "net1", "srv")
	c.ok("network", "connect", "net1", "srv")
	if r := c.run("network", "rm", "net1"); r.code != 1 {
		t.Errorf("docker network rm of a network in use = %v; want exit 1", r)
	}
	c.ok("rm", "-f", "srv")
	c.expect(0, "net1\n", "network", "rm", "net1")
}
