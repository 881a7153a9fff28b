package dock

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// docker run --rm of a short command: the container may be over and
// removed before Attach sees it start or reaches its monitor; its output
// is written all the same (from the log Attach held open).
func TestAttachAutoRemoveShortRun(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	for i := range 20 {
		c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo out; echo err >&2"}, AutoRemove: true})
		if err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		ready := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- c.Attach(ctx, AttachOptions{Stdout: &out, Stderr: &errOut, Attached: func() { close(ready) }})
		}()
		<-ready
		if err := c.StartDetached(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil || out.String() != "out\n" || errOut.String() != "err\n" {
			t.Fatalf("run %d: Attach = %v, stdout %q, stderr %q; want out and err", i, err, out.String(), errOut.String())
		}
		// Gone before the next (and before the test's cleanup).
		waitFor(t, "the AutoRemove container's removal", func() bool {
			_, err := e.Container(c.ID())
			return errors.Is(err, ErrNotFound)
		})
	}
}
