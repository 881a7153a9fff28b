package nsinit

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/testutil"
)

// A process executed from another's read-only view of the binary (the
// network hook, which a container's monitor starts from the ExeFile of
// the engine that started the container) opens its own view once that
// engine is gone, and the view with it: open_tree refuses the dissolved
// mount, and os.Executable names "/" then (the file is its mount's
// root), so the fallback made a view of the host's root directory, which
// nothing executes. The host's collector of idle networks, which that
// hook starts, failed with "fork/exec /proc/self/fd/3: permission
// denied", and the default bridge stayed up.
func TestExeFileFromDissolvedView(t *testing.T) {
	testutil.RequireRoot(t)
	// The engine's view, as exeFile makes it.
	view, err := unix.OpenTree(unix.AT_FDCWD, "/proc/self/exe", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		t.Fatalf("open_tree /proc/self/exe: %v", err)
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(view, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		unix.Close(view)
		t.Fatalf("mount_setattr: %v", err)
	}
	// The monitor opens it through the engine's /proc, and executes it.
	bin, err := os.Open(fmt.Sprintf("/proc/self/fd/%d", view))
	if err != nil {
		unix.Close(view)
		t.Fatal(err)
	}
	cmd := exec.Command("/proc/self/fd/3", "-test.run=^TestExeFileHelperProcess$")
	cmd.ExtraFiles = []*os.File{bin}
	cmd.Env = append(os.Environ(), "DOCK_NSINIT_EXE_HELPER=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Start()
	bin.Close()
	// The engine goes: its view is dissolved.
	unix.Close(view)
	if err != nil {
		t.Fatal(err)
	}
	stdin.Write([]byte("go\n"))
	stdin.Close()
	if err := cmd.Wait(); err != nil || !strings.Contains(out.String(), "exe: ok\n") {
		t.Errorf("ExeFile() in a process executed from a dissolved view: %v\n%s", err, out.String())
	}
}

// TestExeFileHelperProcess is the process of TestExeFileFromDissolvedView:
// it waits until its binary's view is dissolved, then checks ExeFile:
// the binary, on a read-only mount, which executes.
func TestExeFileHelperProcess(t *testing.T) {
	if os.Getenv("DOCK_NSINIT_EXE_HELPER") != "1" {
		t.Skip("helper process for TestExeFileFromDissolvedView")
	}
	os.NewFile(3, "inherited").Close()
	bufio.NewReader(os.Stdin).ReadString('\n')
	fmt.Println("exe:", checkExeFile())
}

func checkExeFile() string {
	exe, err := ExeFile()
	if err != nil {
		return err.Error()
	}
	var got, want unix.Stat_t
	if err := unix.Fstat(int(exe.Fd()), &got); err != nil {
		return err.Error()
	}
	if err := unix.Stat("/proc/self/exe", &want); err != nil {
		return err.Error()
	}
	if got.Dev != want.Dev || got.Ino != want.Ino || got.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Sprintf("ExeFile() is %d:%d mode %o, want the binary %d:%d", got.Dev, got.Ino, got.Mode, want.Dev, want.Ino)
	}
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(int(exe.Fd()), &sfs); err != nil || sfs.Flags&unix.ST_RDONLY == 0 {
		return fmt.Sprintf("statfs(ExeFile()) flags = %#x, %v, want ST_RDONLY", sfs.Flags, err)
	}
	run := exec.Command("/proc/self/fd/3", "-test.run=^$")
	run.ExtraFiles = []*os.File{exe}
	if out, err := run.CombinedOutput(); err != nil {
		return fmt.Sprintf("execute ExeFile(): %v %s", err, out)
	}
	return "ok"
}
