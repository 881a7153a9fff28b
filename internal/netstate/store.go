package netstate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// DefaultDir is where the state lives: tmpfs on every Linux this runs
// on, so it lasts one boot; the boot ID in the file covers the others.
const DefaultDir = "/run/dock/net"

// Store is the state directory: the lock file and state.json.
type Store struct{ dir string }

// New returns the store in dir (DefaultDir unless a test moves it).
func New(dir string) *Store { return &Store{dir: dir} }

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// File is the state's file, which a reader may watch: every change
// replaces it.
func (s *Store) File() string { return filepath.Join(s.dir, "state.json") }

// Update runs fn on the state with the host-wide lock held, and writes
// the state back when fn succeeds. fn should be brief: every engine on
// the host waits for it.
func (s *Store) Update(fn func(*State) error) error {
	unlock, err := s.lock(unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := s.load()
	if err != nil {
		return err
	}
	if err := fn(st); err != nil {
		return err
	}
	return s.save(st)
}

// Read returns the state as it is now (under a shared lock, so not in
// the middle of an Update).
func (s *Store) Read() (*State, error) {
	unlock, err := s.lock(unix.LOCK_SH)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &State{Networks: map[string]*Network{}}, nil
		}
		return nil, err
	}
	defer unlock()
	return s.load()
}

func (s *Store) lock(how int) (unlock func(), err error) {
	flags := os.O_RDWR | os.O_CREATE
	if how == unix.LOCK_SH {
		flags = os.O_RDONLY
	} else if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("network state: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(s.dir, "lock"), flags, 0o600)
	if err != nil {
		return nil, fmt.Errorf("network state: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("network state: lock: %w", err)
	}
	return func() { f.Close() }, nil
}

// load reads state.json; a missing file, or one from another boot, is
// the empty state.
func (s *Store) load() (*State, error) {
	boot := bootID()
	st := &State{Boot: boot, Networks: map[string]*Network{}}
	data, err := os.ReadFile(s.File())
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("network state: %w", err)
	}
	var got State
	if err := json.Unmarshal(data, &got); err != nil {
		return nil, fmt.Errorf("network state %s: %w", s.File(), err)
	}
	if got.Boot != boot {
		return st, nil
	}
	if got.Networks == nil {
		got.Networks = map[string]*Network{}
	}
	return &got, nil
}

// save writes the state through a rename, so that a reader (and a
// crash) sees the old state or the new, never half of one. Networks
// without endpoints that are not idle are dropped: nothing holds them up.
func (s *Store) save(st *State) error {
	for id, n := range st.Networks {
		if len(n.Endpoints) == 0 && n.Idle.IsZero() {
			delete(st.Networks, id)
		}
	}
	if len(st.Networks) == 0 && len(st.Sysctls) == 0 && st.Collector == 0 {
		if err := os.Remove(s.File()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("network state: %w", err)
		}
		return nil
	}
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := s.File() + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("network state: %w", err)
	}
	if err := os.Rename(tmp, s.File()); err != nil {
		return fmt.Errorf("network state: %w", err)
	}
	return nil
}

// bootID is the kernel's ID of this boot, read once.
var bootID = sync.OnceValue(func() string {
	data, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return string(bytes.TrimSpace(data))
})

// Locked runs fn with the host-wide lock held, the state untouched.
func (s *Store) Locked(fn func() error) error {
	unlock, err := s.lock(unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

// Snapshot reads the state without the lock: every change replaces the
// file whole, so it is consistent, if perhaps a change behind. For a
// reader that an engine holding the lock may be waiting for (the name
// server).
func (s *Store) Snapshot() (*State, error) { return s.load() }
