//go:build linux

package dock

// Security tests of running untrusted code: one test per line of the
// "Running" list of SECURITY-TESTS.md, each named after the escape it
// guards against. They need root (testEngine skips without it).
//
// Some tests run a small static program, testdata/security/probe, inside
// the container to make system calls that busybox has no applet for; it is
// built with the Go toolchain that runs the tests (no network, no cgo).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/cgroup"
	"github.com/go-dock/dock/internal/testutil"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// secRun runs cfg to completion (and removes the container) and returns
// what it wrote. A non-zero exit is not an error here: callers check st.
func secRun(t *testing.T, e *Engine, cfg Config) (stdout, stderr string, st ExitStatus, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	st, err = e.Run(ctx, cfg, nil, &out, &errb)
	var ee *ExitError
	if errors.As(err, &ee) {
		err = nil
	}
	return out.String(), errb.String(), st, err
}

// secSh runs a busybox shell script in image and fails the test if the
// container cannot run; it returns stdout and stderr.
func secSh(t *testing.T, e *Engine, cfg Config, script string) (string, string, ExitStatus) {
	t.Helper()
	if cfg.Image == "" {
		cfg.Image = "busybox"
	}
	cfg.Cmd = []string{"sh", "-c", script}
	out, errs, st, err := secRun(t, e, cfg)
	if err != nil {
		t.Fatalf("Run(%q) = %v, want the container to run (stderr %q)", script, err, errs)
	}
	return out, errs, st
}

// secStart creates and starts cfg; the container is removed at cleanup.
func secStart(t *testing.T, e *Engine, cfg Config, stdout, stderr io.Writer) *Container {
	t.Helper()
	ctx := context.Background()
	c, err := e.Create(ctx, cfg)
	if err != nil {
		t.Fatalf("Create(%v) = %v", cfg.Cmd, err)
	}
	t.Cleanup(func() { c.Remove(context.Background(), true) })
	c.Stdout, c.Stderr = stdout, stderr
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start(%v) = %v", cfg.Cmd, err)
	}
	return c
}

// secExec runs cmd in the running container c and returns its output.
func secExec(t *testing.T, c *Container, cfg ExecConfig) (string, ExitStatus, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out bytes.Buffer
	p := c.Exec(cfg)
	p.Stdout, p.Stderr = &out, &out
	if err := p.Start(ctx); err != nil {
		return out.String(), ExitStatus{}, err
	}
	st, err := p.Wait(ctx)
	return out.String(), st, err
}

// secImage imports a private copy of the busybox root filesystem, changed
// by mutate, as ref.
func secImage(t *testing.T, e *Engine, ref string, mutate func(root string), opts ...ImportOption) {
	t.Helper()
	root := testutil.BusyboxRootfsCopy(t)
	if mutate != nil {
		mutate(root)
	}
	if _, err := e.ImportDir(context.Background(), root, ref, opts...); err != nil {
		t.Fatalf("ImportDir(%s) = %v", ref, err)
	}
}

// secProbeBinary builds testdata/security/probe for the host into dir. A
// machine without Go (a test host the test binary was copied to) names a
// probe built beforehand in DOCK_TEST_PROBE.
func secProbeBinary(t *testing.T, dir string) string {
	t.Helper()
	if p := os.Getenv("DOCK_TEST_PROBE"); p != "" {
		return p
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	if runtime.GOARCH != "amd64" {
		testutil.Missing(t, "testdata/security/probe knows only amd64 syscall numbers")
	}
	out := filepath.Join(dir, "probe")
	cmd := exec.Command(gobin, "build", "-o", out, "./testdata/security/probe")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build probe: %v\n%s", err, b)
	}
	return out
}

// secWithProbe returns a mutate function that installs the probe as
// /bin/probe.
func secWithProbe(t *testing.T) func(root string) {
	bin := secProbeBinary(t, t.TempDir())
	return func(root string) { secCopyFile(t, bin, filepath.Join(root, "bin/probe"), 0o755) }
}

func secCopyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, mode); err != nil {
		t.Fatal(err)
	}
}

func secWriteFile(t *testing.T, name, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// secSymlink replaces root/name (whatever it is) with a symlink.
func secSymlink(t *testing.T, root, name, target string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

func secSHA256(t *testing.T, name string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

func secReadHost(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// secStatusField returns a field of a /proc/PID/status text.
func secStatusField(status, name string) string {
	for _, line := range strings.Split(status, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// secWantStartError checks that a start failed with a *StartError whose
// message names want.
func secWantStartError(t *testing.T, what string, err error, want string) {
	t.Helper()
	var se *StartError
	switch {
	case err == nil:
		t.Errorf("%s: started, want a start failure naming %q", what, want)
	case errors.As(err, &se):
		if !strings.Contains(se.Error(), want) {
			t.Errorf("%s: error = %q, want it to name %q", what, se.Error(), want)
		}
	default:
		t.Errorf("%s: error = %v (%T), want a *StartError", what, err, err)
	}
}

// TestSecurityStartErrorReported checks that when the init fails during
// its setup (here: an image whose /dev is a symlink), Start returns the
// init's own report as a *StartError, not an I/O error of the engine.
func TestSecurityStartErrorReported(t *testing.T) {
	e := testEngine(t)
	secImage(t, e, "evil:devlink", func(root string) { secSymlink(t, root, "dev", "/etc") })
	for i := range 10 {
		_, _, _, err := secRun(t, e, Config{Image: "evil:devlink", Cmd: []string{"true"}})
		var se *StartError
		if !errors.As(err, &se) || se.Code != 125 || !strings.Contains(se.Error(), "/dev") {
			t.Fatalf("Start(image /dev -> /etc), try %d = %v, want a *StartError with code 125 naming /dev", i, err)
		}
	}
}

// TestSecurityCVE2019_5736 checks that the binary that embeds the engine
// (here, the test binary) cannot be overwritten from a container: the init
// and exec processes run it from a read-only mount, they are not
// dumpable, and the classic "#!/proc/self/exe" script runs it read-only.
func TestSecurityCVE2019_5736(t *testing.T) {
	e := testEngine(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	before := secSHA256(t, self)
	t.Cleanup(func() {
		if after := secSHA256(t, self); after != before {
			t.Errorf("sha256(%s) = %x after the containers, want %x (unchanged)", self, after, before)
		}
	})

	// The mechanism: the binary is executed from a read-only clone of its
	// mount, which refuses writes before anything else is checked.
	exe, err := exeFile()
	if err != nil {
		t.Fatalf("exeFile() = %v", err)
	}
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(int(exe.Fd()), &sfs); err != nil || sfs.Flags&unix.ST_RDONLY == 0 {
		t.Errorf("statfs(exeFile()) flags = %#x, %v, want ST_RDONLY", sfs.Flags, err)
	}
	// O_TRUNC makes the kernel check the mount before the file is busy
	// (ETXTBSY): EROFS proves the mount, and nothing can be truncated.
	_, err = unix.Open("/proc/self/fd/"+strconv.Itoa(int(exe.Fd())), unix.O_WRONLY|unix.O_TRUNC|unix.O_CLOEXEC, 0)
	if !errors.Is(err, unix.EROFS) {
		t.Errorf("open(exeFile(), O_WRONLY|O_TRUNC) = %v, want EROFS", err)
	}

	// The image: the probe, the host binary's shared libraries (so that it
	// can really run inside), and /bin/evil, a script whose interpreter is
	// /proc/self/exe: run by the init or an exec, it starts the host binary
	// as the container's process (the 2019 attack).
	probe := secWithProbe(t)
	secImage(t, e, "evil:exe", func(root string) {
		probe(root)
		secCopyELFDeps(t, self, root)
		secWriteFile(t, filepath.Join(root, "bin/evil"), "#!/proc/self/exe -test.run=^TestSecurityHelperProcess$\n", 0o755)
	})
	helperEnv := []string{"DOCK_SECURITY_HELPER=exe", "LD_LIBRARY_PATH=/lib"}

	t.Run("init runs /proc/self/exe", func(t *testing.T) {
		out, errs, st, err := secRun(t, e, Config{Image: "evil:exe", Cmd: []string{"/bin/evil"}, Env: helperEnv})
		if err != nil {
			t.Fatalf("Run(/bin/evil) = %v, want the host binary to run inside (stderr %q)", err, errs)
		}
		secCheckHelper(t, out, st, errs)
	})

	t.Run("exec during a race on /proc/PID/exe", func(t *testing.T) {
		var out, errb bytes.Buffer
		c := secStart(t, e, Config{Image: "evil:exe", Cmd: []string{"probe", "exerace", "/tmp/stop", "60000"}}, &out, &errb)
		for i := range 12 {
			cmd := ExecConfig{Cmd: []string{"true"}}
			if i%4 == 0 {
				cmd = ExecConfig{Cmd: []string{"/bin/evil"}, Env: slices.Concat(helperEnv, []string{"DOCK_SECURITY_HELPER_SLEEP=300ms"})}
			}
			hout, st, err := secExec(t, c, cmd)
			if err != nil {
				t.Fatalf("Exec(%v) = %v", cmd.Cmd, err)
			}
			if cmd.Cmd[0] == "/bin/evil" {
				secCheckHelper(t, hout, st, "")
			}
		}
		if _, _, err := secExec(t, c, ExecConfig{Cmd: []string{"touch", "/tmp/stop"}}); err != nil {
			t.Fatalf("Exec(touch /tmp/stop) = %v", err)
		}
		st, err := c.Wait(context.Background())
		if err != nil || st.Code != 0 {
			t.Fatalf("probe exerace: Wait() = %+v, %v, want code 0 (stderr %q)", st, err, errb.String())
		}
		res := secParseExeRace(out.String())
		t.Logf("probe exerace:\n%s", out.String())
		if res.writeOK != 0 {
			t.Errorf("probe exerace: write_ok = %d, want 0", res.writeOK)
		}
		// The container's own binaries may be reopened for writing once
		// they stop running; anything else (the host binary, run by
		// /bin/evil) must be on a read-only mount and stay unwritable.
		host := 0
		for _, tg := range res.reopens {
			if tg.target == "/bin/busybox" || tg.target == "/bin/probe" {
				continue
			}
			host++
			if !tg.ro || tg.errno == 0 {
				t.Errorf("probe exerace: %q reached through /proc/PID/exe: read-only mount %v, reopen for writing errno %d, want a read-only mount and an error", tg.target, tg.ro, tg.errno)
			}
		}
		if host == 0 {
			t.Errorf("probe exerace: never reached the host binary run by /bin/evil, want the attack exercised")
		}
	})
}

// secCheckHelper checks what TestSecurityHelperProcess printed inside a
// container: /proc/self/exe (the host binary) is on a read-only mount and
// cannot be opened for writing.
func secCheckHelper(t *testing.T, out string, st ExitStatus, stderr string) {
	t.Helper()
	if st.Code != 0 || !strings.Contains(out, "readonly true") {
		t.Errorf("/bin/evil (host binary inside) = code %d, output %q %q, want code 0 and \"readonly true\"", st.Code, out, stderr)
	}
	if strings.Contains(out, "open_write 0\n") || !strings.Contains(out, "open_write ") {
		t.Errorf("/bin/evil: open(/proc/self/exe, O_WRONLY) output %q, want an error", out)
	}
}

// TestSecurityHelperProcess is not a test: it is the program that the
// "#!/proc/self/exe" script of TestSecurityCVE2019_5736 runs inside a
// container (the test binary itself, as in the 2019 attack).
func TestSecurityHelperProcess(t *testing.T) {
	if os.Getenv("DOCK_SECURITY_HELPER") != "exe" {
		t.Skip("helper process for TestSecurityCVE2019_5736")
	}
	if d, err := time.ParseDuration(os.Getenv("DOCK_SECURITY_HELPER_SLEEP")); err == nil {
		time.Sleep(d)
	}
	fd, err := unix.Open("/proc/self/exe", unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		fmt.Println("open_path", err)
		os.Exit(1)
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		fmt.Println("statfs", err)
		os.Exit(1)
	}
	fmt.Println("readonly", st.Flags&unix.ST_RDONLY != 0)
	// O_APPEND without O_TRUNC: if it opened, nothing would be written.
	w, err := unix.Open("/proc/self/exe", unix.O_WRONLY|unix.O_APPEND|unix.O_CLOEXEC, 0)
	if err == nil {
		unix.Close(w)
		fmt.Println("open_write 0")
	} else {
		fmt.Println("open_write", int(err.(unix.Errno)))
	}
	os.Exit(0)
}

// secCopyELFDeps copies the ELF interpreter and shared libraries of bin into
// root (libraries in /lib), so that bin runs inside a container of root.
func secCopyELFDeps(t *testing.T, bin, root string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b, err := io.ReadAll(p.Open())
		if err != nil {
			t.Fatal(err)
		}
		interp := strings.TrimRight(string(b), "\x00")
		secCopyFile(t, interp, filepath.Join(root, interp), 0o755)
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	dirs := []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
		"/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}
	for _, lib := range libs {
		found := false
		for _, d := range dirs {
			if _, err := os.Stat(filepath.Join(d, lib)); err == nil {
				secCopyFile(t, filepath.Join(d, lib), filepath.Join(root, "lib", lib), 0o755)
				found = true
				break
			}
		}
		if !found {
			testutil.Missing(t, "shared library "+lib+" of the test binary not found")
		}
	}
}

type secExeRace struct {
	writeOK int
	reopens []secExeReopen
}

type secExeReopen struct {
	target string
	ro     bool
	errno  int
}

func secParseExeRace(out string) secExeRace {
	var r secExeRace
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "write_ok":
			r.writeOK, _ = strconv.Atoi(f[1])
		case len(f) == 4 && f[0] == "reopen":
			n, _ := strconv.Atoi(f[3])
			r.reopens = append(r.reopens, secExeReopen{f[1], f[2] == "true", n})
		}
	}
	return r
}

// TestSecurityCVE2024_21626 checks that descriptors the embedding program
// leaks (opened without O_CLOEXEC) never reach a container, and that a
// working directory through /proc/self/fd is refused.
func TestSecurityCVE2024_21626(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	var leaked []int
	for _, dir := range []string{"/", "/etc", t.TempDir()} {
		fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0) // no O_CLOEXEC
		if err != nil {
			t.Fatal(err)
		}
		leaked = append(leaked, fd)
		t.Cleanup(func() { syscall.Close(fd) })
	}
	t.Logf("leaked host descriptors %v", leaked)

	// ls opens /proc/self/fd as 3: 0, 1, 2 and 3 is all there may be.
	out, errs, st := secSh(t, e, Config{}, "ls /proc/self/fd; echo init; ls /proc/1/fd; true")
	if want := "0\n1\n2\n3\ninit\n0\n1\n2\n"; out != want || st.Code != 0 {
		t.Errorf("descriptors in a container = %q (code %d, stderr %q), want %q", out, st.Code, errs, want)
	}

	var cout bytes.Buffer
	c := secStart(t, e, Config{Image: "busybox", Cmd: []string{"sleep", "30"}}, &cout, &cout)
	got, st, err := secExec(t, c, ExecConfig{Cmd: []string{"ls", "/proc/self/fd"}})
	if err != nil || got != "0\n1\n2\n3\n" || st.Code != 0 {
		t.Errorf("descriptors in an exec = %q, %+v, %v, want \"0\\n1\\n2\\n3\\n\"", got, st, err)
	}

	fd := leaked[1]
	for _, wd := range []string{
		"/proc/self/fd/" + strconv.Itoa(fd),
		"/proc/1/fd/" + strconv.Itoa(fd),
		"/proc/self/cwd",
		"/proc/../proc/self/fd/" + strconv.Itoa(fd),
	} {
		_, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"pwd"}, WorkingDir: wd})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Create(WorkingDir %q) = %v, want ErrInvalid", wd, err)
		}
		_, _, err = secExec(t, c, ExecConfig{Cmd: []string{"pwd"}, WorkingDir: wd})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Exec(WorkingDir %q) = %v, want ErrInvalid", wd, err)
		}
	}

	// Paths that reach /proc/self/fd through a symlink (/dev/fd) or come
	// from the image pass the first check: they must fail at start, or
	// run in a directory of the container, never in a host directory.
	secImage(t, e, "evil:workdir", nil, WithImportConfig(ocispec.ImageConfig{WorkingDir: "/proc/self/fd/" + strconv.Itoa(fd)}))
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"WorkingDir /dev/fd/N", Config{Image: "busybox", WorkingDir: "/dev/fd/" + strconv.Itoa(fd)}},
		{"WorkingDir /dev/fd/3", Config{Image: "busybox", WorkingDir: "/dev/fd/3"}},
		{"WorkingDir /dev/fd/4", Config{Image: "busybox", WorkingDir: "/dev/fd/4"}},
		{"image WORKDIR /proc/self/fd/N", Config{Image: "evil:workdir"}},
	} {
		tc.cfg.Cmd = []string{"sh", "-c", "pwd; ls /etc/os-release"}
		out, errs, st, err := secRun(t, e, tc.cfg)
		switch {
		case errors.Is(err, ErrInvalid):
		case err != nil:
			secWantStartError(t, tc.name, err, "")
		case st.Code != 0 || !strings.HasPrefix(out, "/") || strings.Contains(out, "unreachable"):
			t.Errorf("%s: container ran with output %q (code %d, stderr %q), want a refusal or a working directory inside", tc.name, out, st.Code, errs)
		}
		t.Logf("%s: err %v, output %q", tc.name, err, out)
	}
	got, st, err = secExec(t, c, ExecConfig{Cmd: []string{"pwd"}, WorkingDir: "/dev/fd/" + strconv.Itoa(fd)})
	if err == nil && (st.Code != 0 || !strings.HasPrefix(got, "/")) {
		t.Errorf("Exec(WorkingDir /dev/fd/N) = %q, %+v, want a refusal or a directory inside", got, st)
	}
}

// TestSecurityCVE2025_31133 checks that an image whose /dev, /dev/null,
// /dev/pts or /dev/console is a symlink cannot redirect the masks or the
// console onto host or procfs files. The init mounts a fresh tmpfs on /dev
// and refuses a symlink on the way (RESOLVE_NO_SYMLINKS): a symlinked /dev
// fails to start; links below /dev are hidden by the tmpfs.
func TestSecurityCVE2025_31133(t *testing.T) {
	e := testEngine(t)
	corePattern := secReadHost(t, "/proc/sys/kernel/core_pattern")
	etcBefore := secDirNames(t, "/etc")
	t.Cleanup(func() {
		if got := secReadHost(t, "/proc/sys/kernel/core_pattern"); got != corePattern {
			t.Errorf("host core_pattern = %q, want %q (unchanged)", got, corePattern)
		}
		if got := secDirNames(t, "/etc"); !slices.Equal(got, etcBefore) {
			t.Errorf("host /etc = %v, want %v (unchanged)", got, etcBefore)
		}
	})

	for _, target := range []string{"/etc", "../../../../../../etc", "/proc/sys/kernel"} {
		name := "evil:dev-" + strconv.Itoa(len(target))
		secImage(t, e, name, func(root string) { secSymlink(t, root, "dev", target) })
		_, errs, _, err := secRun(t, e, Config{Image: name, Cmd: []string{"true"}})
		secWantStartError(t, "image /dev -> "+target, err, "/dev")
		t.Logf("/dev -> %s: %v %s", target, err, errs)
	}

	// Links below /dev: hidden by the fresh tmpfs; the masks use the
	// real null device and hold, the console is the pty.
	secImage(t, e, "evil:devlinks", func(root string) {
		secSymlink(t, root, "dev/null", "/proc/sys/kernel/core_pattern")
		secSymlink(t, root, "dev/pts", "/proc/sys/kernel")
		secSymlink(t, root, "dev/console", "/proc/sysrq-trigger")
		secSymlink(t, root, "dev/shm", "/etc")
	})
	script := `stat -c '%F %t:%T' /dev/null; stat -f -c %T /dev/pts /dev/shm
for f in /proc/keys /proc/timer_list /proc/interrupts /proc/kcore /proc/sched_debug; do [ -e $f ] && echo "$f $(wc -c < $f)"; done
echo x > /dev/null && echo null-ok; cat /proc/sys/kernel/core_pattern`
	out, errs, st := secSh(t, e, Config{Image: "evil:devlinks"}, script)
	wantLines := []string{"character special file 1:3", "devpts", "tmpfs", "null-ok", strings.TrimSpace(corePattern)}
	for _, w := range wantLines {
		if !slices.Contains(strings.Split(out, "\n"), w) {
			t.Errorf("image with /dev links: output %q (code %d, stderr %q), want line %q", out, st.Code, errs, w)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) == 2 && strings.HasPrefix(f[0], "/proc/") && f[1] != "0" {
			t.Errorf("masked %s reads %s bytes, want 0", f[0], f[1])
		}
	}

	// With a terminal, /dev/console is bound from the pty: it must be one
	// (Unix98 pty slaves have major 136-143), whatever the image had.
	var tout bytes.Buffer
	c := secStart(t, e, Config{Image: "evil:devlinks", Tty: true, Cmd: []string{"stat", "-c", "%F %t", "/dev/console"}}, &tout, nil)
	if st, err := c.Wait(context.Background()); err != nil || st.Code != 0 {
		t.Fatalf("Tty container: Wait() = %+v, %v (output %q)", st, err, tout.String())
	}
	if got := strings.TrimSpace(tout.String()); !strings.HasPrefix(got, "character special file 8") {
		t.Errorf("/dev/console with Tty = %q, want a character device of major 0x88-0x8f (pty)", got)
	}
}

func secDirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestSecurityCVE2021_30465 races mount targets against symlink swaps: a
// container swaps a directory of a shared volume with a symlink to / (and
// to a host-only path) while another container is started again and
// again with a tmpfs mounted on that directory. The target is resolved in
// the container's root, so no host path can ever appear in the second
// container, and no mount ever appears on the host.
func TestSecurityCVE2021_30465(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	if _, err := e.CreateVolume(ctx, "shared"); err != nil {
		t.Fatal(err)
	}
	hostDir := t.TempDir()
	marker := filepath.Join(hostDir, "host-only-marker")
	secWriteFile(t, marker, "host\n", 0o644)
	mountsBefore := secHostMounts(t, e.Root())

	swapper := `mkdir -p /data/x; ln -s / /data/l1; ln -s ` + hostDir + ` /data/l2; ln -s ../../../../../.. /data/l3
i=0; while [ ! -e /data/stop ]; do i=$((i%3+1))
mv /data/x /data/real; mv /data/l$i /data/x; mv /data/x /data/l$i; mv /data/real /data/x; done; echo swapped`
	var aout bytes.Buffer
	a := secStart(t, e, Config{Image: "busybox", Cmd: []string{"sh", "-c", swapper},
		Mounts: []Mount{{Type: "volume", Source: "shared", Target: "/data"}}}, &aout, &aout)

	const starts = 100
	var ok, failed int
	check := `[ -e ` + marker + ` ] && echo HOST-MARKER-VISIBLE; head -1 /etc/os-release`
	for i := range starts {
		out, errs, st, err := secRun(t, e, Config{Image: "busybox", Cmd: []string{"sh", "-c", check},
			Mounts: []Mount{{Type: "volume", Source: "shared", Target: "/data"}, {Type: "tmpfs", Target: "/data/x"}}})
		if err != nil {
			failed++ // the target was a symlink at the wrong moment
			secWantStartError(t, fmt.Sprintf("start %d", i), err, "/data/x")
			continue
		}
		ok++
		if strings.Contains(out, "VISIBLE") || !strings.Contains(out, "NAME=dock-test") {
			t.Fatalf("start %d: output %q (code %d, stderr %q): a host path appeared in the container", i, out, st.Code, errs)
		}
	}
	secWriteFile(t, filepath.Join(e.Root(), "volumes/shared/_data/stop"), "", 0o644)
	if st, err := a.Wait(ctx); err != nil || st.Code != 0 {
		t.Errorf("swapper: Wait() = %+v, %v (output %q)", st, err, aout.String())
	}
	t.Logf("%d starts: %d ran, %d refused", starts, ok, failed)
	if ok == 0 {
		t.Errorf("no start succeeded among %d: the race did not leave the target in place once", starts)
	}
	if got := secReadHost(t, marker); got != "host\n" {
		t.Errorf("host marker = %q, want %q", got, "host\n")
	}
	if got := secHostMounts(t, e.Root()); !slices.Equal(got, mountsBefore) {
		t.Errorf("host mounts under the engine root = %v, want %v", got, mountsBefore)
	}
	if got := secHostMounts(t, hostDir); len(got) != 0 {
		t.Errorf("host mounts on the host-only directory = %v, want none", got)
	}
}

// secHostMounts returns the mount points of the host (this process's mount
// namespace) at or below dir, and of / when dir is /.
func secHostMounts(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(secReadHost(t, "/proc/self/mountinfo"), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			out = append(out, f[4])
		}
	}
	slices.Sort(out)
	return out
}

// TestSecurityFakeProcSys checks that an image's own /proc or /sys is
// never trusted (CVE-2019-16884, CVE-2023-27561): a symlink fails the start,
// a directory of fake files is covered by the real filesystem.
func TestSecurityFakeProcSys(t *testing.T) {
	e := testEngine(t)
	fakeStatus := "Name:\tfake\nSeccomp:\t0\nNoNewPrivs:\t0\n"
	for _, tc := range []struct {
		name, dir, target string
	}{
		{"proc symlink", "proc", "/tmp/fakeproc"},
		{"proc symlink to host proc", "proc", "../../../../../proc"},
		{"sys symlink", "sys", "/tmp/fakesys"},
	} {
		ref := "evil:" + strings.ReplaceAll(tc.name, " ", "-")
		secImage(t, e, ref, func(root string) {
			secWriteFile(t, filepath.Join(root, "tmp/fake"+tc.dir, "self/status"), fakeStatus, 0o644)
			secSymlink(t, root, tc.dir, tc.target)
		})
		_, _, _, err := secRun(t, e, Config{Image: ref, Cmd: []string{"cat", "/proc/self/status"}})
		secWantStartError(t, tc.name, err, "/"+tc.dir)
	}

	secImage(t, e, "evil:fakefiles", func(root string) {
		secWriteFile(t, filepath.Join(root, "proc/self/status"), fakeStatus, 0o644)
		secWriteFile(t, filepath.Join(root, "proc/sys/kernel/core_pattern"), "fake\n", 0o644)
		secWriteFile(t, filepath.Join(root, "sys/fs/cgroup/cgroup.procs"), "", 0o644)
		secWriteFile(t, filepath.Join(root, "sys/kernel/fake"), "fake\n", 0o644)
	})
	out, errs, st := secSh(t, e, Config{Image: "evil:fakefiles"},
		`stat -f -c %T /proc /sys; grep -E '^(Name|Seccomp):' /proc/self/status; [ -e /sys/kernel/fake ] && echo fake-sys; true`)
	if want := "proc\nsysfs\nName:\tgrep\nSeccomp:\t2\n"; out != want || st.Code != 0 {
		t.Errorf("image with fake /proc and /sys files: output %q (code %d, stderr %q), want %q", out, st.Code, errs, want)
	}
}

// TestSecurityDefaultProfile checks Docker's default profile inside a
// container: capabilities, no_new_privs, seccomp, the denied system calls
// and the device cgroup; and that Privileged lifts it.
func TestSecurityDefaultProfile(t *testing.T) {
	e := testEngine(t)
	secImage(t, e, "evil:probe", secWithProbe(t))

	status, _, _ := secSh(t, e, Config{}, "cat /proc/self/status")
	for field, want := range map[string]string{
		"CapInh": "0000000000000000", "CapPrm": "00000000a80425fb", "CapEff": "00000000a80425fb",
		"CapBnd": "00000000a80425fb", "CapAmb": "0000000000000000", "NoNewPrivs": "1", "Seccomp": "2",
	} {
		if got := secStatusField(status, field); got != want {
			t.Errorf("default profile: %s = %q, want %q", field, got, want)
		}
	}

	out, errs, st := secSh(t, e, Config{Image: "evil:probe"}, "probe syscalls")
	got := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		n, _ := strconv.Atoi(line[i+1:])
		got[line[:i]] = n
	}
	eperm, enosys := int(unix.EPERM), int(unix.ENOSYS)
	for _, tc := range []struct {
		call string
		want int
	}{
		{"unshare(CLONE_NEWUSER)", eperm}, {"unshare(CLONE_NEWNS)", eperm}, {"mount(tmpfs)", eperm},
		{"keyctl(GET_KEYRING_ID)", eperm}, {"add_key(user)", eperm}, {"io_uring_setup", eperm},
		{"bpf(BPF_MAP_CREATE)", eperm}, {"socket(AF_ALG)", eperm}, {"socket(AF_VSOCK)", eperm},
		{"userfaultfd", eperm}, {"kexec_load", eperm}, {"open_by_handle_at", eperm},
		{"perf_event_open", eperm}, {"setns", eperm},
		{"clone3(CLONE_NEWUSER)", enosys}, // Docker's profile: libc falls back to clone
	} {
		n, ok := got[tc.call]
		if !ok || n != tc.want {
			t.Errorf("%s in a container = errno %d (%v), want %v (output %q, stderr %q, code %d)",
				tc.call, n, syscall.Errno(n), syscall.Errno(tc.want), out, errs, st.Code)
		}
	}

	// busybox's own tools, as a user would try them, and the device
	// cgroup: creating a node is allowed (CAP_MKNOD), opening one outside
	// the allowlist is not.
	out, errs, _ = secSh(t, e, Config{}, `unshare -U true && echo unshare-ok
mkdir -p /mnt && mount -t tmpfs t /mnt && echo mount-ok
mknod /tmp/sda b 8 0 && echo mknod-ok
head -c1 /tmp/sda >/dev/null && echo open-sda-ok
mknod /tmp/mem c 1 1 && head -c1 /tmp/mem >/dev/null && echo open-mem-ok
mknod /tmp/kmsg c 1 11 && head -c1 /tmp/kmsg >/dev/null && echo open-kmsg-ok
head -c1 /dev/zero >/dev/null && echo open-zero-ok`)
	if want := "mknod-ok\nopen-zero-ok\n"; out != want {
		t.Errorf("default profile: busybox output %q (stderr %q), want %q", out, errs, want)
	}
	if !strings.Contains(errs, "Operation not permitted") {
		t.Errorf("default profile: stderr %q, want EPERM reported", errs)
	}

	t.Run("privileged", func(t *testing.T) {
		// Every capability this process has, no seccomp, no
		// no_new_privs, mount allowed.
		hostBnd, _ := strconv.ParseUint(secStatusField(secReadHost(t, "/proc/self/status"), "CapBnd"), 16, 64)
		wantEff := fmt.Sprintf("%016x", hostBnd&uint64(allCaps()))
		script := "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status\nmkdir -p /mnt && mount -t tmpfs t /mnt && echo mount-ok"
		out, errs, _, err := secRun(t, e, Config{Image: "busybox", Privileged: true, Cmd: []string{"sh", "-c", script}})
		if err != nil {
			t.Fatalf("Run(Privileged) = %v", err)
		}
		if want := "CapEff:\t" + wantEff + "\nNoNewPrivs:\t0\nSeccomp:\t0\nmount-ok\n"; out != want {
			t.Errorf("privileged: output %q (stderr %q), want %q", out, errs, want)
		}
	})
}

// TestSecurityKernelKnobs checks that the kernel's global settings cannot
// be written from a container and that the masked files read empty.
func TestSecurityKernelKnobs(t *testing.T) {
	e := testEngine(t)
	knobs := []string{
		"/proc/sysrq-trigger", "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
		"/proc/sys/kernel/hostname", "/proc/sys/vm/drop_caches", "/proc/sys/fs/file-max",
		"/sys/kernel/profiling", "/sys/kernel/rcu_expedited", "/sys/kernel/mm/transparent_hugepage/enabled",
		"/sys/fs/cgroup/cgroup.procs", "/sys/fs/cgroup/cgroup.subtree_control",
		"/sys/fs/cgroup/pids/cgroup.procs", "/sys/fs/cgroup/memory/memory.limit_in_bytes",
		"/sys/fs/cgroup/unified/cgroup.procs", "/sys/fs/cgroup/pids.max", "/sys/fs/cgroup/memory.max",
	}
	hostBefore := map[string]string{}
	for _, k := range knobs {
		// Settings, not the cgroup files, whose contents change by themselves.
		if data, err := os.ReadFile(k); err == nil && !strings.HasPrefix(k, "/sys/fs/cgroup") {
			hostBefore[k] = string(data)
		}
	}
	var script strings.Builder
	for _, k := range knobs {
		fmt.Fprintf(&script, "if echo 1 > %s; then echo WRITABLE %s; fi 2>/dev/null\n", k, k)
	}
	script.WriteString(`mount -o remount,rw /proc/sys 2>/dev/null && echo WRITABLE remount-proc-sys
mount -o remount,rw /sys 2>/dev/null && echo WRITABLE remount-sys
touch /sys/x 2>/dev/null && echo WRITABLE sys
for f in /proc/kcore /proc/keys /proc/timer_list /proc/timer_stats /proc/sched_debug /proc/latency_stats /proc/interrupts; do
  [ -e $f ] && echo "file $f $(cat $f | wc -c)"
done
for d in /proc/acpi /proc/scsi /proc/asound /sys/firmware /sys/devices/virtual/powercap; do
  [ -e $d ] && echo "dir $d $(ls -A $d | wc -l)"
done
touch /proc/acpi/x 2>/dev/null && echo WRITABLE /proc/acpi
echo done`)
	out, errs, _ := secSh(t, e, Config{}, script.String())
	if !strings.HasSuffix(out, "done\n") {
		t.Fatalf("knob script output %q (stderr %q), want it to end with done", out, errs)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		switch f[0] {
		case "WRITABLE":
			t.Errorf("write to %s in a container succeeded, want it refused", f[1])
		case "file", "dir":
			if f[2] != "0" {
				t.Errorf("masked %s %s has %s bytes or entries, want 0", f[0], f[1], f[2])
			}
		}
	}
	// Each masked path the host has must be masked in the container.
	for _, p := range maskedPaths {
		if _, err := os.Stat(p); err == nil && !strings.Contains(out, " "+p+" ") {
			t.Errorf("masked path %s exists on the host but the container output %q does not list it", p, out)
		}
	}
	for k, v := range hostBefore {
		if got := secReadHost(t, k); got != v {
			t.Errorf("host %s = %q after the container, want %q", k, got, v)
		}
	}
}

// secCgroupDirs lists the cgroup directories of dock containers on the host.
func secCgroupDirs(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"/sys/fs/cgroup/*/dock/*", "/sys/fs/cgroup/dock/*"} {
		m, _ := filepath.Glob(pat)
		for _, d := range m {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				out = append(out, d)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestSecurityContainment checks that the limits hold: the pids limit
// stops a fork bomb, the memory limit kills only the container and is
// reported, the container cannot leave its cgroup, and every process dies
// with the init.
func TestSecurityContainment(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()

	t.Run("fork bomb", func(t *testing.T) {
		var out, errb bytes.Buffer
		c := secStart(t, e, Config{Image: "busybox", Resources: Resources{PIDs: 20},
			Cmd: []string{"sh", "-c", "i=0; while [ $i -lt 200 ]; do sleep 10 & i=$((i+1)); done; echo spawned $i"}}, &out, &errb)
		st, err := c.Wait(ctx)
		if err != nil || st.Code == 0 || strings.Contains(out.String(), "spawned") {
			t.Errorf("fork bomb under pids 20: Wait() = %+v, %v, output %q, want a failure before 200 processes", st, err, out.String())
		}
		if !strings.Contains(errb.String(), "fork") {
			t.Errorf("fork bomb: stderr %q, want a fork failure", errb.String())
		}
		if cg, err := cgroup.Load(cgroupPath(c.ID())); err == nil {
			if procs, _ := cg.Procs(); len(procs) != 0 {
				t.Errorf("fork bomb: processes left in the cgroup after exit = %v, want none", procs)
			}
		}
		if err := exec.Command("true").Run(); err != nil {
			t.Errorf("host fork after the fork bomb = %v, want nil", err)
		}
	})

	t.Run("memory", func(t *testing.T) {
		var out, errb bytes.Buffer
		c := secStart(t, e, Config{Image: "busybox", Resources: Resources{Memory: 16 << 20},
			Cmd: []string{"sh", "-c", `x=$(head -c 67108864 /dev/zero | tr '\0' a); echo ${#x}`}}, &out, &errb)
		st, err := c.Wait(ctx)
		if err != nil || !st.OOMKilled || st.Code != 137 {
			t.Errorf("64 MiB in a 16 MiB container: Wait() = %+v, %v (output %q %q), want OOMKilled and code 137", st, err, out.String(), errb.String())
		}
		if info, err := c.Inspect(ctx); err != nil || !info.State.Exit.OOMKilled {
			t.Errorf("Inspect() after OOM = %+v, %v, want State.Exit.OOMKilled", info, err)
		}
	})

	t.Run("cannot leave its cgroup", func(t *testing.T) {
		var cout bytes.Buffer
		c := secStart(t, e, Config{Image: "busybox", Cmd: []string{"sleep", "30"}}, &cout, &cout)
		var script strings.Builder
		for _, f := range []string{"/sys/fs/cgroup/cgroup.procs", "/sys/fs/cgroup/pids/cgroup.procs",
			"/sys/fs/cgroup/memory/cgroup.procs", "/sys/fs/cgroup/unified/cgroup.procs", "/sys/fs/cgroup/systemd/cgroup.procs"} {
			fmt.Fprintf(&script, "echo 1 > %s && echo MOVED %s; echo $$ > %s && echo MOVED %s\n", f, f, f, f)
		}
		script.WriteString("mkdir -p /tmp/cg && mount -t cgroup -o pids none /tmp/cg && echo MOUNTED cgroup\n")
		script.WriteString("mount -t cgroup2 none /tmp/cg && echo MOUNTED cgroup2\n")
		script.WriteString("mkdir /sys/fs/cgroup/escape && echo MKDIR\necho done\n")
		out, _, err := secExec(t, c, ExecConfig{Cmd: []string{"sh", "-c", script.String()}})
		if err != nil || strings.Contains(out, "MOVED") || strings.Contains(out, "MOUNTED") || strings.Contains(out, "MKDIR") || !strings.Contains(out, "done") {
			t.Errorf("cgroup escape attempts: output %q, %v, want all refused", out, err)
		}
		st, err := c.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cg := secReadHost(t, "/proc/"+strconv.Itoa(st.Pid)+"/cgroup")
		for _, line := range strings.Split(strings.TrimSpace(cg), "\n") {
			f := strings.SplitN(line, ":", 3)
			if len(f) == 3 && (strings.Contains(f[1], "pids") || strings.Contains(f[1], "memory") || f[1] == "" && cgroup.DetectMode() == cgroup.Unified) &&
				!strings.HasSuffix(f[2], "/dock/"+c.ID()) {
				t.Errorf("host /proc/%d/cgroup line %q, want the container's cgroup dock/%s", st.Pid, line, c.ID()[:12])
			}
		}
	})

	t.Run("init death kills all", func(t *testing.T) {
		var out syncBuffer // read while the container writes
		c := secStart(t, e, Config{Image: "busybox", Cmd: []string{"sh", "-c",
			`sleep 100 & setsid sh -c "trap '' TERM HUP INT; sleep 100; true" & nohup sleep 100 >/dev/null 2>&1 &
echo started; exec sleep 1`}}, &out, &out)
		cg, err := cgroup.Load(cgroupPath(c.ID()))
		if err != nil {
			t.Fatal(err)
		}
		var procs []int
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if procs, _ = cg.Procs(); len(procs) >= 4 && strings.Contains(out.String(), "started") {
				break
			}
		}
		if len(procs) < 4 {
			t.Fatalf("container processes = %v, want the init and at least 3 others", procs)
		}
		starts := map[int]uint64{}
		for _, p := range procs {
			starts[p], _ = procStartTime(p)
		}
		if st, err := c.Wait(ctx); err != nil || st.Code != 0 {
			t.Fatalf("Wait() = %+v, %v", st, err)
		}
		for p, s := range starts {
			if alive(p, s) {
				t.Errorf("process %d of the container is alive after its init exited, want dead", p)
			}
		}
		if left, _ := cg.Procs(); len(left) != 0 {
			t.Errorf("cgroup processes after the init exited = %v, want none", left)
		}
	})
}

// TestSecurityUserns checks that with ID maps, container root is an
// unprivileged host user, and what it writes to a bind mount carries the
// mapped owner.
func TestSecurityUserns(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	// The overlay and state directory must be reachable by the mapped
	// root, as for rootless engines: open the engine root's parents.
	for d := e.Root(); d != "/" && d != "."; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			os.Chmod(d, fi.Mode().Perm()|0o011)
		}
	}
	out := t.TempDir()
	if err := os.Chmod(out, 0o777); err != nil {
		t.Fatal(err)
	}
	maps := []IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	var cout, cerr syncBuffer // read while the container writes
	c, err := e.Create(ctx, Config{Image: "busybox", UIDMap: maps, GIDMap: maps,
		Mounts: []Mount{{Type: "bind", Source: out, Target: "/out"}},
		Cmd: []string{"sh", "-c", "id -u; id -g; stat -c '%u %g' /bin/busybox; touch /rootfile && echo wrote; " +
			"echo hi > /out/f; mkdir /out/d; exec sleep 30"}})
	if err != nil {
		t.Fatalf("Create(userns) = %v", err)
	}
	t.Cleanup(func() { c.Remove(context.Background(), true) })
	c.Stdout, c.Stderr = &cout, &cerr
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start(userns) = %v", err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(out, "d")); err == nil {
			break
		}
	}
	// Root inside; the image's files owned by root inside (idmapped
	// layers); the container's root can write to its root filesystem.
	if got, want := cout.String(), "0\n0\n0 0\nwrote\n"; got != want {
		t.Errorf("inside = %q (stderr %q), want %q", got, cerr.String(), want)
	}
	p := c.Exec(ExecConfig{Cmd: []string{"sh", "-c", "id -u; touch /fromexec && echo ok"}})
	var eout bytes.Buffer
	p.Stdout, p.Stderr = &eout, &eout
	if err := p.Start(ctx); err != nil {
		t.Fatalf("Exec(userns) = %v", err)
	}
	if _, err := p.Wait(ctx); err != nil || eout.String() != "0\nok\n" {
		t.Errorf("exec in the user namespace = %q, %v, want \"0\\nok\\n\"", eout.String(), err)
	}
	st, err := c.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status := secReadHost(t, "/proc/"+strconv.Itoa(st.Pid)+"/status")
	for _, f := range []string{"Uid", "Gid"} {
		if got := strings.Fields(secStatusField(status, f)); !slices.Equal(got, []string{"100000", "100000", "100000", "100000"}) {
			t.Errorf("host view of the init's %s = %v, want 100000 (all four)", f, got)
		}
	}
	for _, name := range []string{"f", "d"} {
		fi, err := os.Stat(filepath.Join(out, name))
		if err != nil {
			t.Errorf("file written by the container: %v", err)
			continue
		}
		sys := fi.Sys().(*syscall.Stat_t)
		if sys.Uid != 100000 || sys.Gid != 100000 {
			t.Errorf("owner of %s written through the bind mount = %d:%d, want 100000:100000", name, sys.Uid, sys.Gid)
		}
	}
}

// secState is what a container leaves on the host: mounts under the
// engine root, container cgroups, and the engine's containers/ and tmp/.
type secState struct {
	mounts, cgroups, containers, tmp []string
}

func secTakeState(t *testing.T, e *Engine) secState {
	t.Helper()
	return secState{
		mounts:     secHostMounts(t, e.Root()),
		cgroups:    secCgroupDirs(t),
		containers: secDirNames(t, e.path("containers")),
		tmp:        secDirNames(t, e.path("tmp")),
	}
}

func (s secState) equal(o secState) bool {
	return slices.Equal(s.mounts, o.mounts) && slices.Equal(s.cgroups, o.cgroups) &&
		slices.Equal(s.containers, o.containers) && slices.Equal(s.tmp, o.tmp)
}

// secWantState waits a moment for the state to come back to want (other
// test binaries may start containers meanwhile: a leak is what stays).
func secWantState(t *testing.T, e *Engine, what string, want secState) {
	t.Helper()
	var got secState
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if got = secTakeState(t, e); got.equal(want) || time.Now().After(deadline) {
			break
		}
	}
	if !got.equal(want) {
		t.Errorf("%s: host state changed: mounts %s, cgroups %s, containers/ %s, tmp/ %s, want no change",
			what, secDiff(want.mounts, got.mounts), secDiff(want.cgroups, got.cgroups),
			secDiff(want.containers, got.containers), secDiff(want.tmp, got.tmp))
	}
}

// secDiff describes how got differs from want ("+added -removed").
func secDiff(want, got []string) string {
	var d []string
	for _, g := range got {
		if !slices.Contains(want, g) {
			d = append(d, "+"+g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			d = append(d, "-"+w)
		}
	}
	if d == nil {
		return "unchanged"
	}
	return fmt.Sprint(d)
}

// TestSecurityBadConfig checks that a bad configuration gives a clear
// error, at Create when it can be known then, and that nothing is left:
// no container, no temporary file, no mount, no cgroup.
func TestSecurityBadConfig(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	base := secTakeState(t, e)

	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown user", Config{User: "nosuchuser"}, "nosuchuser"},
		{"unknown group", Config{User: "root:nosuchgroup"}, "nosuchgroup"},
		{"unknown group-add", Config{GroupAdd: []string{"nosuchgroup"}}, "nosuchgroup"},
		{"memory below 1 MiB", Config{Resources: Resources{Memory: 512 << 10}}, "memory"},
		{"negative memory", Config{Resources: Resources{Memory: -1}}, "memory"},
		{"bind source missing", Config{Mounts: []Mount{{Type: "bind", Source: "/nonexistent/dock-src", Target: "/x"}}}, "/nonexistent/dock-src"},
		{"relative working directory", Config{WorkingDir: "tmp"}, "tmp"},
		{"relative mount target", Config{Mounts: []Mount{{Type: "tmpfs", Target: "x"}}}, "x"},
		{"unknown capability", Config{CapAdd: []string{"CAP_NOPE"}}, "CAP_NOPE"},
		{"no command", Config{Cmd: []string{}}, "command"},
	} {
		if tc.cfg.Cmd == nil {
			tc.cfg.Cmd = []string{"true"}
		}
		tc.cfg.Image = "busybox"
		c, err := e.Create(ctx, tc.cfg)
		if !errors.Is(err, ErrInvalid) || c != nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Create(%s) = %v, %v, want nil and ErrInvalid naming %q", tc.name, c, err, tc.want)
		}
		secWantState(t, e, "Create("+tc.name+")", base)
	}

	for _, tc := range []struct {
		name     string
		cfg      Config
		wantCode int
		want     string
	}{
		{"missing executable", Config{Cmd: []string{"/no/such/exe"}}, 127, "/no/such/exe"},
		{"executable not in PATH", Config{Cmd: []string{"nosuchcommand"}}, 127, "nosuchcommand"},
		{"not executable", Config{Cmd: []string{"/etc/passwd"}}, 126, "/etc/passwd"},
		{"executable is a directory", Config{Cmd: []string{"/etc"}}, 126, "/etc"},
		{"working directory is a file", Config{Cmd: []string{"true"}, WorkingDir: "/etc/passwd"}, 125, "/etc/passwd"},
		{"mount target is a file", Config{Cmd: []string{"true"}, Mounts: []Mount{{Type: "tmpfs", Target: "/etc/passwd"}}}, 125, "/etc/passwd"},
	} {
		tc.cfg.Image = "busybox"
		c, err := e.Create(ctx, tc.cfg)
		if err != nil {
			t.Errorf("Create(%s) = %v, want the error at Start", tc.name, err)
			continue
		}
		err = c.Start(ctx)
		var se *StartError
		if errors.As(err, &se) && se.Code != tc.wantCode {
			t.Errorf("Start(%s) = code %d (%v), want code %d", tc.name, se.Code, err, tc.wantCode)
		}
		secWantStartError(t, "Start("+tc.name+")", err, tc.want)
		if st, err := c.State(ctx); err != nil || st.Status == StatusRunning {
			t.Errorf("State() after a failed start (%s) = %+v, %v, want not running", tc.name, st, err)
		}
		if err := c.Remove(ctx, false); err != nil {
			t.Errorf("Remove() after a failed start (%s) = %v", tc.name, err)
		}
		for _, d := range secCgroupDirs(t) {
			if strings.HasSuffix(d, "/"+c.ID()) {
				t.Errorf("cgroup %s left after Remove (%s), want none", d, tc.name)
			}
		}
		secWantState(t, e, "Start("+tc.name+") and Remove", base)
	}

	// The engine is still usable.
	out, errs, st := secSh(t, e, Config{}, "echo ok")
	if out != "ok\n" || st.Code != 0 {
		t.Errorf("Run after bad configurations = %q (stderr %q, code %d), want \"ok\\n\"", out, errs, st.Code)
	}
	secWantState(t, e, "Run after bad configurations", base)
}

// A container starts with default signal dispositions and nothing
// blocked, whatever the engine's process ignores (nohup, a daemon's own
// choices), attached and detached.
func TestSecuritySignalsStartClean(t *testing.T) {
	e := testEngine(t)
	signal.Ignore(syscall.SIGHUP)
	defer signal.Reset(syscall.SIGHUP)
	want := "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"
	cmd := []string{"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"}
	out, _, st := run(t, e, Config{Image: "busybox", Cmd: cmd})
	if st.Code != 0 || out != want {
		t.Errorf("attached: %q, exit %d; want %q", out, st.Code, want)
	}
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: cmd})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.StartDetached(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	if err := c.Logs(ctx, &logs, &logs, LogOptions{}); err != nil {
		t.Fatal(err)
	}
	if logs.String() != want {
		t.Errorf("detached: %q; want %q", logs.String(), want)
	}
}

// secVolumeImage imports a private busybox, changed by mutate, as ref with
// the given VOLUMEs.
func secVolumeImage(t *testing.T, e *Engine, ref string, mutate func(root string), vols ...string) {
	t.Helper()
	set := map[string]struct{}{}
	for _, v := range vols {
		set[v] = struct{}{}
	}
	secImage(t, e, ref, mutate, WithImportConfig(ocispec.ImageConfig{Cmd: []string{"true"}, Volumes: set}))
}

// secWantRefused checks that Create refused cfg with ErrInvalid naming
// want, and left nothing: no container, no volume, nothing in tmp/, no
// mount, no cgroup.
func secWantRefused(t *testing.T, e *Engine, what string, cfg Config, want string, base secState, vols []string) {
	t.Helper()
	c, err := e.Create(context.Background(), cfg)
	if c != nil || !errors.Is(err, ErrInvalid) || !strings.Contains(fmt.Sprint(err), want) {
		t.Errorf("Create(%s) = %v, %v, want nil and ErrInvalid naming %q", what, c, err, want)
	}
	if c != nil {
		c.Remove(context.Background(), true, RemoveVolumes())
	}
	t.Logf("%s: %v", what, err)
	secWantState(t, e, "Create("+what+")", base)
	if got := secDirNames(t, e.path("volumes")); !slices.Equal(got, vols) {
		t.Errorf("Create(%s): volumes/ = %q, want %q", what, got, vols)
	}
}

// TestSecurityVolumeOverKernelFS checks that an image cannot put a VOLUME
// on the container's kernel filesystems (/proc, /dev, /sys or under them),
// directly or through a symlink of its own, nor through a symlink that
// leads nowhere: Create refuses it with ErrInvalid naming the VOLUME, and
// makes nothing (the init would fail at Start, naming /dev/null or
// /sys/firmware). A symlink that stays in the image still works.
func TestSecurityVolumeOverKernelFS(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	base := secTakeState(t, e)
	vols := secDirNames(t, e.path("volumes"))
	link := func(name, target string) func(string) {
		return func(root string) { secSymlink(t, root, name, target) }
	}
	for _, tc := range []struct {
		name   string
		mutate func(root string)
		volume string
	}{
		{"proc", nil, "/proc"},
		{"dev", nil, "/dev"},
		{"sys", nil, "/sys"},
		{"proc-sys", nil, "/proc/sys"},
		{"dev-shm", nil, "/dev/shm"},
		{"sys-firmware", nil, "/sys/firmware"},
		{"unclean", nil, "/tmp/../dev/"},
		{"link-to-proc", link("data", "/proc/sys/kernel"), "/data"},
		{"relative-link-to-dev", link("data", "../../../dev"), "/data"},
		{"link-in-path-to-sys", link("srv", "/sys/kernel"), "/srv/data"},
		{"link-chain-to-dev", func(root string) {
			secSymlink(t, root, "a", "b")
			secSymlink(t, root, "b", "/dev/pts")
		}, "/a"},
		{"dangling", link("data", "/nonexistent/x"), "/data"},
		{"dangling-in-path", link("data", "/nonexistent"), "/data/x"},
		{"dangling-chain", func(root string) {
			secSymlink(t, root, "a", "/b")
			secSymlink(t, root, "b", "missing")
		}, "/a"},
		{"loop", func(root string) {
			secSymlink(t, root, "a", "/b")
			secSymlink(t, root, "b", "/a")
		}, "/a"},
	} {
		ref := "evil:vol-" + tc.name
		secVolumeImage(t, e, ref, tc.mutate, tc.volume)
		secWantRefused(t, e, "image VOLUME "+tc.name, Config{Image: ref}, fmt.Sprintf("VOLUME %q", tc.volume), base, vols)
	}

	// A symlink that stays in the image: the volume is mounted where it
	// leads, with the image's content copied in.
	secVolumeImage(t, e, "ok:vol-link", func(root string) {
		secWriteFile(t, filepath.Join(root, "srv/data/f"), "image\n", 0o644)
		secSymlink(t, root, "data", "../srv/data")
	}, "/data")
	out, errs, st := secSh(t, e, Config{Image: "ok:vol-link"}, "cat /data/f; grep -c ' /srv/data ' /proc/self/mountinfo")
	if out != "image\n1\n" || st.Code != 0 {
		t.Errorf("image VOLUME /data -> ../srv/data: output %q (code %d, stderr %q), want %q", out, st.Code, errs, "image\n1\n")
	}
	c, err := e.Create(ctx, Config{Image: "ok:vol-link"})
	if err != nil {
		t.Fatalf("Create(image VOLUME /data -> ../srv/data) = %v", err)
	}
	if err := c.Remove(ctx, false, RemoveVolumes()); err != nil {
		t.Fatal(err)
	}
}

// TestSecurityMountOverKernelFS checks the caller's mounts against the
// same failures: on or inside /proc (as runc refuses; a bind of a file
// lxcfs emulates excepted), a volume or tmpfs on /dev (which hides its
// device nodes), and a target that a symlink of the image leads into the
// kernel filesystems or nowhere. Binds on /dev and /sys stay allowed, as
// in Docker.
func TestSecurityMountOverKernelFS(t *testing.T) {
	e := testEngine(t)
	secImage(t, e, "evil:links", func(root string) {
		secSymlink(t, root, "toproc", "/proc/sys")
		secSymlink(t, root, "todev", "../dev")
		secSymlink(t, root, "dangling", "/nonexistent/x")
	})
	base := secTakeState(t, e)
	vols := secDirNames(t, e.path("volumes"))
	for _, tc := range []struct {
		name  string
		image string
		m     Mount
	}{
		{"volume on /proc", "busybox", Mount{Type: "volume", Target: "/proc"}},
		{"tmpfs in /proc", "busybox", Mount{Type: "tmpfs", Target: "/proc/sys"}},
		{"bind of a directory in /proc", "busybox", Mount{Type: "bind", Source: "/tmp", Target: "/proc/tty"}},
		{"volume on /dev", "busybox", Mount{Type: "volume", Target: "/dev"}},
		{"tmpfs on /dev", "busybox", Mount{Type: "tmpfs", Target: "/dev/"}},
		{"tmpfs through a link to /proc", "evil:links", Mount{Type: "tmpfs", Target: "/toproc/kernel"}},
		{"volume through a link to /dev", "evil:links", Mount{Type: "volume", Target: "/todev"}},
		{"tmpfs through a dangling link", "evil:links", Mount{Type: "tmpfs", Target: "/dangling"}},
	} {
		cfg := Config{Image: tc.image, Cmd: []string{"true"}, Mounts: []Mount{tc.m}}
		secWantRefused(t, e, tc.name, cfg, strings.TrimSuffix(tc.m.Target, "/"), base, vols)
	}

	// What Docker allows stays allowed.
	for _, m := range []Mount{
		{Type: "bind", Source: "/dev", Target: "/dev"},
		{Type: "bind", Source: "/sys", Target: "/sys", ReadOnly: true},
		{Type: "tmpfs", Target: "/dev/shm"},
		{Type: "bind", Source: "/proc/cpuinfo", Target: "/proc/cpuinfo", ReadOnly: true},
	} {
		out, errs, st, err := secRun(t, e, Config{Image: "busybox", Cmd: []string{"true"}, Mounts: []Mount{m}})
		if err != nil || st.Code != 0 {
			t.Errorf("Run(mount %+v) = %q (stderr %q, code %d), %v, want it to run", m, out, errs, st.Code, err)
		}
	}
}
