package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/moby/moby/api/types/events"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/dockerapi"
	"github.com/go-dock/dock/internal/timestamp"
)

// cmdEvents is docker events: the events of the state directory, those of
// every process on it, from --since (else from now) until --until (else
// until ^C).
func cmdEvents(ctx context.Context, c *cli, args []string) error {
	var since, until, format string
	var filters dockerapi.Filters
	fs := newFlagSet("events", true)
	fs.Func("f,filter", "Filter output based on conditions provided", filters.Set)
	fs.String(&format, "format", "Format output using a custom template: 'json' or a Go template")
	fs.String(&since, "since", "Show all events created since timestamp")
	fs.String(&until, "until", "Stream events until this timestamp")
	_, err := fs.ParseArgs(args, 0, 0)
	if err != nil {
		return err
	}
	var opts dock.EventOptions
	now := time.Now()
	if since != "" {
		if opts.Since, err = timestamp.Parse(since, now); err != nil {
			return err
		}
	}
	if until != "" {
		if opts.Until, err = timestamp.Parse(until, now); err != nil {
			return err
		}
	}
	if opts.Filter, err = dockerapi.EventFilter(filters); err != nil {
		return err
	}
	tmpl, err := eventTemplate(format)
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	for ev, err := range e.Events(ctx, opts) {
		if err != nil {
			return err
		}
		if err := writeEvent(c.stdout, tmpl, &ev); err != nil {
			return err
		}
	}
	return nil
}

// eventTemplate parses --format: "" is docker's line, "json" a JSON
// object per line. As docker, the template is tried on an empty event
// first, so that a field that does not exist fails at once.
func eventTemplate(format string) (*template.Template, error) {
	switch format {
	case "":
		return nil, nil
	case "json":
		format = "{{json .}}"
	}
	tmpl, err := parseTemplate("", format)
	if err != nil {
		return nil, err
	}
	if err := tmpl.Execute(io.Discard, &events.Message{}); err != nil {
		return nil, fmt.Errorf("template: %v", err)
	}
	return tmpl, nil
}

// writeEvent writes an event as docker events does: with a template, its
// output and a newline; else "TIME TYPE ACTION ID (key=value, ...)", the
// attributes sorted by key.
func writeEvent(w io.Writer, tmpl *template.Template, ev *dock.Event) error {
	var b strings.Builder
	if tmpl != nil {
		msg := dockerapi.EventMessage(ev)
		if err := tmpl.Execute(&b, &msg); err != nil {
			return fmt.Errorf("template: %v", err)
		}
	} else {
		fmt.Fprintf(&b, "%s %s %s %s", ev.Time.Local().Format("2006-01-02T15:04:05.000000000Z07:00"), ev.Type, ev.Action, ev.Actor.ID)
		if len(ev.Actor.Attributes) > 0 {
			var kv []string
			for _, k := range slices.Sorted(maps.Keys(ev.Actor.Attributes)) {
				kv = append(kv, k+"="+ev.Actor.Attributes[k])
			}
			fmt.Fprintf(&b, " (%s)", strings.Join(kv, ", "))
		}
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	if errors.Is(err, syscall.EPIPE) {
		return exitCode(0) // | head
	}
	return err
}

func init() {
	commandDetails["events"] = `--since and --until take a duration before now (10m, 1h30m), a Unix
time (1700000000, 1700000000.5) or an RFC 3339 date or time
(2024-01-02, 2024-01-02T15:04:05, 2024-01-02T15:04:05Z07:00). Without
--since only the events to come are shown; without --until they are
followed until interrupted.

Filters (--filter KEY=VALUE, repeated): type (container, image, volume,
network), event (an action: start, die...), container, image, volume,
network (a name or ID), label (KEY or KEY=VALUE), scope (local).

--format takes a Go template on docker's event (.Type .Action .Actor.ID
.Actor.Attributes .Scope .Time .TimeNano), or json.`
}
