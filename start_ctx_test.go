//go:build linux

package dock

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/cgroup"
	"github.com/go-dock/dock/internal/nsinit"
)

// TestStartCtx checks that the ctx of Start and StartDetached bounds the
// whole start: a ctx that ends before the user's process runs (at once,
// or while the init waits for the rest of its plan) makes the start fail
// with ctx's error and leaves no process, cgroup, mount or file of the
// start behind, and the container can start afterwards.
func TestStartCtx(t *testing.T) {
	e := testEngine(t)
	// The init reads the plan up to an extra Next and then waits, for
	// ever, for a next part that never comes.
	waitForever := func(p *nsinit.Plan) *nsinit.Plan {
		head := new(nsinit.Plan)
		head.Next()
		return head.Append(p)
	}
	for _, tc := range []struct {
		name     string
		detached bool
		hang     bool
		timeout  time.Duration // 0: ctx cancelled before Start
		want     error
	}{
		{"cancelled", false, false, 0, context.Canceled},
		{"cancelled detached", true, false, 0, context.Canceled},
		{"deadline while the init waits", false, true, 300 * time.Millisecond, context.DeadlineExceeded},
		{"deadline while the detached init waits", true, true, 300 * time.Millisecond, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := e.Create(context.Background(), Config{Image: "busybox", Cmd: []string{"echo", "ran"}})
			if err != nil {
				t.Fatalf("Create() = %v", err)
			}
			defer c.Remove(context.Background(), RemoveForce())
			base := secTakeState(t, e) // with the container's directory
			ctx, cancel := context.WithCancel(context.Background())
			if tc.timeout > 0 {
				ctx, cancel = context.WithTimeout(context.Background(), tc.timeout)
			} else {
				cancel()
			}
			defer cancel()
			if tc.hang {
				testHookPlan = waitForever
			}
			t0 := time.Now()
			start := c.Start
			if tc.detached {
				start = c.StartDetached
			}
			err = start(ctx)
			testHookPlan = nil
			if !errors.Is(err, tc.want) || !strings.HasPrefix(err.Error(), "start container: ") {
				t.Fatalf("Start() = %v, want \"start container: \" and %v", err, tc.want)
			}
			if d := time.Since(t0); d > tc.timeout+5*time.Second {
				t.Errorf("Start() took %v after a ctx of %v, want it to end with ctx", d, tc.timeout)
			}
			if st, err := c.State(context.Background()); err != nil || st.Status != StatusCreated {
				t.Errorf("State() after the start = %+v, %v, want created", st, err)
			}
			if kids := childInits(t); len(kids) > 0 {
				t.Errorf("init processes left, children of the engine: %v, want none", kids)
			}
			for _, d := range secCgroupDirs(t) {
				if strings.HasSuffix(d, "/"+c.ID()) {
					t.Errorf("cgroup %s left by the start, want none", d)
				}
			}
			secWantState(t, e, "Start("+tc.name+")", base)

			// Nothing of the failed start is in the way of the next one.
			var out bytes.Buffer
			if !tc.detached {
				c.Stdout = &out
			}
			if err := start(context.Background()); err != nil {
				t.Fatalf("Start() after the failed start = %v", err)
			}
			if st, err := c.Wait(context.Background()); err != nil || st.Code != 0 {
				t.Errorf("Wait() = %+v, %v, want code 0", st, err)
			}
			if !tc.detached && out.String() != "ran\n" {
				t.Errorf("output = %q, want \"ran\\n\"", out.String())
			}
		})
	}
}

// childInits lists this process's children that are inits or monitors
// (the binary re-executed, named dock-init in their command line).
func childInits(t *testing.T) []int {
	t.Helper()
	var kids []int
	self := strconv.Itoa(os.Getpid())
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		stat, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, not ')'.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 || fields[1] != self {
			continue
		}
		if cmdline, _ := os.ReadFile(d + "/cmdline"); bytes.HasPrefix(cmdline, []byte("dock-init\x00")) {
			pid, _ := strconv.Atoi(filepath.Base(d))
			kids = append(kids, pid)
		}
	}
	return kids
}

// TestExecCtx checks that the ctx of Process.Start bounds the whole setup:
// a ctx that ends while the relay waits for the rest of its plan, or while
// the process it forked in the container waits, fails the exec with ctx's
// error and leaves no process of the exec in the container or on the host.
func TestExecCtx(t *testing.T) {
	e := testEngine(t)
	c := secStart(t, e, Config{Image: "busybox", Cmd: []string{"sleep", "60"}}, nil, nil)
	defer c.Kill(context.Background())
	procs := func() []int {
		cg, err := cgroup.Load(cgroupPath(c.ID()))
		if err != nil {
			t.Fatal(err)
		}
		ps, _ := cg.Procs()
		return ps
	}
	before := procs()
	for _, tc := range []struct {
		name    string
		timeout time.Duration // 0: cancelled before Start
		hook    func()
	}{
		{"cancelled", 0, func() {}},
		{"deadline while the relay waits", 300 * time.Millisecond, func() {
			testHookPlan = func(p *nsinit.Plan) *nsinit.Plan {
				head := new(nsinit.Plan)
				head.Next()
				return head.Append(p)
			}
		}},
		{"deadline while the forked process waits", 300 * time.Millisecond, func() {
			testHookExecForked = func(p *nsinit.Plan) { p.Pause() }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			if tc.timeout > 0 {
				ctx, cancel = context.WithTimeout(context.Background(), tc.timeout)
			} else {
				cancel()
			}
			defer cancel()
			tc.hook()
			p := c.Exec(ExecConfig{Cmd: []string{"echo", "ran"}})
			err := p.Start(ctx)
			testHookPlan, testHookExecForked = nil, nil
			want := context.Canceled
			if tc.timeout > 0 {
				want = context.DeadlineExceeded
			}
			if !errors.Is(err, want) {
				t.Fatalf("Process.Start() = %v, want %v", err, want)
			}
			// The killed process leaves the cgroup once its parent has
			// reaped it: a moment after Start returns.
			got := procs()
			for i := 0; i < 500 && !slices.Equal(got, before); i++ {
				time.Sleep(10 * time.Millisecond)
				got = procs()
			}
			if !slices.Equal(got, before) {
				t.Errorf("the container's processes after the failed exec = %v, want %v", got, before)
			}
			out, st, err := secExec(t, c, ExecConfig{Cmd: []string{"echo", "ran"}})
			if err != nil || st.Code != 0 || out != "ran\n" {
				t.Errorf("exec after the failed one = %q, %+v, %v", out, st, err)
			}
		})
	}
}
