package firewall

import (
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
)

// tableName is the table's name, in the inet family (IPv4 and IPv6).
const tableName = "dock"

// setDef declares one set or map of the table.
type setDef struct {
	name      string
	key, data nftables.SetDatatype // data only for maps
	interval  bool
}

var (
	ifnamePair  = nftables.MustConcatSetType(nftables.TypeIFName, nftables.TypeIFName)
	protoPort   = nftables.MustConcatSetType(nftables.TypeInetProto, nftables.TypeInetService)
	addr4Port   = nftables.MustConcatSetType(nftables.TypeIPAddr, nftables.TypeInetService)
	addr6Port   = nftables.MustConcatSetType(nftables.TypeIP6Addr, nftables.TypeInetService)
	addr4Proto  = nftables.MustConcatSetType(nftables.TypeIPAddr, nftables.TypeInetProto, nftables.TypeInetService)
	addr6Proto  = nftables.MustConcatSetType(nftables.TypeIP6Addr, nftables.TypeInetProto, nftables.TypeInetService)
	addr4IfName = nftables.MustConcatSetType(nftables.TypeIPAddr, nftables.TypeIFName)
	addr6IfName = nftables.MustConcatSetType(nftables.TypeIP6Addr, nftables.TypeIFName)
)

// setDefs are the table's sets in batch order (see plan.go for what each
// holds).
var setDefs = []setDef{
	{name: setBridges, key: nftables.TypeIFName},
	{name: setInternal, key: nftables.TypeIFName},
	{name: setSame, key: ifnamePair},
	{name: setMasq4, key: nftables.TypeIPAddr, interval: true},
	{name: setMasq6, key: nftables.TypeIP6Addr, interval: true},
	{name: setOwn4, key: addr4IfName, interval: true},
	{name: setOwn6, key: addr6IfName, interval: true},
	{name: mapPorts4, key: protoPort, data: addr4Port},
	{name: mapPorts6, key: protoPort, data: addr6Port},
	{name: mapHostPorts4, key: addr4Proto, data: addr4Port},
	{name: mapHostPorts6, key: addr6Proto, data: addr6Port},
}

// addTable appends to c's batch the replacement of the table by the one
// that p describes; a nil p only deletes it. Creating the table first makes
// the delete valid when there was none, so the batch needs no prior read
// (nft's own idiom, and atomic: the kernel applies the batch whole or not
// at all).
func addTable(c *nftables.Conn, p plan) error {
	t := &nftables.Table{Family: nftables.TableFamilyINet, Name: tableName}
	c.AddTable(t)
	c.DelTable(t)
	if p == nil {
		return nil
	}
	c.AddTable(t)
	sets := map[string]*nftables.Set{}
	for i, d := range setDefs {
		s := d.set(t, uint32(i+1))
		if err := c.AddSet(s, nil); err != nil {
			return fmt.Errorf("add set %s: %w", d.name, err)
		}
		if err := addElements(c, s, p[d.name]); err != nil {
			return err
		}
		sets[d.name] = s
	}
	for _, ch := range chains(t, sets) {
		c.AddChain(ch.chain)
		for _, r := range ch.rules {
			c.AddRule(&nftables.Rule{Table: t, Chain: ch.chain, Exprs: r.exprs, UserData: comment(r.comment)})
		}
	}
	return nil
}

// set is the set d declares, in t; id names it inside a batch that adds
// it (0 for one that exists).
func (d setDef) set(t *nftables.Table, id uint32) *nftables.Set {
	s := &nftables.Set{
		Table: t, Name: d.name,
		// IDs name the sets inside the batch. Ours, not the package's
		// global counter, which is shared by every Conn unlocked.
		ID:       id,
		KeyType:  d.key,
		Interval: d.interval,
		// What nft sends for a key of one host-order field (an ifname):
		// without it, nft list shows the names as "".
		KeyByteOrder: keyOrder(d.key),
		// A concatenation with intervals (the pipapo set) needs the
		// sizes of its fields, which google/nftables sends only with
		// this flag.
		Concatenation: d.interval && len(nftables.ConcatSetTypeElements(d.key)) > 1,
	}
	if d.data.Bytes > 0 {
		s.IsMap, s.DataType = true, d.data
	}
	return s
}

// keyOrder is the byte order that nft records (in the set's userdata) for
// a key type: host order for a lone ifname, else big endian (network
// order, which google/nftables also records for every interval set).
func keyOrder(t nftables.SetDatatype) binaryutil.ByteOrder {
	if t.Name == nftables.TypeIFName.Name {
		return binaryutil.NativeEndian
	}
	return binaryutil.BigEndian
}

// addElements adds els to s, in as many messages as chunks says.
func addElements(c *nftables.Conn, s *nftables.Set, els []element) error {
	for _, chunk := range chunks(els) {
		batch := make([]nftables.SetElement, len(chunk))
		for i, e := range chunk {
			batch[i] = nftables.SetElement{Key: e.key, KeyEnd: e.keyEnd, Val: e.val, IntervalEnd: e.intervalEnd}
		}
		if err := c.SetAddElements(s, batch); err != nil {
			return fmt.Errorf("add elements to set %s: %w", s.Name, err)
		}
	}
	return nil
}

// chainDef is one chain and its rules.
type chainDef struct {
	chain *nftables.Chain
	rules []ruleDef
}

type ruleDef struct {
	comment string
	exprs   []expr.Any
}

// publishedChain is the regular chain of the DNAT rules, jumped to from
// nat prerouting and nat output.
const publishedChain = "published"

// chains returns the table's chains and their rules, which are the same
// for every Ruleset: only the sets' elements differ.
//
// Accept in this table is not final: a packet accepted here still passes
// every other table's chains on the same hook, and a drop there wins
// (Docker's ip filter FORWARD policy drop, firewalld's inet firewalld).
// So our forward chain only drops, and leaves the rest to the kernel's
// default and to whoever else filters.
func chains(t *nftables.Table, s map[string]*nftables.Set) []chainDef {
	base := func(name string, typ nftables.ChainType, hook *nftables.ChainHook, prio *nftables.ChainPriority) *nftables.Chain {
		return &nftables.Chain{Name: name, Table: t, Type: typ, Hooknum: hook, Priority: prio}
	}
	published := &nftables.Chain{Name: publishedChain, Table: t}
	toPublished := []ruleDef{{"to a local address: published ports", exprs(fibDaddrLocal(), jump(publishedChain))}}

	var dnat []ruleDef
	for fam := range 2 {
		// [ip daddr .] meta l4proto . th dport map @m: the key starts in
		// reg32; the value (address . port) lands in reg1, its port in
		// the 32-bit register after the address.
		addrRegs := addrLen[fam] / 4
		portReg := reg32 + addrRegs
		nat := &expr.NAT{Type: expr.NATTypeDestNAT, Family: natFamily[fam], RegAddrMin: reg1, RegProtoMin: portReg, Specified: true}
		dnat = append(dnat,
			ruleDef{"published on one address", exprs(nfproto(fam),
				network(daddrOffset[fam], addrLen[fam], reg32),
				meta(expr.MetaKeyL4PROTO, reg32+addrRegs),
				transport(2, 2, reg32+addrRegs+1),
				mapTo(s[hostPortsMap[fam]], reg32, reg1), nat)},
			ruleDef{"published on every address", exprs(nfproto(fam),
				meta(expr.MetaKeyL4PROTO, reg32),
				transport(2, 2, reg32+1),
				mapTo(s[portsMap[fam]], reg32, reg1), nat)},
		)
	}

	post := []ruleDef{
		{"host loopback to a published port: the container must answer the bridge", exprs(nfproto(0),
			meta(expr.MetaKeyOIFNAME, reg1), in(s[setBridges], reg1, false),
			network(saddrOffset[0], 1, reg1), eq(reg1, []byte{127}),
			&expr.Masq{})},
	}
	for fam, names := range [2][2]string{{setMasq4, setOwn4}, {setMasq6, setOwn6}} {
		// ip saddr . oifname: the key of both rules.
		saddrOif := exprs(network(saddrOffset[fam], addrLen[fam], reg32), meta(expr.MetaKeyOIFNAME, reg32+addrLen[fam]/4))
		post = append(post,
			// Not "iifname . oifname": when br_netfilter is loaded, the
			// kernel DNATs such a packet on the bridge itself, and
			// postrouting sees no input interface.
			ruleDef{"hairpin: a published port reached from its own network", exprs(nfproto(fam),
				ctStatusDNAT(), saddrOif, in(s[names[1]], reg32, false), &expr.Masq{})},
			ruleDef{"leaving a network's subnet through another interface", exprs(nfproto(fam),
				saddrOif, in(s[names[0]], reg32, false), in(s[names[1]], reg32, true), &expr.Masq{})},
		)
	}

	// iifname . oifname != @same-bridge, with both names loaded.
	notSame := exprs(meta(expr.MetaKeyIIFNAME, reg32), meta(expr.MetaKeyOIFNAME, reg32+4), in(s[setSame], reg32, true))
	drop := verdict(expr.VerdictDrop)
	forward := []ruleDef{
		{"between dock networks", exprs(notSame, in(s[setBridges], reg32, false), in(s[setBridges], reg32+4, false), drop)},
		{"out of an internal network", exprs(notSame, in(s[setInternal], reg32, false), drop)},
		{"into an internal network", exprs(notSame, in(s[setInternal], reg32+4, false), drop)},
	}

	raw := []ruleDef{{"remote packets to loopback (CVE-2020-8558: route_localnet lets them in)", exprs(nfproto(0),
		meta(expr.MetaKeyIIFNAME, reg1), neq(reg1, []byte("lo\x00")),
		network(daddrOffset[0], 1, reg1), eq(reg1, []byte{127}),
		drop)}}

	return []chainDef{
		{base("raw-prerouting", nftables.ChainTypeFilter, nftables.ChainHookPrerouting, nftables.ChainPriorityRaw), raw},
		{published, dnat},
		{base("nat-prerouting", nftables.ChainTypeNAT, nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest), toPublished},
		{base("nat-output", nftables.ChainTypeNAT, nftables.ChainHookOutput, nftables.ChainPriorityNATDest), toPublished},
		{base("nat-postrouting", nftables.ChainTypeNAT, nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource), post},
		{base("forward", nftables.ChainTypeFilter, nftables.ChainHookForward, nftables.ChainPriorityFilter), forward},
	}
}
