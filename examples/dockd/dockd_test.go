package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dockdFails runs dockd, which must refuse to start: exit 1 or 2 with
// want in its output.
func dockdFails(t *testing.T, want string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, dockdBinary(t), args...).CombinedOutput()
	code := -1
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if (code != 1 && code != 2) || !strings.Contains(string(out), want) {
		t.Errorf("dockd %q = exit %d (%v), output %q; want it refused with %q", args, code, err, out, want)
	}
}

// ping answers GET /_ping through c.
func ping(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url + "/_ping")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return string(b), nil
}

func TestDockdSocket(t *testing.T) {
	root := newRoot(t)
	sock := filepath.Join(t.TempDir(), "dock.sock")
	second := filepath.Join(t.TempDir(), "second.sock")
	d := startDockd(t, root, sock, "--group", "4242", "-H", "unix://"+second)
	fi, err := os.Lstat(sock)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o660 || fi.Mode().Type() != os.ModeSocket || st.Uid != 0 || st.Gid != 4242 {
		t.Errorf("socket %s: mode %v, owner %d:%d; want a socket, 0660, 0:4242", sock, fi.Mode(), st.Uid, st.Gid)
	}
	if body, err := ping(d.httpClient(), "http://dockd"); err != nil || body != "OK" {
		t.Errorf("GET /_ping = %q, %v; want OK", body, err)
	}
	// Every -H is served.
	d2 := &daemon{sock: second}
	if body, err := ping(d2.httpClient(), "http://dockd"); err != nil || body != "OK" {
		t.Errorf("GET /_ping on the second -H = %q, %v; want OK", body, err)
	}
	// SO_PEERCRED: the debug log names the connecting process.
	want := fmt.Sprintf("uid=0 gid=0 pid=%d", os.Getpid())
	waitFor(t, "the peer's credentials in the log", func() bool { return strings.Contains(d.stderr.String(), want) })

	// A second dockd on a live socket refuses, and leaves the socket to
	// the first, which still answers.
	dockdFails(t, "a server is already listening there", "-H", "unix://"+sock, "--root", t.TempDir())
	if body, err := ping(d.httpClient(), "http://dockd"); err != nil || body != "OK" {
		t.Errorf("GET /_ping after the second dockd = %q, %v; want the first one's OK", body, err)
	}
	// Neither a file nor a directory is taken for a stale socket.
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("data"), 0o644)
	dockdFails(t, "is not a socket", "-H", "unix://"+file, "--root", t.TempDir())
	if b, err := os.ReadFile(file); err != nil || string(b) != "data" {
		t.Errorf("the file dockd refused to listen on: %q, %v; want it untouched", b, err)
	}
	// A group named with --group that does not exist is an error.
	dockdFails(t, "--group no-such-group-here", "-H", "unix://"+filepath.Join(t.TempDir(), "s"), "--root", t.TempDir(), "--group", "no-such-group-here")
	// TCP without TLS and without --insecure-tcp: refused before listening.
	dockdFails(t, "TCP without --tlsverify gives root", "-H", "tcp://127.0.0.1:"+strconv.Itoa(freePort(t)), "--root", t.TempDir())

	d.stop()
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("socket after dockd stopped: %v; want it removed", err)
	}
}

func TestDockdStaleSocketAndDefaultGroup(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "dock.sock")
	// A stale socket: bound, nobody listening (a dockd killed with -9).
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	d := startDockd(t, newRoot(t), sock)
	if !strings.Contains(d.stderr.String(), "removing a stale socket") {
		t.Errorf("dockd's log does not say it replaced the stale socket:\n%s", d.stderr)
	}
	// The default group: docker's when it exists, else root's, with a
	// warning.
	fi, err := os.Lstat(sock)
	if err != nil {
		t.Fatal(err)
	}
	gid := fi.Sys().(*syscall.Stat_t).Gid
	if g, err := user.LookupGroup("docker"); err == nil {
		if strconv.Itoa(int(gid)) != g.Gid {
			t.Errorf("socket's group %d, want docker's %s", gid, g.Gid)
		}
	} else if gid != 0 || !strings.Contains(d.stderr.String(), "default group is missing") {
		t.Errorf("socket's group %d without a docker group, want 0 and a warning; log:\n%s", gid, d.stderr)
	}
}

// testCerts writes a CA, a server certificate for 127.0.0.1 and a
// client certificate, both signed by the CA, and a client certificate
// signed by another CA; it returns the directory.
func testCerts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	serial := int64(1)
	sign := func(tmpl, parent *x509.Certificate, pub, priv any) *x509.Certificate {
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore = time.Now().Add(-time.Hour)
		tmpl.NotAfter = time.Now().Add(24 * time.Hour)
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	newCA := func(name string) (*x509.Certificate, *ecdsa.PrivateKey) {
		k := newKey()
		tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign}
		return sign(tmpl, tmpl, &k.PublicKey, k), k
	}
	leaf := func(prefix string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, usage x509.ExtKeyUsage) {
		k := newKey()
		tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: prefix}, KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		c := sign(tmpl, ca, &k.PublicKey, caKey)
		write(prefix+"-cert.pem", "CERTIFICATE", c.Raw)
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		write(prefix+"-key.pem", "EC PRIVATE KEY", der)
	}
	ca, caKey := newCA("dockd test CA")
	write("ca.pem", "CERTIFICATE", ca.Raw)
	leaf("server", ca, caKey, x509.ExtKeyUsageServerAuth)
	leaf("client", ca, caKey, x509.ExtKeyUsageClientAuth)
	other, otherKey := newCA("another CA")
	leaf("stranger", other, otherKey, x509.ExtKeyUsageClientAuth)
	return dir
}

func TestDockdTCPMutualTLS(t *testing.T) {
	certs := testCerts(t)
	f := func(name string) string { return filepath.Join(certs, name) }
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	d := startDockd(t, newRoot(t), "", "-H", "tcp://"+addr, "--tlsverify",
		"--tlscacert", f("ca.pem"), "--tlscert", f("server-cert.pem"), "--tlskey", f("server-key.pem"))
	waitFor(t, "dockd on "+addr, func() bool {
		return strings.Contains(d.stderr.String(), "addr=tcp://"+addr)
	})
	ca, err := os.ReadFile(f("ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := func(prefix string) *http.Client {
		cfg := &tls.Config{RootCAs: pool}
		if prefix != "" {
			c, err := tls.LoadX509KeyPair(f(prefix+"-cert.pem"), f(prefix+"-key.pem"))
			if err != nil {
				t.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{c}
		}
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
	}
	if body, err := ping(client("client"), "https://"+addr); err != nil || body != "OK" {
		t.Errorf("GET /_ping with the client certificate = %q, %v; want OK", body, err)
	}
	for _, who := range []string{"", "stranger"} {
		if body, err := ping(client(who), "https://"+addr); err == nil {
			t.Errorf("GET /_ping with client certificate %q = %q; want the handshake refused", who, body)
		}
	}
	if body, err := ping(&http.Client{Timeout: 10 * time.Second}, "http://"+addr); err == nil {
		t.Errorf("GET /_ping in the clear = %q; want no answer", body)
	}
	// The docker CLI with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (ca.pem,
	// cert.pem, key.pem).
	cliCerts := t.TempDir()
	for from, to := range map[string]string{"ca.pem": "ca.pem", "client-cert.pem": "cert.pem", "client-key.pem": "key.pem"} {
		b, err := os.ReadFile(f(from))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(cliCerts, to), b, 0o600)
	}
	env := append(clientEnv(t, d), "DOCKER_HOST=tcp://"+addr, "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH="+cliCerts)
	r := runClient(t, env, nil, time.Minute, dockerBin(t), "version", "--format", "{{.Server.Os}}")
	if r.code != 0 || r.stdout != "linux\n" {
		t.Errorf("docker version over mutual TLS = %v; want linux", r)
	}
}

func TestDockdInsecureTCP(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	d := startDockd(t, newRoot(t), "", "-H", "tcp://"+addr, "--insecure-tcp")
	waitFor(t, "dockd on "+addr, func() bool { return strings.Contains(d.stderr.String(), "addr=tcp://"+addr) })
	if !strings.Contains(d.stderr.String(), "gives root access on this machine") {
		t.Errorf("dockd --insecure-tcp did not warn that it gives root access:\n%s", d.stderr)
	}
	if body, err := ping(&http.Client{Timeout: 10 * time.Second}, "http://"+addr); err != nil || body != "OK" {
		t.Errorf("GET /_ping over plain TCP = %q, %v; want OK", body, err)
	}
}

// Containers belong to their monitors: they keep running when dockd
// stops, and the next dockd sees them; a container whose restart policy
// is always is started again when dockd starts, as dockerd does.
func TestDockdRestartKeepsContainers(t *testing.T) {
	root := newRoot(t)
	sock := filepath.Join(t.TempDir(), "dock.sock")
	d := startDockd(t, root, sock)
	c := &dockerCLI{t: t, d: d, bin: dockerBin(t), env: clientEnv(t, d)}
	c.ok("run", "-d", "--name", "keep", "busybox", "sleep", "600")
	c.ok("run", "-d", "--name", "always", "--restart", "always", "busybox", "sleep", "600")
	c.ok("stop", "-t", "0", "always")
	pid, err := strconv.Atoi(strings.TrimSpace(c.ok("inspect", "--format", "{{.State.Pid}}", "keep")))
	if err != nil || pid <= 0 {
		t.Fatalf("inspect keep's pid: %v", err)
	}
	d.stop()
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("keep's process %d after dockd stopped: %v; want it running", pid, err)
	}

	d = startDockd(t, root, sock)
	c.d = d
	c.expect(0, "true "+strconv.Itoa(pid)+"\n", "inspect", "--format", "{{.State.Running}} {{.State.Pid}}", "keep")
	c.expect(0, "alive\n", "exec", "keep", "echo", "alive")
	c.expect(0, "true\n", "inspect", "--format", "{{.State.Running}}", "always")
	if !strings.Contains(d.stderr.String(), "restarted containers by their restart policy") {
		t.Errorf("the second dockd's log does not name the restarted container:\n%s", d.stderr)
	}
	out := c.ok("ps", "--format", "{{.Names}}")
	if out != "always\nkeep\n" && out != "keep\nalways\n" {
		t.Errorf("docker ps after dockd's restart = %q, want keep and always", out)
	}
	c.ok("rm", "-f", "keep", "always")
}

// SIGINT stops dockd as SIGTERM does; a request that does not end (a
// follow of logs) is cut at --shutdown-timeout, and dockd exits 0.
func TestDockdShutdownCutsStreams(t *testing.T) {
	d := startDockd(t, newRoot(t), "", "--shutdown-timeout", "1s")
	c := &dockerCLI{t: t, d: d, bin: dockerBin(t), env: clientEnv(t, d)}
	c.ok("run", "-d", "--name", "talker", "busybox", "sh", "-c", "echo started; exec sleep 600")
	logs := exec.Command(c.bin, "logs", "-f", "talker")
	logs.Env = c.env
	out, err := logs.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := logs.Start(); err != nil {
		t.Fatal(err)
	}
	defer logs.Process.Kill()
	first := make([]byte, len("started\n"))
	if _, err := io.ReadFull(out, first); err != nil || string(first) != "started\n" {
		t.Fatalf("docker logs -f: %q, %v; want started", first, err)
	}
	d.cmd.Process.Signal(syscall.SIGINT)
	<-d.done
	if code := d.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("dockd exited %d after SIGINT; want 0:\n%s", code, d.stderr)
	}
	if !strings.Contains(d.stderr.String(), "cutting them") {
		t.Errorf("dockd's log does not say it cut the follow of logs:\n%s", d.stderr)
	}
	io.Copy(io.Discard, out)
	logs.Wait() // ends: its connection is gone
}
