package dnsserver

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// TestLoad: 50 clients ask 10 questions each at once, local and forwarded
// names alternating, over UDP and TCP: all 500 are answered right.
func TestLoad(t *testing.T) {
	checkGoroutines(t)
	up := okUpstream(t)
	udp, tcp := serve(t, &Server{Names: testNames(up.addr)}, testAsker)
	const clients, each = 50, 10
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				name, want := "web.", "A "+webV4.String()
				if i%2 == 1 {
					name, want = fmt.Sprintf("n%d-%d.example.", c, i), "A "+outsideIP.String()
				}
				errs <- askOnce(c%5 == 0, udp, tcp, uint16(c*each+i), name, want)
			}
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
			if failed <= 5 {
				t.Error(err)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d queries failed", failed, clients*each)
	}
}

// askOnce asks name A and checks the answer; for any goroutine.
func askOnce(overTCP bool, udp, tcp string, id uint16, name, want string) error {
	q, err := buildQuery(id, name, dnsmessage.TypeA, 0)
	if err != nil {
		return err
	}
	var resp []byte
	if overTCP {
		resp, err = tryTCP(tcp, q)
	} else {
		resp, err = tryUDP(udp, q)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var m dnsmessage.Message
	if err := m.Unpack(resp); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var got []string
	for _, a := range m.Answers {
		if r, ok := a.Body.(*dnsmessage.AResource); ok {
			got = append(got, fmt.Sprintf("A %d.%d.%d.%d", r.A[0], r.A[1], r.A[2], r.A[3]))
		}
	}
	if m.ID != id || m.RCode != dnsmessage.RCodeSuccess || !slices.Equal(got, []string{want}) {
		return fmt.Errorf("%s = ID %d %v %q, want ID %d NOERROR %q", name, m.ID, m.RCode, got, id, want)
	}
	return nil
}
