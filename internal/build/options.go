package build

import (
	"io"
	"time"
)

// Options are a build's options, as the engine's BuildOptions set them
// (each is documented there).
type Options struct {
	File     string // the Dockerfile, relative to the context or absolute; never ""
	Args     map[string]string
	Tags     []string // set once the whole build succeeded
	Target   string
	Labels   map[string]string
	NoCache  bool
	Epoch    time.Time       // SOURCE_DATE_EPOCH, whole seconds, UTC; zero: none
	Progress func(string)    // never nil
	Image    func(id string) // the stage's new image, after FROM, a step or the stage's end; never nil
	Output   io.Writer       // of the RUN steps; never nil
	Pull     PullPolicy
	Network  string            // of the RUN steps: "" or "none" (default), "host", or a bridge network's name
	Secrets  map[string][]byte // by id; never printed, stored or hashed
}

// PullPolicy says when the build pulls the images it names (Host.Pull).
type PullPolicy int

const (
	PullNever   PullPolicy = iota // the store's images only
	PullMissing                   // images the store lacks
	PullAlways                    // each image at its first use in the build
)
