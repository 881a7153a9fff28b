package dock

import "strings"

// BuildEvent is a moment of a build that docker's classic builder prints
// between the lines of BuildProgress: the container of a RUN step
// created and removed, and the image that a step leaves. See BuildEvents.
type BuildEvent struct {
	Kind BuildEventKind
	// ID is the container's ID (BuildContainerCreated,
	// BuildContainerRemoved) or the image's, "sha256:..." (BuildImage).
	ID string
}

// BuildEventKind says what a BuildEvent reports.
type BuildEventKind int

const (
	// BuildContainerCreated: the container of a RUN step was created. It
	// runs next; its output (BuildOutput) follows this event.
	BuildContainerCreated BuildEventKind = iota + 1
	// BuildContainerRemoved: that container was removed, once the step's
	// layer was committed or the step failed; after its last output.
	BuildContainerRemoved
	// BuildImage: the stage being built has a new image: its base after
	// FROM (none for scratch), the image of a step that made one (RUN,
	// COPY, ADD, a WORKDIR that created its directory; new or from the
	// cache), or, at the stage's end, the image its pending configuration
	// was committed to. The steps that change the configuration only
	// (ENV, LABEL, CMD and the like) make no image of their own: their
	// change is in the stage's next image.
	BuildImage
)

// String is the line that docker's classic builder prints for the event,
// without its newline: " ---> Running in 8f2c3a4b5d6e", " ---> Removed
// intermediate container 8f2c3a4b5d6e" (the words of Docker 25 and
// later; before, "Removing intermediate container"), " ---> 1c35c4412082".
func (ev BuildEvent) String() string {
	id := strings.TrimPrefix(ev.ID, "sha256:")
	id = id[:min(len(id), 12)]
	switch ev.Kind {
	case BuildContainerCreated:
		return " ---> Running in " + id
	case BuildContainerRemoved:
		return " ---> Removed intermediate container " + id
	case BuildImage:
		return " ---> " + id
	}
	return ""
}

// BuildEvents calls fn with each BuildEvent of the build, on the build's
// goroutine, in order with BuildProgress's lines and with the output of
// the RUN steps (BuildOutput): a step's line, then its container's
// creation, its output, its removal, and its image. By default the events
// are dropped.
func BuildEvents(fn func(BuildEvent)) BuildOption {
	return func(o *buildOptions) error {
		o.events = fn
		return nil
	}
}
