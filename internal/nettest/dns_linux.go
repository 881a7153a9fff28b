package nettest

import (
	"net"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// exampleZone is the zone the DNS server knows; its subdomains resolve.
const exampleZone = ".example.test."

// dnsReply answers one query: A and AAAA for *.example.test, no answers
// for other types there, NXDOMAIN for every other name. Malformed queries
// and responses get nothing, as from a server that dropped them.
func dnsReply(_ net.Addr, req []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(req)
	if err != nil || h.Response {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := strings.ToLower(q.Name.String())
	rh := dnsmessage.Header{
		ID:                 h.ID,
		Response:           true,
		Authoritative:      true,
		RecursionDesired:   h.RecursionDesired,
		RecursionAvailable: true,
	}
	inZone := strings.HasSuffix(name, exampleZone)
	if !inZone {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(make([]byte, 0, 512), rh)
	b.EnableCompression()
	if b.StartQuestions() != nil || b.Question(q) != nil || b.StartAnswers() != nil {
		return nil
	}
	rr := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
	switch {
	case inZone && q.Type == dnsmessage.TypeA:
		if b.AResource(rr, dnsmessage.AResource{A: ExampleIPv4.As4()}) != nil {
			return nil
		}
	case inZone && q.Type == dnsmessage.TypeAAAA:
		if b.AAAAResource(rr, dnsmessage.AAAAResource{AAAA: ExampleIPv6.As16()}) != nil {
			return nil
		}
	}
	out, err := b.Finish()
	if err != nil {
		return nil
	}
	return out
}
