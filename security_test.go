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
	"github.com/go-dock/dock/internal/nsinit"
	"github.com/go-dock/dock/internal/procstat"
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

// secCreate creates cfg; the container is removed at cleanup.
func secCreate(t *testing.T, e *Engine, cfg Config) *Container {
	t.Helper()
	c, err := e.Create(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Create(%v) = %v", cfg.Cmd, err)
	}
	t.Cleanup(func() { c.Remove(context.Background(), RemoveForce()) })
	return c
}

// secStart creates and starts cfg; the container is removed at cleanup.
func secStart(t *testing.T, e *Engine, cfg Config, stdout, stderr io.Writer) *Container {
	t.Helper()
	ctx := context.Background()
	c := secCreate(t, e, cfg)
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
	exe, err := nsinit.ExeFile()
	if err != nil {
		t.Fatalf("nsinit.ExeFile() = %v", err)
	}
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(int(exe.Fd()), &sfs); err != nil || sfs.Flags&unix.ST_RDONLY == 0 {
		t.Errorf("statfs(nsinit.ExeFile()) flags = %#x, %v, want ST_RDONLY", sfs.Flags, err)
	}
	// O_TRUNC makes the kernel check the mount before the file is busy
	// (ETXTBSY): EROFS proves the mount, and nothing can be truncated.
	_, err = unix.Open("/proc/self/fd/"+strconv.Itoa(int(exe.Fd())), unix.O_WRONLY|unix.O_TRUNC|unix.O_CLOEXEC, 0)
	if !errors.Is(err, unix.EROFS) {
		t.Errorf("open(nsinit.ExeFile(), O_WRONLY|O_TRUNC) = %v, want EROFS", err)
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
	secImage(t, e, "evil:workdir", nil, ImportConfig(ocispec.ImageConfig{WorkingDir: "/proc/self/fd/" + strconv.Itoa(fd)}))
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
	// Detached with a terminal: the init fails before it opens one; the
	// monitor, which waits for the terminal's master, goes on and
	// records the exit.
	dc := secCreate(t, e, Config{Image: "evil:dev-4", Tty: true, Cmd: []string{"true"}})
	secWantStartError(t, "detached with Tty, image /dev -> /etc", dc.StartDetached(context.Background()), "/dev")

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
			starts[p], _ = procstat.StartTime(p)
		}
		if st, err := c.Wait(ctx); err != nil || st.Code != 0 {
			t.Fatalf("Wait() = %+v, %v", st, err)
		}
		for p, s := range starts {
			if procstat.Alive(p, s) {
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
	t.Cleanup(func() { c.Remove(context.Background(), RemoveForce()) })
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
		if err := c.Remove(ctx); err != nil {
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

// TestSecurityUserMinusOneIsNotRoot checks that user and group IDs past
// 2147483647 are refused wherever they enter: to the kernel, (uid_t)-1
// means "unchanged", so user 4294967295 ran as root with root's
// capabilities while looking unprivileged to a policy check.
func TestSecurityUserMinusOneIsNotRoot(t *testing.T) {
	e := testEngine(t)
	importBusybox(t, e)
	ctx := context.Background()
	secImage(t, e, "evil-user", nil, ImportConfig(ocispec.ImageConfig{User: "4294967295", Cmd: []string{"id"}}))
	secImage(t, e, "evil-passwd", func(root string) {
		f, err := os.OpenFile(filepath.Join(root, "etc/passwd"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(f, "evil:x:4294967295:4294967295::/:/bin/sh")
		fmt.Fprintln(f, "member:x:1000:1000::/:/bin/sh")
		f.Close()
		g, err := os.OpenFile(filepath.Join(root, "etc/group"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(g, "evilgroup:x:4294967295:member")
		g.Close()
	})
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"-u 4294967295", Config{Image: "busybox", User: "4294967295"}},
		{"-u 2147483648", Config{Image: "busybox", User: "2147483648"}},
		{"-u 99999999999", Config{Image: "busybox", User: "99999999999"}},
		{"-u 1000:4294967295", Config{Image: "busybox", User: "1000:4294967295"}},
		{"--group-add 4294967295", Config{Image: "busybox", User: "1000", GroupAdd: []string{"4294967295"}}},
		{"image USER", Config{Image: "evil-user"}},
		{"passwd entry", Config{Image: "evil-passwd", User: "evil"}},
		{"group file membership", Config{Image: "evil-passwd", User: "member"}},
		{"group file name", Config{Image: "evil-passwd", User: "1000:evilgroup"}},
		{"user namespace map", Config{Image: "busybox", UIDMap: []IDMap{{0, 4294967295 - 65535, 65536}}, GIDMap: []IDMap{{0, 100000, 65536}}}},
		{"user namespace map size", Config{Image: "busybox", UIDMap: []IDMap{{0, 100000, 1 << 32}}, GIDMap: []IDMap{{0, 100000, 65536}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Cmd = []string{"id"}
			out, errs, st, err := secRun(t, e, cfg)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Run(%s) = %v (exit %d, out %q, stderr %q), want ErrInvalid", tc.name, err, st.Code, out, errs)
			}
		})
	}
	ids, err := e.Containers(ctx)
	if err != nil || len(ids) != 0 {
		t.Errorf("Containers() = %v, %v after refused creates, want none", ids, err)
	}

	// exec -u into a running container.
	c := secStart(t, e, Config{Image: "busybox", User: "1000", Cmd: []string{"sleep", "60"}}, nil, nil)
	for _, u := range []string{"4294967295", "1000:4294967295", "0:4294967295"} {
		out, st, err := secExec(t, c, ExecConfig{User: u, Cmd: []string{"id"}})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Exec(-u %s) = %v (exit %d, out %q), want ErrInvalid", u, err, st.Code, out)
		}
	}
	c.Kill(ctx)

	// A build: USER and COPY --chown.
	for _, df := range []string{
		"FROM busybox\nUSER 4294967295\n",
		"FROM busybox\nUSER 0:4294967295\n",
		"FROM busybox\nCOPY --chown=4294967295 f /f\n",
		"FROM busybox\nCOPY --chown=0:4294967295 f /f\n",
	} {
		dir := buildContext(t, map[string]string{"Dockerfile": df, "f": "x"})
		if _, err := e.Build(ctx, dir, BuildTag("evil-build")); !errors.Is(err, ErrInvalid) {
			t.Errorf("Build(%q) = %v, want ErrInvalid", df, err)
		}
	}
	if _, err := e.Image(ctx, "evil-build"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Image(evil-build) = %v after refused builds, want ErrNotFound", err)
	}
}

// secStdinKinds returns host files of every kind a caller may pass as
// stdin, each with a check that the host object is unchanged afterwards.
func secStdinKinds(t *testing.T) map[string]func() (*os.File, func()) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ro-file")
	secWriteFile(t, file, "host secret\n", 0o444)
	return map[string]func() (*os.File, func()){
		"file": func() (*os.File, func()) {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			return f, func() {
				fi, err := os.Stat(file)
				if got := secReadHost(t, file); got != "host secret\n" || err != nil ||
					fi.Mode().Perm() != 0o444 || fi.Sys().(*syscall.Stat_t).Uid != 0 {
					t.Errorf("host file after the container: %q, %v, %v", got, fi.Mode(), err)
				}
			}
		},
		"directory": func() (*os.File, func()) {
			f, err := os.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			return f, func() {
				if _, err := os.Stat(filepath.Join(dir, "escaped")); err == nil {
					t.Errorf("the container created a file in the host directory given as stdin")
				}
			}
		},
		"character device": func() (*os.File, func()) {
			f, err := os.Open("/dev/zero")
			if err != nil {
				t.Fatal(err)
			}
			return f, func() {}
		},
		"block device": func() (*os.File, func()) {
			node := filepath.Join(t.TempDir(), "loop0")
			if err := unix.Mknod(node, unix.S_IFBLK|0o600, int(unix.Mkdev(7, 0))); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(node)
			if err != nil {
				t.Fatalf("open a loop device node: %v (is the loop driver there?)", err)
			}
			return f, func() {}
		},
		"socket": func() (*os.File, func()) {
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			peer := os.NewFile(uintptr(fds[1]), "peer")
			peer.Write([]byte("from the socket\n"))
			t.Cleanup(func() { peer.Close() })
			return os.NewFile(uintptr(fds[0]), "socket"), func() {}
		},
	}
}

// secStdinEscape is run by the container with the caller's stdin: it shows
// what fd 0 is, then tries to write through it, to reach the directory
// behind it, and to change its owner.
//
// Writing to or chowning a pipe the engine made is harmless (the host
// checks tell); the write has a timeout, as a pipe that the engine keeps
// full (from /dev/zero) blocks it.
const secStdinEscape = `readlink /proc/self/fd/0
timeout 1 sh -c 'echo pwned > /proc/self/fd/0' 2>/dev/null
chown 1:1 /proc/self/fd/0 2>/dev/null
touch /proc/self/fd/0/escaped 2>/dev/null && echo ESCAPED
ls /proc/self/fd/0/../.. >/dev/null 2>&1 && echo HOSTROOT
true`

// secCheckStdinCopy checks the output of secStdinEscape.
func secCheckStdinCopy(t *testing.T, what, out string) {
	t.Helper()
	first, _, _ := strings.Cut(out, "\n")
	if !strings.HasPrefix(first, "pipe:[") {
		t.Errorf("%s: the container's stdin is %q, want a pipe the engine made (output %q)", what, first, out)
	}
	for _, bad := range []string{"ESCAPED", "HOSTROOT"} {
		if strings.Contains(out, bad) {
			t.Errorf("%s: the container could reach the caller's stdin: %q", what, out)
		}
	}
}

// TestSecurityStdinIsACopy checks that a caller's *os.File given as stdin
// (run -i, exec -i, start -a -i) is copied through a pipe, never handed to
// the container: through /proc/self/fd/0 a container could reopen it and
// overwrite or chown a read-only file, or walk from a directory to the
// host's root (the shape of CVE-2024-21626).
func TestSecurityStdinIsACopy(t *testing.T) {
	e := testEngine(t)
	importBusybox(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	kinds := secStdinKinds(t)
	for name, open := range kinds {
		t.Run("run/"+name, func(t *testing.T) {
			f, check := open()
			defer f.Close()
			var out bytes.Buffer
			cfg := Config{Image: "busybox", OpenStdin: true, Cmd: []string{"sh", "-c", secStdinEscape}}
			if _, err := e.Run(ctx, cfg, f, &out, &out); err != nil {
				t.Fatal(err)
			}
			secCheckStdinCopy(t, "run", out.String())
			check()
		})
	}
	c := secStart(t, e, Config{Image: "busybox", Cmd: []string{"sleep", "60"}}, nil, nil)
	defer c.Kill(ctx)
	for name, open := range kinds {
		t.Run("exec/"+name, func(t *testing.T) {
			f, check := open()
			defer f.Close()
			var out bytes.Buffer
			p := c.Exec(ExecConfig{Cmd: []string{"sh", "-c", secStdinEscape}})
			p.Stdin, p.Stdout, p.Stderr = f, &out, &out
			if err := p.Start(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := p.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			secCheckStdinCopy(t, "exec", out.String())
			check()
		})
	}
	// Without stdin (or stdout), the process gets the container's own
	// /dev/null, not the host's: through /proc/self/fd the container
	// could chmod the host's null device.
	own := `for fd in 0 1; do [ "$(stat -L -c %d:%i /proc/$$/fd/$fd)" = "$(stat -c %d:%i /dev/null)" ] && echo own $fd >&2; done; true`
	t.Run("null", func(t *testing.T) {
		var errb bytes.Buffer
		if _, err := e.Run(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", own}}, nil, nil, &errb); err != nil {
			t.Fatal(err)
		}
		if got := errb.String(); got != "own 0\n" {
			t.Errorf("run without stdin: %q, want the container's /dev/null as stdin", got)
		}
		errb.Reset()
		p := c.Exec(ExecConfig{Cmd: []string{"sh", "-c", own}})
		p.Stderr = &errb
		if err := p.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if got := errb.String(); got != "own 0\nown 1\n" {
			t.Errorf("exec without stdin and stdout: %q, want the container's /dev/null as both", got)
		}
		id := secStartDetached(t, e, Config{Image: "busybox", Cmd: []string{"sh", "-c", own}})
		if _, err := id.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		errb.Reset()
		if err := id.Logs(ctx, nil, &errb, LogOptions{}); err != nil {
			t.Fatal(err)
		}
		if got := errb.String(); got != "own 0\n" {
			t.Errorf("detached: %q, want the container's /dev/null as stdin", got)
		}
	})
	// The copy delivers the input; an *os.File as stdout is not handed
	// over either.
	t.Run("copies", func(t *testing.T) {
		in, _ := kinds["file"]()
		defer in.Close()
		outFile, err := os.CreateTemp(t.TempDir(), "stdout")
		if err != nil {
			t.Fatal(err)
		}
		defer outFile.Close()
		p := c.Exec(ExecConfig{Cmd: []string{"sh", "-c", "cat; readlink /proc/self/fd/1"}})
		p.Stdin, p.Stdout, p.Stderr = in, outFile, outFile
		if err := p.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		got := secReadHost(t, outFile.Name())
		if !strings.HasPrefix(got, "host secret\npipe:[") {
			t.Errorf("exec with file stdin and stdout wrote %q, want the input then a pipe as fd 1", got)
		}
	})
}

// TestSecurityStdinNotReadAfterExit checks that a terminal given as stdin
// does not keep Wait waiting once the container has exited, and that the
// engine reads nothing from it after that: input typed later belongs to
// the caller, not to a container that has gone. With and without a
// terminal of the container's own (Tty).
func TestSecurityStdinNotReadAfterExit(t *testing.T) {
	e := testEngine(t)
	for _, tty := range []bool{false, true} {
		t.Run(fmt.Sprintf("tty=%t", tty), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			master, slave := testutil.OpenPty(t, 0, 0)
			c, err := e.Create(ctx, Config{Image: "busybox", Tty: tty, OpenStdin: true, Cmd: []string{"true"}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Remove(ctx, RemoveForce())
			c.Stdin, c.Stdout = slave, io.Discard
			if err := c.Start(ctx); err != nil {
				t.Fatal(err)
			}
			if st, err := c.Wait(ctx); err != nil || st.Code != 0 {
				t.Fatalf("Wait() = %+v, %v", st, err)
			}
			// The copy stops asynchronously; give it a moment, then type.
			time.Sleep(200 * time.Millisecond)
			if _, err := master.Write([]byte("typed later\n")); err != nil {
				t.Fatal(err)
			}
			slave.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 64)
			n, err := slave.Read(buf)
			if got := string(buf[:n]); got != "typed later\n" {
				t.Errorf("the caller read %q, %v from its terminal after the container exited, want %q", got, err, "typed later\n")
			}
		})
	}
}

// secStartDetached creates and starts cfg detached; the container is
// removed at cleanup.
func secStartDetached(t *testing.T, e *Engine, cfg Config) *Container {
	t.Helper()
	c := secCreate(t, e, cfg)
	if err := c.StartDetached(context.Background()); err != nil {
		t.Fatalf("StartDetached(%v) = %v", cfg.Cmd, err)
	}
	return c
}

// TestSecurityHostConsoleUnreachable checks that a default container can
// neither open the host's console (mknod c 5 1: Docker allows it) nor a
// host terminal through a pts node of its own making, and cannot push
// input into a terminal (TIOCSTI, TIOCLINUX), which on kernels with legacy
// TIOCSTI would type commands into whatever reads the console. Its own
// terminal still works, as /dev/console too.
func TestSecurityHostConsoleUnreachable(t *testing.T) {
	e := testEngine(t)
	importBusybox(t, e)
	secImage(t, e, "probe", secWithProbe(t))
	out, _, _ := secSh(t, e, Config{}, `
mknod /tmp/console c 5 1 || echo NO-MKNOD
( exec 3<>/tmp/console ) 2>/dev/null && echo OPENED-CONSOLE
for n in 0 1 2 3; do
	mknod /tmp/pts$n c 136 $n
	( exec 3<>/tmp/pts$n ) 2>/dev/null && echo OPENED-PTS$n
done
true`)
	if out != "" {
		t.Errorf("a default container reached host devices: %q", out)
	}

	var buf syncBuffer
	c, err := e.Create(context.Background(), Config{Image: "probe", Tty: true,
		Cmd: []string{"sh", "-c", "probe tiocsti; echo to-console > /dev/console"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Remove(context.Background(), RemoveForce())
	c.Stdout = &buf
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	want := "TIOCSTI 5\r\nTIOCSTI-high 5\r\nTIOCLINUX 5\r\nto-console\r\n"
	if got := buf.String(); got != want {
		t.Errorf("terminal ioctls and /dev/console in a -t container: %q, want %q (EIO for each)", got, want)
	}
}

// secBuild builds the Dockerfile df with the context files (name ->
// content) and returns the image's tag, or the build's error.
func secBuild(t *testing.T, e *Engine, tag, df string, files map[string]string) error {
	t.Helper()
	dir := t.TempDir()
	secWriteFile(t, filepath.Join(dir, "Dockerfile"), df, 0o644)
	for name, content := range files {
		secWriteFile(t, filepath.Join(dir, name), content, 0o644)
	}
	_, err := e.Build(context.Background(), dir, BuildTag(tag))
	return err
}

// TestSecurityBuildSymlinkStaysInStage copies and mounts from a stage
// through symlinks that are absolute, that climb with "..", and that name
// host-only paths. Each is resolved inside the stage, as BuildKit resolves
// it (never on the host that holds the stage's files): the build copies
// the stage's file, or fails when the stage has none, and never sees the
// host's marker.
func TestSecurityBuildSymlinkStaysInStage(t *testing.T) {
	e := testEngine(t)
	hostDir := t.TempDir()
	secWriteFile(t, filepath.Join(hostDir, "marker"), "host marker\n", 0o644)
	secWriteFile(t, filepath.Join(hostDir, "only"), "host only\n", 0o644)
	secImage(t, e, "linked", func(root string) {
		secWriteFile(t, filepath.Join(root, "data/real"), "stage real\n", 0o644)
		secSymlink(t, root, "data/inner", "/etc/passwd")
		secSymlink(t, root, "etc/x", "/data/real")
		secSymlink(t, root, "up", "../../../../../data/real")
		secSymlink(t, root, "deep/dir/up", "../../../../../../../data")
		secSymlink(t, root, "ddir", "/data")
		secWriteFile(t, filepath.Join(root, hostDir, "marker"), "stage marker\n", 0o644)
		secSymlink(t, root, "hostlink", filepath.Join(hostDir, "marker"))
		secSymlink(t, root, "dotdot", "/../../../.."+filepath.Join(hostDir, "marker"))
		secSymlink(t, root, "hostonly", filepath.Join(hostDir, "only"))
		secSymlink(t, root, "loop", "loop")
	})
	df := `FROM linked AS src
FROM busybox
COPY --from=src /etc/x /got-abs
COPY --from=src /up /got-up
COPY --from=src /deep/dir/up/real /got-mid
COPY --from=src /hostlink /got-host
COPY --from=src /dotdot /got-dotdot
COPY --from=src /ddir /got-dir/
COPY --from=src /deep/dir/up/re* /etc/x* /got-glob/
RUN --mount=type=bind,from=src,source=/etc/x,target=/m cat /m > /got-mount
RUN --mount=type=bind,from=src,source=/deep/dir/up,target=/m cat /m/real > /got-mount-dir
RUN --mount=type=bind,from=src,source=/dotdot,target=/m cat /m > /got-mount-host
RUN --mount=type=cache,from=src,source=/ddir,target=/c cat /c/real > /got-cache
`
	if err := secBuild(t, e, "instage", df, nil); err != nil {
		t.Fatalf("Build() = %v", err)
	}
	out, errs, st := secSh(t, e, Config{Image: "instage"},
		"cat /got-abs /got-up /got-mid /got-host /got-dotdot /got-dir/real /got-glob/real /got-glob/x /got-mount /got-mount-dir /got-mount-host /got-cache; readlink /got-dir/inner")
	want := "stage real\nstage real\nstage real\nstage marker\nstage marker\nstage real\nstage real\nstage real\nstage real\nstage real\nstage marker\nstage real\n/etc/passwd\n"
	if out != want || st.Code != 0 {
		t.Errorf("the image's files = %q (exit %d, stderr %q), want %q", out, st.Code, errs, want)
	}

	// A link to a path only the host has, and a loop, fail the build.
	for _, step := range []string{
		"COPY --from=src /hostonly /got",
		"COPY --from=src /hostonly/ /got/",
		"COPY --from=src /loop /got",
		"RUN --mount=type=bind,from=src,source=/hostonly,target=/m cat /m",
		"RUN --mount=type=cache,from=src,source=/hostonly,target=/m cat /m",
	} {
		err := secBuild(t, e, "hostonly", "FROM linked AS src\nFROM busybox\n"+step+"\n", nil)
		var be *BuildError
		if !errors.As(err, &be) || be.Line != 3 || be.ExitCode != 0 {
			t.Errorf("%s: Build() = %v, want a BuildError of line 3 before anything runs", step, err)
		} else if strings.Contains(err.Error(), "host only") {
			t.Errorf("%s: Build() = %v: the host's file was read", step, err)
		}
	}
	if got := secReadHost(t, filepath.Join(hostDir, "marker")); got != "host marker\n" {
		t.Errorf("host marker = %q, want %q", got, "host marker\n")
	}
}

// TestSecurityBuildDestLinkStaysInRoot copies to destinations (and makes
// a WORKDIR) through symlinked directories of the image, in its base layer and in a layer a
// RUN made: as BuildKit does, the link is followed inside the image's root
// (and stays a link), and a link that climbs out with ".." or names a host
// path is clamped at that root: nothing lands on the host.
func TestSecurityBuildDestLinkStaysInRoot(t *testing.T) {
	e := testEngine(t)
	hostDir := t.TempDir()
	secImage(t, e, "destlinks", func(root string) {
		secWriteFile(t, filepath.Join(root, "srv/app/old"), "old\n", 0o644)
		secSymlink(t, root, "app", "/srv/app")
		secSymlink(t, root, "rel", "../../../../srv/app")
		secSymlink(t, root, "esc", "/../../.."+filepath.Join(hostDir, "out"))
		secSymlink(t, root, "host", hostDir)
		secSymlink(t, root, "srv/file", "/srv/app/old")
		secWriteFile(t, filepath.Join(root, "opq/old"), "old\n", 0o644)
	})
	df := `FROM destlinks
RUN mkdir -p /srv/two && ln -s /srv/two /app2
COPY a.txt /app/
COPY a.txt /app2/
COPY a.txt /rel/b.txt
COPY a.txt /esc/
COPY a.txt /host/h.txt
COPY a.txt /app
COPY sub /app/sub/
COPY a.txt /srv/file
RUN rm -r /opq && mkdir -p /opq/d && ln -s /srv/two /opq/l
COPY a.txt /opq/d
COPY a.txt /opq/l/o.txt
WORKDIR /app2/w
COPY a.txt .
`
	err := secBuild(t, e, "destlinked", df, map[string]string{"a.txt": "A\n", "sub/c.txt": "C\n"})
	if err != nil {
		t.Fatalf("Build() = %v", err)
	}
	script := "for l in /app /app2 /rel /esc /host /srv/file; do readlink $l; done; cat /srv/app/a.txt /srv/two/a.txt /srv/app/b.txt " +
		hostDir + "/out/a.txt " + hostDir + "/h.txt /srv/app/sub/c.txt /srv/app/old /opq/d/a.txt /srv/two/o.txt /srv/two/w/a.txt; readlink /opq/l"
	out, errs, st := secSh(t, e, Config{Image: "destlinked"}, script)
	want := "/srv/app\n/srv/two\n../../../../srv/app\n/../../.." + filepath.Join(hostDir, "out") + "\n" + hostDir + "\n/srv/app/old\n" +
		"A\nA\nA\nA\nA\nC\nA\nA\nA\nA\n/srv/two\n"
	if out != want || st.Code != 0 {
		t.Errorf("the image's files = %q (exit %d, stderr %q), want %q", out, st.Code, errs, want)
	}
	if names := secDirNames(t, hostDir); len(names) != 0 {
		t.Errorf("host directory %s holds %v after the build, want nothing", hostDir, names)
	}
}

// TestSecurityDefaultPidsLimit checks that a container with no pids limit
// set gets DefaultPIDs (podman's 2048): a fork bomb in a default container
// reached the host's limit. -1 lifts the limit.
func TestSecurityDefaultPidsLimit(t *testing.T) {
	e := testEngine(t)
	importBusybox(t, e)
	limit := `cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max`
	for _, tc := range []struct {
		pids int64
		want string
	}{{0, "2048\n"}, {-1, "max\n"}, {100, "100\n"}} {
		out, errs, _ := secSh(t, e, Config{Resources: Resources{PIDs: tc.pids}}, limit)
		if out != tc.want {
			t.Errorf("pids.max with Resources.PIDs %d = %q (stderr %q), want %q", tc.pids, out, errs, tc.want)
		}
	}
	// A bounded fork bomb: 2100 sleeping processes, in a default container.
	// The shell prints each count (a builtin: no fork) and dies, or
	// stops, when a fork fails.
	out, errs, _ := secSh(t, e, Config{}, `i=1; while [ $i -lt 2100 ]; do sleep 30 & i=$((i+1)); echo $i; done`)
	lines := strings.Fields(out)
	if len(lines) == 0 {
		t.Fatalf("fork loop printed nothing (stderr %q)", errs)
	}
	if n, err := strconv.Atoi(lines[len(lines)-1]); err != nil || n > DefaultPIDs || !strings.Contains(errs, "fork") {
		t.Errorf("processes in a default container after a fork loop: %d (stderr %q), want a fork failure at %d", n, errs, DefaultPIDs)
	}
}

// A container cannot fill the host's disk through its log: a container
// that writes far more than its log limits, detached (the C monitor
// writes the log) or attached (the engine does), leaves at most MaxFiles
// files of at most MaxSize bytes, and Logs returns its latest lines in
// order.
func TestSecurityLogGrowthBounded(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	const lines = 20000 // about 1.5 MB of json-file lines
	lc := LogConfig{MaxSize: 32 << 10, MaxFiles: 3}
	for _, detached := range []bool{true, false} {
		name := map[bool]string{true: "detached", false: "attached"}[detached]
		c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"seq", "1", strconv.Itoa(lines)}, Log: lc})
		if err != nil {
			t.Fatal(err)
		}
		if detached {
			err = c.StartDetached(ctx)
		} else {
			c.Stdout = io.Discard
			err = c.Start(ctx)
		}
		if err != nil {
			t.Fatalf("%s: Start = %v", name, err)
		}
		if st, err := c.Wait(ctx); err != nil || st.Code != 0 {
			t.Fatalf("%s: Wait = %+v, %v; want exit 0", name, st, err)
		}
		sizes := logFileSizes(t, c)
		var total int64
		for _, n := range sizes {
			total += n
		}
		const lineSlack = 100 // one json-file line of seq's output
		if len(sizes) != lc.MaxFiles || total > lc.MaxSize*int64(lc.MaxFiles)+lineSlack {
			t.Errorf("%s: log files %v (%d bytes), want %d files, %d bytes at most", name, sizes, total, lc.MaxFiles, lc.MaxSize*int64(lc.MaxFiles))
		}
		for i, n := range sizes {
			if n > lc.MaxSize {
				t.Errorf("%s: json.log(.%d) has %d bytes, want at most %d", name, i, n, lc.MaxSize)
			}
		}
		var out bytes.Buffer
		if err := c.Logs(ctx, &out, nil, LogOptions{}); err != nil {
			t.Fatalf("%s: Logs = %v", name, err)
		}
		got := strings.Fields(out.String())
		// The rotated files are full but for a line: at least MaxFiles-1
		// files of lines of at most lineSlack bytes.
		if atLeast := int(lc.MaxSize) * (lc.MaxFiles - 1) / lineSlack; len(got) < atLeast {
			t.Fatalf("%s: Logs returned %d lines, want at least %d", name, len(got), atLeast)
		}
		for i, s := range got {
			if want := strconv.Itoa(lines - len(got) + 1 + i); s != want {
				t.Fatalf("%s: Logs line %d = %q, want %q: the latest lines, in order", name, i, s, want)
			}
		}
		var tail bytes.Buffer
		if err := c.Logs(ctx, &tail, nil, LogOptions{Tail: 5}); err != nil || tail.String() != "19996\n19997\n19998\n19999\n20000\n" {
			t.Errorf("%s: Logs(Tail: 5) = %q, %v; want 19996-20000", name, tail.String(), err)
		}
		if err := c.Remove(ctx); err != nil {
			t.Errorf("%s: Remove = %v", name, err)
		}
		if _, err := os.Stat(c.dir()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: after Remove, the container's directory (and its rotated logs): %v", name, err)
		}
	}
}

// By default a container's log is bounded too: Create records Docker's
// local driver's limits (20 MiB x 5 files), and a detached container's
// monitor rotates at 20 MiB. Also a zero LogConfig of a record made
// before LogConfig existed resolves to them.
func TestSecurityLogDefaultBounded(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	if got := (LogConfig{}).resolved(); got != (LogConfig{MaxSize: 20 << 20, MaxFiles: 5}) {
		t.Errorf("LogConfig{}.resolved() = %+v, want 20 MiB x 5", got)
	}
	// 21 MB as one endless line, which the log cuts every 16 KiB: a
	// thousand-odd json-file lines, quick to write.
	script := "head -c 21500000 /dev/zero | tr '\\0' x"
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", script}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Log != (LogConfig{MaxSize: 20 << 20, MaxFiles: 5}) {
		t.Errorf("recorded Config.Log = %+v, want the defaults 20 MiB x 5", info.Config.Log)
	}
	if err := c.StartDetached(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := c.Wait(ctx); err != nil || st.Code != 0 {
		t.Fatalf("Wait = %+v, %v; want exit 0", st, err)
	}
	sizes := logFileSizes(t, c)
	if len(sizes) != 2 || sizes[1] > 20<<20 || sizes[1] < 20<<20-(20<<10) || sizes[0] > 20<<20 {
		t.Errorf("log files %v after 21.5 MB of output, want json.log.1 of 20 MiB (less a line) and json.log", sizes)
	}
	var out bytes.Buffer
	if err := c.Logs(ctx, &out, nil, LogOptions{}); err != nil || out.Len() != 21500000 {
		t.Errorf("Logs = %d bytes, %v; want all 21500000 across the two files", out.Len(), err)
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
	secImage(t, e, ref, mutate, ImportConfig(ocispec.ImageConfig{Cmd: []string{"true"}, Volumes: set}))
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
		c.Remove(context.Background(), RemoveForce(), RemoveVolumes())
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
	if err := c.Remove(ctx, RemoveVolumes()); err != nil {
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
