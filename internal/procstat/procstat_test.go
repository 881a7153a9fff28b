package procstat

import (
	"os"
	"os/exec"
	"testing"
)

func TestSelfAlive(t *testing.T) {
	start, err := StartTime(os.Getpid())
	if err != nil || start == 0 {
		t.Fatalf("StartTime(self) = %d, %v", start, err)
	}
	if !Alive(os.Getpid(), start) || !Alive(os.Getpid(), 0) {
		t.Error("this process is not alive")
	}
	if Alive(os.Getpid(), start+1) {
		t.Error("a process with another start time is alive")
	}
	if Alive(0, 0) || Alive(-1, 0) {
		t.Error("PID 0 or -1 is alive")
	}
}

func TestZombieAndExitedAreDead(t *testing.T) {
	cmd := exec.Command("/bin/true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	// Until Wait, the exited child is a zombie.
	for range 2000 {
		if !Alive(pid, 0) {
			break
		}
		exec.Command("/bin/true").Run() // let it exit, boundedly
	}
	if Alive(pid, 0) {
		t.Error("an exited, unreaped child is alive")
	}
	cmd.Wait()
	if Alive(pid, 0) {
		t.Error("a reaped child is alive")
	}
}
