package dockerapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/jsonstream"
)

// progressMessage is a line of Docker's JSON progress stream (pull, push,
// load, import, build) with the fields that API 1.48 deprecated but
// Docker still writes and older clients read: docker-py and
// docker-compose 1.x test "error" in a line, not "errorDetail".
type progressMessage struct {
	jsonstream.Message
	ErrorMessage    string `json:"error,omitempty"`
	ProgressMessage string `json:"progress,omitempty"`
}

// progressStream answers a request with a progress stream that starts at
// its first line: an error before that is answered as any error, with its
// status, which Docker's clients show at once ("pull access denied",
// "manifest unknown"); an error after it is an errorDetail line in the
// 200 answer, as Docker writes it.
type progressStream struct {
	w      http.ResponseWriter
	r      *http.Request
	stream *jsonStream // nil until the first line
	gone   bool        // the client went away: further lines are dropped
}

func newProgressStream(w http.ResponseWriter, r *http.Request) *progressStream {
	return &progressStream{w: w, r: r}
}

// begin starts the answer, if it has not started.
func (p *progressStream) begin() {
	if p.stream == nil {
		p.stream = newJSONStream(p.w, "application/json")
	}
}

// send writes m, starting the answer on the first call.
func (p *progressStream) send(m progressMessage) {
	if p.gone {
		return
	}
	p.begin()
	if err := p.stream.Send(m); err != nil {
		p.gone = true
	}
}

// status sends a status line, for the layer id when id is not "".
func (p *progressStream) status(id, format string, args ...any) {
	p.send(progressMessage{Message: jsonstream.Message{ID: id, Status: fmt.Sprintf(format, args...)}})
}

// aux sends an out-of-band value: push's result, build's image ID.
func (p *progressStream) aux(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	raw := json.RawMessage(b)
	p.send(progressMessage{Message: jsonstream.Message{Aux: &raw}})
}

// fail ends the answer with err: as an error answer when nothing was
// sent, else as Docker's error line.
func (p *progressStream) fail(err error) {
	if p.stream == nil {
		writeError(p.w, p.r, err)
		return
	}
	msg := err.Error()
	p.send(progressMessage{
		Message:      jsonstream.Message{Error: &jsonstream.Error{Message: msg}},
		ErrorMessage: msg,
	})
}

// started reports whether the answer has begun.
func (p *progressStream) started() bool { return p.stream != nil }

// progressBar is the text of Docker's progress field: a bar of 50 and the
// bytes, "[=====>        ]  1.2MB/3.4MB".
func progressBar(current, total int64) string {
	if total <= 0 {
		return units.HumanSize(float64(current))
	}
	n := min(max(int(50*current/total), 0), 50)
	bar := strings.Repeat("=", n)
	if n < 50 {
		bar += ">" + strings.Repeat(" ", 49-n)
	}
	return fmt.Sprintf("[%s] %8s/%s", bar, units.HumanSize(float64(current)), units.HumanSize(float64(total)))
}
