package dnsserver

import (
	"encoding/binary"
	"net/netip"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

const (
	// ttl is the time to live of local answers, in seconds: Docker's.
	ttl = 600
	// ednsSize is the UDP payload size this server states in its OPT
	// records: the DNS Flag Day 2020 value.
	ednsSize = 1232
	// minUDPSize is what a UDP answer may hold without EDNS (RFC 1035).
	minUDPSize = 512
	// maxTCPSize is what a 2-byte length prefix can frame.
	maxTCPSize = 65535
	// headerLen is the size of a DNS header.
	headerLen = 12
)

// action is what to do with one request.
type action int

const (
	drop    action = iota // nothing: not a query we can answer
	reply                 // send the reply built
	forward               // send the raw request upstream
)

// query is what the server read from one request.
type query struct {
	hdr      dnsmessage.Header
	question dnsmessage.Question
	hasQ     bool // question parsed: echo it in replies
	edns     bool // the request had an OPT record: answer with one
	udpSize  int  // how large a UDP reply the asker takes
}

// handle reads the request msg from asker and decides what to do. A reply
// is built by appending to buf, sized for a UDP asker unless tcp; q is
// filled for a forward, whose error replies it builds. handle neither
// keeps nor changes msg.
func (s *Server) handle(asker string, msg []byte, tcp bool, buf []byte, q *query) (action, []byte) {
	*q = query{udpSize: minUDPSize}
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil || h.Response {
		// Too short for a header, or a reply: answering either could
		// start a loop between two servers.
		return drop, nil
	}
	q.hdr = h
	if h.OpCode != 0 {
		return q.errorReply(buf, dnsmessage.RCodeNotImplemented)
	}
	if binary.BigEndian.Uint16(msg[4:6]) != 1 {
		return q.errorReply(buf, dnsmessage.RCodeFormatError)
	}
	if q.question, err = p.Question(); err != nil {
		return q.errorReply(buf, dnsmessage.RCodeFormatError)
	}
	q.hasQ = true
	if err := q.readEDNS(&p); err != nil {
		return q.errorReply(buf, dnsmessage.RCodeFormatError)
	}
	if q.question.Class != dnsmessage.ClassINET {
		return forward, nil
	}
	name := lowerName(q.question.Name)
	if name == "" {
		return forward, nil
	}
	if q.question.Type == dnsmessage.TypePTR {
		if addr, ok := parseReverse(name); ok {
			ptr, ok := s.Names.Reverse(asker, addr)
			if !ok {
				return forward, nil
			}
			return q.answer(buf, tcp, nil, ptr)
		}
	}
	addrs, ok := s.Names.Lookup(asker, name)
	if !ok {
		return forward, nil
	}
	return q.answer(buf, tcp, addrs, "")
}

// readEDNS finds the asker's OPT record, if any, among the additional
// records, after skipping the (normally empty) answer and authority
// sections. The question must have been read.
func (q *query) readEDNS(p *dnsmessage.Parser) error {
	if err := p.SkipAllQuestions(); err != nil { // ends the section
		return err
	}
	if err := p.SkipAllAnswers(); err != nil {
		return err
	}
	if err := p.SkipAllAuthorities(); err != nil {
		return err
	}
	for {
		rh, err := p.AdditionalHeader()
		if err == dnsmessage.ErrSectionDone {
			return nil
		}
		if err != nil {
			return err
		}
		if rh.Type == dnsmessage.TypeOPT && !q.edns {
			q.edns = true
			q.udpSize = max(int(rh.Class), minUDPSize)
		}
		if err := p.SkipAdditional(); err != nil {
			return err
		}
	}
}

// answer builds a NOERROR reply with the records for the question: the
// addresses of its type, or the PTR record naming ptr when that is set. A
// reply too large for the asker is replaced by an empty truncated one.
func (q *query) answer(buf []byte, tcp bool, addrs []netip.Addr, ptr string) (action, []byte) {
	limit := q.udpSize
	if tcp {
		limit = maxTCPSize
	}
	out, err := q.build(buf, dnsmessage.RCodeSuccess, false, addrs, ptr)
	if err != nil {
		// Only a name from Reverse can fail to build: too long, or with
		// empty labels. The asker learns that we failed, not that the
		// address has no name.
		return q.errorReply(buf, dnsmessage.RCodeServerFailure)
	}
	if len(out) > limit {
		out, err = q.build(out[:0], dnsmessage.RCodeSuccess, true, nil, "")
		if err != nil {
			return drop, nil
		}
	}
	return reply, out
}

// errorReply builds a reply with rcode and no records.
func (q *query) errorReply(buf []byte, rcode dnsmessage.RCode) (action, []byte) {
	out, err := q.build(buf, rcode, false, nil, "")
	if err != nil {
		return drop, nil
	}
	return reply, out
}

// build appends to buf the reply to q with rcode, the question if it was
// read, the records for it (see answer) and an OPT record if the asker sent
// one.
func (q *query) build(buf []byte, rcode dnsmessage.RCode, truncated bool, addrs []netip.Addr, ptr string) ([]byte, error) {
	b := dnsmessage.NewBuilder(buf, dnsmessage.Header{
		ID:                 q.hdr.ID,
		Response:           true,
		OpCode:             q.hdr.OpCode,
		Truncated:          truncated,
		RecursionDesired:   q.hdr.RecursionDesired,
		RecursionAvailable: true,
		CheckingDisabled:   q.hdr.CheckingDisabled,
		RCode:              rcode,
	})
	if q.count(addrs) > 1 {
		// The answers repeat the question's name: a pointer each instead
		// of up to 255 bytes. Not for one record, to spare the map.
		b.EnableCompression()
	}
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if q.hasQ {
		if err := b.Question(q.question); err != nil {
			return nil, err
		}
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	rh := dnsmessage.ResourceHeader{Name: q.question.Name, Class: dnsmessage.ClassINET, TTL: ttl}
	if ptr != "" {
		if ptr[len(ptr)-1] != '.' {
			ptr += "."
		}
		name, err := dnsmessage.NewName(ptr)
		if err != nil {
			return nil, err
		}
		if err := b.PTRResource(rh, dnsmessage.PTRResource{PTR: name}); err != nil {
			return nil, err
		}
	}
	if err := q.addAddrs(&b, rh, addrs); err != nil {
		return nil, err
	}
	if q.edns {
		if err := b.StartAdditionals(); err != nil {
			return nil, err
		}
		var opt dnsmessage.ResourceHeader
		if err := opt.SetEDNS0(ednsSize, dnsmessage.RCodeSuccess, false); err != nil {
			return nil, err
		}
		if err := b.OPTResource(opt, dnsmessage.OPTResource{}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// wants reports whether the question asks for a, unmapped: IPv4 addresses
// (IPv4-mapped IPv6 included) for A, IPv6 ones for AAAA, both for ANY.
func (q *query) wants(a netip.Addr) bool {
	switch q.question.Type {
	case dnsmessage.TypeA:
		return a.Is4()
	case dnsmessage.TypeAAAA:
		return a.Is6()
	case dnsmessage.TypeALL:
		return a.IsValid()
	}
	return false
}

// count is how many of addrs the question asks for.
func (q *query) count(addrs []netip.Addr) int {
	n := 0
	for _, a := range addrs {
		if q.wants(a.Unmap()) {
			n++
		}
	}
	return n
}

// addAddrs adds the records of the addresses that the question asks for.
func (q *query) addAddrs(b *dnsmessage.Builder, rh dnsmessage.ResourceHeader, addrs []netip.Addr) error {
	for _, a := range addrs {
		a = a.Unmap()
		if !q.wants(a) {
			continue
		}
		var err error
		if a.Is4() {
			err = b.AResource(rh, dnsmessage.AResource{A: a.As4()})
		} else {
			err = b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: a.As16()})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// lowerName returns n in ASCII lower case without its trailing dot: the
// form Names sees. DNS names compare case-insensitively in ASCII only (RFC
// 4343); other bytes stay as they are.
func lowerName(n dnsmessage.Name) string {
	b := n.Data[:n.Length]
	if len(b) > 0 && b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		sb.WriteByte(c)
	}
	return sb.String()
}
