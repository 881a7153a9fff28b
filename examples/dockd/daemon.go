package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/dockerapi"
)

// run opens the engine, restarts what the restart policies ask for,
// serves every -H until ctx ends, then shuts down: no new connections,
// the requests in flight get cfg.shutdownTimeout to finish, the engine
// closes. The containers keep running (their monitors own them).
func run(ctx context.Context, cfg *config, stderr io.Writer) (retErr error) {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	var tlsCfg *tls.Config
	if cfg.tls.verify {
		var err error
		if tlsCfg, err = serverTLS(cfg.tls); err != nil {
			return err
		}
	}
	gid, err := socketGroup(cfg.group, cfg.groupSet, log)
	if err != nil {
		return err
	}
	engine, err := dock.Open(cfg.root,
		dock.WithLogger(log.With("component", "engine")),
		dock.WithRegistryConfig(dock.RegistryConfig{Insecure: cfg.insecureReg}))
	if err != nil {
		return err
	}
	defer func() {
		if err := engine.Close(); err != nil && retErr == nil {
			retErr = fmt.Errorf("close the engine: %w", err)
		}
	}()

	listeners, err := listenAll(cfg, gid, tlsCfg, log)
	if err != nil {
		return err
	}
	// Restart policies, as dockerd applies them when it starts (after a
	// reboot): once the sockets are held, so that a second dockd refused
	// at the socket restarts nothing.
	started, err := engine.RestoreContainers(ctx)
	if len(started) > 0 {
		log.Info("restarted containers by their restart policy", "count", len(started), "ids", started)
	}
	if err != nil {
		log.Error("restarting containers by their restart policy", "err", err)
	}

	// Handlers that stream (events, logs --follow, stats) end when their
	// request's context does: baseCtx ends them when the grace is over.
	baseCtx, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := apiServer(dockerapi.Handler(engine, dockerapi.WithHandlerLogger(log.With("component", "api"))), headerTimeout)
	srv.BaseContext = func(net.Listener) context.Context { return baseCtx }
	srv.ConnContext = logPeer(log)
	srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	var wg sync.WaitGroup
	serveErr := make(chan error, len(listeners))
	for _, l := range listeners {
		log.Info("API listening", "addr", l.Addr().Network()+"://"+l.Addr().String())
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
				serveErr <- fmt.Errorf("serve %s: %w", l.Addr(), err)
			}
		}()
	}
	log.Info("dockd started", "root", cfg.root, "api", dockerapi.APIVersion)

	select {
	case <-ctx.Done():
		log.Info("shutting down: no new connections, waiting for the requests in flight", "timeout", cfg.shutdownTimeout)
	case err = <-serveErr:
		log.Error("shutting down", "err", err)
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if shutErr := srv.Shutdown(shutCtx); shutErr != nil {
		log.Warn("requests still in flight at the end of the grace period: cutting them", "err", shutErr)
		cancelBase()
		srv.Close()
	}
	wg.Wait()
	log.Info("dockd stopped; the containers keep running")
	return err
}

// listenAll opens every -H, or none: a failure closes those opened.
func listenAll(cfg *config, gid int, tlsCfg *tls.Config, log *slog.Logger) ([]net.Listener, error) {
	var ls []net.Listener
	for _, h := range cfg.hosts {
		var l net.Listener
		var err error
		switch h.network {
		case "unix":
			l, err = listenUnix(h.addr, gid, log)
		case "tcp":
			l, err = listenTCP(h.addr, tlsCfg, log)
		}
		if err != nil {
			for _, o := range ls {
				o.Close()
			}
			return nil, err
		}
		ls = append(ls, l)
	}
	return ls, nil
}

// logPeer logs who connects to a unix socket (SO_PEERCRED), at debug
// level: the socket is root-equivalent, and this is its audit trail.
func logPeer(log *slog.Logger) func(context.Context, net.Conn) context.Context {
	return func(ctx context.Context, c net.Conn) context.Context {
		if uid, gid, pid, ok := peerCred(c); ok {
			log.Debug("connection", "uid", uid, "gid", gid, "pid", pid)
		} else if log.Enabled(ctx, slog.LevelDebug) {
			log.Debug("connection", "remote", c.RemoteAddr().String())
		}
		return ctx
	}
}
