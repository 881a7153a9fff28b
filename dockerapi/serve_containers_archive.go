package dockerapi

import (
	"archive/tar"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/moby/moby/api/types/container"

	"github.com/go-dock/dock"
)

// pathStatHeader carries a PathStat, base64 JSON, on the archive
// endpoints' answers: docker cp reads it.
const pathStatHeader = "X-Docker-Container-Path-Stat"

// archivePath is the path query parameter of the archive endpoints,
// required.
func archivePath(r *http.Request) (string, error) {
	p := r.URL.Query().Get("path")
	if p == "" {
		return "", badRequest("bad parameter: path cannot be empty")
	}
	return p, nil
}

// setPathStat sets the stat header.
func setPathStat(w http.ResponseWriter, st dock.PathStat) {
	b, _ := json.Marshal(container.PathStat{Name: st.Name, Size: st.Size, Mode: st.Mode, Mtime: st.Mtime, LinkTarget: st.LinkTarget})
	w.Header().Set(pathStatHeader, base64.StdEncoding.EncodeToString(b))
}

// statContainerPath is HEAD /containers/{id}/archive?path=: the stat in
// the header, no body.
func (s *server) statContainerPath(w http.ResponseWriter, r *http.Request) {
	p, err := archivePath(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.handleContainer(w, r, func(c *dock.Container) error {
		st, err := c.StatPath(r.Context(), p)
		if err != nil {
			return err
		}
		setPathStat(w, st)
		w.WriteHeader(http.StatusOK)
		return nil
	})
}

// getContainerArchive is GET /containers/{id}/archive?path=: the tar of
// the path, with its stat in the header.
func (s *server) getContainerArchive(w http.ResponseWriter, r *http.Request) {
	p, err := archivePath(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.handleContainer(w, r, func(c *dock.Container) error {
		st, rc, err := c.ArchivePath(r.Context(), p)
		if err != nil {
			return err
		}
		defer rc.Close()
		setPathStat(w, st)
		if _, err := io.Copy(startStream(w, "application/x-tar"), rc); err != nil {
			// The 200 is out: the client sees a short tar.
			s.log.Debug("archive", "container", c.ID(), "path", p, "err", err)
		}
		return nil
	})
}

// putContainerArchive is PUT /containers/{id}/archive?path=: the body, a
// tar (plain, gzip, bzip2 or zstd), extracted into the directory path, with docker cp's
// noOverwriteDirNonDir and copyUIDGID. A read-only target (dock.ErrReadOnly)
// is a 400 "container rootfs is marked read-only", as Docker's daemon
// answers since Docker 23 (an invalid parameter; the 403 that the API's
// description names is not what a daemon sends).
func (s *server) putContainerArchive(w http.ResponseWriter, r *http.Request) {
	p, err := archivePath(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var opts []dock.ExtractOption
	if boolValue(r, "noOverwriteDirNonDir") {
		opts = append(opts, dock.NoOverwriteDirNonDir())
	}
	if boolValue(r, "copyUIDGID") {
		opts = append(opts, dock.CopyUIDGID())
	}
	s.handleContainer(w, r, func(c *dock.Container) error {
		// Plain or compressed, as Docker's daemon takes it
		// (testcontainers sends gzip).
		body, done, err := decompressTar(r.Body, "extract archive")
		if err != nil {
			return err
		}
		defer done()
		if err := c.ExtractToDir(r.Context(), p, body, opts...); err != nil {
			if errors.Is(err, tar.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
				// A body that is no tar, or a cut one: the client's.
				return badRequest("%v", err)
			}
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	})
}
