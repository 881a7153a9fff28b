package cgroup

import (
	"golang.org/x/sys/unix"
)

// Cgroup files are read and written with plain system calls rather than
// os.File: an os.File tries each file in the runtime's poller (two fcntl
// and an epoll_ctl that fails for these files), five calls more for each
// of the dozens of files a container start touches.

// writeRaw writes value to the file name in one write, as cgroup files
// want it (one value, or one rule, per write).
func writeRaw(name, value string) error {
	fd, err := openRaw(name, unix.O_WRONLY)
	if err != nil {
		return err
	}
	_, err = writeOnce(fd, value)
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	return err
}

// readRaw reads the whole file name (cgroup files are small).
func readRaw(name string) ([]byte, error) {
	fd, err := openRaw(name, unix.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return readAllFd(fd)
}

// readAllFd reads fd to its end.
func readAllFd(fd int) ([]byte, error) {
	buf := make([]byte, 0, 512)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

func openRaw(name string, flags int) (int, error) {
	for {
		fd, err := unix.Open(name, flags|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

func writeOnce(fd int, value string) (int, error) {
	for {
		n, err := unix.Write(fd, []byte(value))
		if err != unix.EINTR {
			return n, err
		}
	}
}
