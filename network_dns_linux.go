package dock

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/bridge"
	"github.com/go-dock/dock/internal/firewall"
	"github.com/go-dock/dock/internal/nsinit"
)

// serveNames gives a container on a user-defined network its name server
// at 127.0.0.11: a UDP socket and a TCP listener there, on ports the
// kernel picks (so that the container may still bind :53 itself), :53
// sent to them by a rule in the container's namespace, served by the
// host's name server process (network_dnsd_linux.go).
func serveNames(ns *bridge.Namespace, container string) error {
	var fds [2]int
	var ports [2]uint16
	err := ns.Do(func() error {
		for i, typ := range []int{unix.SOCK_DGRAM, unix.SOCK_STREAM} {
			fd, port, err := listenNameServer(typ)
			if err != nil {
				return err
			}
			fds[i], ports[i] = fd, port
		}
		return nil
	})
	files := []*os.File{os.NewFile(uintptr(fds[0]), "dns-udp"), os.NewFile(uintptr(fds[1]), "dns-tcp")}
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	if err != nil {
		return fmt.Errorf("name server: %w", err)
	}
	if err := firewall.ContainerDNS(int(ns.File.Fd()), ports[0], ports[1]); err != nil {
		return fmt.Errorf("name server: %w", err)
	}
	return netStore.Locked(func() error { return handOver(container, files) })
}

// listenNameServer opens a socket of typ on 127.0.0.11, port 0, and
// returns it with its port.
func listenNameServer(typ int) (fd int, port uint16, err error) {
	fd, err = unix.Socket(unix.AF_INET, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, err
	}
	sa := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 11}}
	if err = unix.Bind(fd, sa); err == nil && typ == unix.SOCK_STREAM {
		err = unix.Listen(fd, 128)
	}
	var got unix.Sockaddr
	if err == nil {
		got, err = unix.Getsockname(fd)
	}
	if err != nil {
		unix.Close(fd)
		return -1, 0, err
	}
	return fd, uint16(got.(*unix.SockaddrInet4).Port), nil
}

// handOver sends the container's sockets to the name server, starting
// one when none runs. The caller holds the network lock, so no other
// engine starts one meanwhile and no idle one exits.
func handOver(container string, files []*os.File) error {
	c, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: dnsSocket(), Net: "unixpacket"})
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, os.ErrNotExist) {
		os.Remove(dnsSocket()) // a server that died left it
		if err = spawnNameServer(); err == nil {
			c, err = net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: dnsSocket(), Net: "unixpacket"})
		}
	}
	if err != nil {
		return fmt.Errorf("name server: %w", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	rights := unix.UnixRights(int(files[0].Fd()), int(files[1].Fd()))
	if _, _, err := c.WriteMsgUnix([]byte(container), rights, nil); err != nil {
		return fmt.Errorf("name server: %w", err)
	}
	var ack [1]byte
	if _, err := c.Read(ack[:]); err != nil {
		return fmt.Errorf("name server: no answer: %w", err)
	}
	return nil
}

// spawnNameServer starts the host's name server (this program in the
// hook mode "dns", in its own session) and waits until it listens.
func spawnNameServer() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd, err := spawnHook("dns", w)
	w.Close()
	if err != nil {
		return fmt.Errorf("start the name server: %w", err)
	}
	r.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [1]byte
	if _, err := r.Read(b[:]); err != nil {
		cmd.Process.Kill()
		return fmt.Errorf("the name server did not start: %w", err)
	}
	return nil
}

// spawnHook starts this program again, in its own session, in the hook
// mode v (nsinit.HookEnv), with extra descriptors from 4 on, and reaps it
// when it exits if this process is still there.
func spawnHook(v string, extra ...*os.File) (*exec.Cmd, error) {
	exe, err := nsinit.ExeFile()
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{
		Path:        "/proc/self/fd/3",
		Args:        []string{"dock-" + strings.Fields(v)[0]},
		Env:         []string{nsinit.HookEnv + "=" + v},
		ExtraFiles:  append([]*os.File{exe}, extra...),
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go cmd.Wait()
	return cmd, nil
}
