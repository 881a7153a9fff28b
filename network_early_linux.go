package dock

import (
	"fmt"
	"os"

	"github.com/go-dock/dock/internal/bridge"
	"github.com/go-dock/dock/internal/nsinit"
)

// earlyLinks are the veth pairs of an attached start on bridge networks,
// made in the network namespace of the program's prespawned init (package
// prespawn) as soon as the start begins: that namespace exists since the
// program started, and a pair (the kernel's most costly part of a
// network, about a millisecond) is made while the start prepares its
// cgroup and the init's plan, reserves its ports and allocates its
// addresses, instead of after. Only on bridges that are up (their index is all a pair needs),
// and never in place of a link of the same name: a running container's
// pair, or the last run's that the kernel still tears down, makes the
// early pair fail, and place makes it later as it always did. A start
// that does not use the init (it failed first) discards it, and the
// pairs go with its namespace.
type earlyLinks struct {
	pre  *nsinit.Prespawned
	done chan struct{}
	// made is each pair made, by the name of its host end: the index of
	// its bridge. Read once done is closed.
	made map[string]int
}

// startEarlyLinks takes the prespawned init for an attached start on
// bridge networks (l's namespaces must be the init's) and starts making
// its pairs; nil when there is no such init, or nothing to make early.
func (c *Container) startEarlyLinks(rec *containerRecord, l *launch) *earlyLinks {
	if modeOf(rec.Config.Network) != netBridge || l.pidns != "" || !nsinit.PrespawnedWaiting() {
		return nil
	}
	eps, err := c.networks(rec)
	if err != nil || len(eps) == 0 {
		return nil
	}
	var links []bridge.Link
	for i, ep := range eps {
		def, err := c.e.networkByID(ep.Network)
		if err != nil {
			return nil // the start reports it
		}
		links = append(links, unplannedLink(rec.ID, def, i))
	}
	pre := nsinit.TakePrespawned(initCloneFlags(l))
	if pre == nil {
		return nil
	}
	el := &earlyLinks{pre: pre, done: make(chan struct{}), made: map[string]int{}}
	go el.makePairs(pre.Pid, links)
	return el
}

// makePairs makes links in the namespace of the init pid.
func (el *earlyLinks) makePairs(pid int, links []bridge.Link) {
	defer close(el.done)
	ns, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return
	}
	defer ns.Close()
	for _, l := range links {
		br, err := bridge.Index(l.Bridge)
		if err == nil && bridge.AddNewPair(br, l, int(ns.Fd())) == nil {
			el.made[l.Host] = br
			earlyPairs.Add(1)
		}
	}
}

// pairs waits for the pairs and returns them (see made); none for nil.
func (el *earlyLinks) pairs() map[string]int {
	if el == nil {
		return nil
	}
	<-el.done
	return el.made
}

// take hands the prespawned init to the start that spawns it: nil when
// there is none, or when the start's namespaces are not the init's.
func (el *earlyLinks) take(flags uintptr) *nsinit.Prespawned {
	if el == nil || el.pre == nil {
		return nil
	}
	pre := el.pre
	el.pre = nil
	if pre.Flags != flags {
		el.discardInit(pre)
		return nil
	}
	return pre
}

// discard ends an init the start did not take (it failed before).
func (el *earlyLinks) discard() {
	if el == nil || el.pre == nil {
		return
	}
	el.discardInit(el.pre)
	el.pre = nil
}

// discardInit kills the init once its pairs are made, so that none is
// made in its namespace after; they go with it.
func (el *earlyLinks) discardInit(pre *nsinit.Prespawned) {
	<-el.done
	el.made = nil
	pre.Discard()
}
