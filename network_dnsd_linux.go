package dock

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/dnsserver"
)

// The network name server: one process per host (a re-execution of the
// program that first needed it, in the hook mode "dns"), which serves the
// sockets that engines open at 127.0.0.11 in their containers'
// namespaces and send it over dns.sock. It answers from the network
// state, notices there when a container has gone (and closes its
// sockets, which would otherwise keep the container's namespace alive),
// and exits when it serves no one (research/networking.md §3).

// dnsSocket is where the name server takes sockets.
func dnsSocket() string { return filepath.Join(netStore.Dir(), "dns.sock") }

// dnsPoll is how often the name server looks at the state for containers
// that went; dnsIdle how long it waits, serving no one, before it exits.
const (
	dnsPoll = 200 * time.Millisecond
	dnsIdle = 2 * time.Second
)

// dnsDaemon is the name server's process.
type dnsDaemon struct {
	srv *dnsserver.Server
	mu  sync.Mutex
	// names answers from the state as last read.
	names *netNames
	// served are the sockets of each container, by container ID.
	served map[string][]io.Closer
	ln     *net.UnixListener
}

// runDNSDaemon is the hook mode "dns": ready is the pipe to tell the
// engine that spawned it that dns.sock accepts.
func runDNSDaemon(ready *os.File) int {
	d := &dnsDaemon{served: map[string][]io.Closer{}}
	d.reload()
	d.srv = &dnsserver.Server{Names: d}
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: dnsSocket(), Net: "unixpacket"})
	if err != nil {
		ready.Close() // EOF: the engine sees it failed
		fmt.Fprintln(os.Stderr, "dock dns:", err)
		return 1
	}
	d.ln = ln
	ready.Write([]byte{1})
	ready.Close()
	go d.watch()
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			return 0 // closed by watch: idle
		}
		d.take(c)
	}
}

// take reads one hand-over: a container ID with its UDP socket and TCP
// listener, and answers a byte once it serves them.
func (d *dnsDaemon) take(c *net.UnixConn) {
	defer c.Close()
	// The engine wrote the container's endpoints before it sent its
	// sockets: the state read now names it.
	d.reload()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	buf, oob := make([]byte, 128), make([]byte, unix.CmsgSpace(2*4))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return
	}
	var fds []int
	if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
		for _, m := range msgs {
			if got, err := unix.ParseUnixRights(&m); err == nil {
				fds = append(fds, got...)
			}
		}
	}
	id := string(buf[:n])
	if len(fds) != 2 || !isID(id) {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return
	}
	udp, tcp := os.NewFile(uintptr(fds[0]), "dns-udp"), os.NewFile(uintptr(fds[1]), "dns-tcp")
	pc, err1 := net.FilePacketConn(udp)
	ln, err2 := net.FileListener(tcp)
	udp.Close() // the net values hold duplicates
	tcp.Close()
	if err1 != nil || err2 != nil {
		if err1 == nil {
			pc.Close()
		}
		if err2 == nil {
			ln.Close()
		}
		return
	}
	d.mu.Lock()
	d.served[id] = append(d.served[id], pc, ln)
	d.mu.Unlock()
	go d.srv.ServeUDP(pc, id)
	go d.srv.ServeTCP(ln, id)
	c.Write([]byte{1})
}

// watch follows the state: it drops the sockets of containers that are
// no longer on a network with names, and closes the listener (ending
// the process) once it has served no one for dnsIdle.
func (d *dnsDaemon) watch() {
	var mtime time.Time
	idleSince := time.Now()
	for range time.Tick(dnsPoll) {
		if fi, err := os.Stat(netStore.File()); err != nil || !fi.ModTime().Equal(mtime) {
			if err == nil {
				mtime = fi.ModTime()
			}
			d.reload()
		}
		d.mu.Lock()
		busy := len(d.served) > 0
		d.mu.Unlock()
		if busy {
			idleSince = time.Now()
			continue
		}
		if time.Since(idleSince) < dnsIdle {
			continue
		}
		// Under the engines' lock: none is handing sockets over now,
		// and the next one finds no socket file and starts a server.
		done := false
		netStore.Locked(func() error {
			d.mu.Lock()
			defer d.mu.Unlock()
			if len(d.served) == 0 {
				d.ln.Close() // removes dns.sock
				done = true
			}
			return nil
		})
		if done {
			return
		}
	}
}

// reload reads the state, and closes the sockets of the containers it no
// longer names.
func (d *dnsDaemon) reload() {
	// Read under mu: a container handed over (take) while this runs is
	// added after it, never dropped for a state read before its start.
	d.mu.Lock()
	defer d.mu.Unlock()
	st, err := netStore.Snapshot() // an engine may hold the lock, waiting for take
	if err != nil {
		return
	}
	names := &netNames{st: st, upstreams: hostUpstreams()}
	d.names = names
	for id, socks := range d.served {
		if len(names.askerNetworks(id)) > 0 {
			continue
		}
		for _, s := range socks {
			s.Close()
		}
		delete(d.served, id)
	}
}

func (d *dnsDaemon) current() *netNames {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.names
}

// Lookup, Reverse and Upstreams are dnsserver.Names, on the state as
// last read.
func (d *dnsDaemon) Lookup(asker, name string) ([]netip.Addr, bool) {
	return d.current().Lookup(asker, name)
}

func (d *dnsDaemon) Reverse(asker string, addr netip.Addr) (string, bool) {
	return d.current().Reverse(asker, addr)
}

func (d *dnsDaemon) Upstreams(asker string) []netip.AddrPort { return d.current().Upstreams(asker) }
