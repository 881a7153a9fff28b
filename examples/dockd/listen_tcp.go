package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
)

// insecureTCPWarning is Docker's warning for a TCP socket without TLS.
const insecureTCPWarning = "Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network. " +
	"Binding to an IP address, even on localhost, can also give access to scripts run in a browser. Be safe out there!"

// listenTCP listens on addr: with mutual TLS (tlsCfg non-nil: a client
// without a certificate signed by the CA is refused in the handshake), or
// in the clear when --insecure-tcp allowed it, with Docker's warning.
func listenTCP(addr string, tlsCfg *tls.Config, log *slog.Logger) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on tcp://%s: %w", addr, err)
	}
	if tlsCfg == nil {
		log.Warn(insecureTCPWarning, "host", "tcp://"+l.Addr().String())
		return l, nil
	}
	return tls.NewListener(l, tlsCfg), nil
}

// serverTLS loads the mutual TLS configuration: the server's certificate
// and key, and the CA that client certificates must chain to.
func serverTLS(t tlsFiles) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(t.cert, t.key)
	if err != nil {
		return nil, fmt.Errorf("--tlscert/--tlskey: %w", err)
	}
	ca, err := os.ReadFile(t.caCert)
	if err != nil {
		return nil, fmt.Errorf("--tlscacert: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, errors.New("--tlscacert: no PEM certificate in " + t.caCert)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}, nil
}
