package main

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/go-dock/dock"
)

// historyTable is docker history's default format.
const historyTable = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"

// cmdHistory is docker history: the image's steps, the last first.
func cmdHistory(ctx context.Context, c *cli, args []string) error {
	var format string
	var noTrunc, quiet bool
	human := true
	fs := newFlagSet("history", true)
	fs.String(&format, "format", "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template")
	fs.Bool(&human, "H,human", "Print sizes and dates in human readable format (default true)")
	fs.Bool(&noTrunc, "no-trunc", "Don't truncate output")
	fs.Bool(&quiet, "q,quiet", "Only show image IDs")
	args, err := fs.ParseArgs(args, 1, 1)
	if err != nil {
		return err
	}
	if quiet && (format == "" || format == "table") {
		format = "{{.ID}}"
	}
	lf, err := parseListFormat(format, historyTable)
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	h, err := e.History(ctx, args[0])
	if err != nil {
		return err
	}
	now := time.Now()
	rows := make([]any, 0, len(h))
	for _, ent := range h {
		rows = append(rows, &historyRow{h: ent, trunc: !noTrunc, human: human, now: now})
	}
	return lf.write(c.stdout, historyHeader{}, rows)
}

// historyRow is a step as docker history's templates see it (docker's
// historyContext).
type historyRow struct {
	h            dock.HistoryEntry
	trunc, human bool
	now          time.Time
}

// ID is the image the step made, short unless --no-trunc, or <missing>.
func (r *historyRow) ID() string {
	switch {
	case r.h.ID == "":
		return "<missing>"
	case r.trunc:
		return shortID(r.h.ID)
	}
	return r.h.ID
}

// CreatedSince is "2 weeks ago", or with -H=false the time.
func (r *historyRow) CreatedSince() string {
	if !r.human {
		return r.CreatedAt()
	}
	if r.h.Created.IsZero() {
		return "N/A"
	}
	return humanDuration(r.now.Sub(r.h.Created)) + " ago"
}

// CreatedAt is the time, RFC 3339 (docker's with -H=false too).
func (r *historyRow) CreatedAt() string {
	if r.h.Created.IsZero() {
		return "N/A"
	}
	return r.h.Created.Local().Format(time.RFC3339)
}

// CreatedBy is the step's command, tabs as spaces, cut at 45 characters
// unless --no-trunc.
func (r *historyRow) CreatedBy() string {
	s := strings.ReplaceAll(r.h.CreatedBy, "\t", " ")
	if r.trunc {
		return ellipsis(s, 45)
	}
	return s
}

// Size is the layer's size: "4.26MB", or bytes with -H=false.
func (r *historyRow) Size() string {
	if !r.human {
		return strconv.FormatInt(r.h.Size, 10)
	}
	return humanSize(r.h.Size)
}

func (r *historyRow) Comment() string { return r.h.Comment }

func (r *historyRow) MarshalJSON() ([]byte, error) {
	return marshalRow(map[string]string{"ID": r.ID(), "CreatedSince": r.CreatedSince(), "CreatedAt": r.CreatedAt(),
		"CreatedBy": r.CreatedBy(), "Size": r.Size(), "Comment": r.Comment()})
}

type historyHeader struct{}

func (historyHeader) ID() string           { return "IMAGE" }
func (historyHeader) CreatedSince() string { return "CREATED" }
func (historyHeader) CreatedAt() string    { return "CREATED AT" }
func (historyHeader) CreatedBy() string    { return "CREATED BY" }
func (historyHeader) Size() string         { return "SIZE" }
func (historyHeader) Comment() string      { return "COMMENT" }
