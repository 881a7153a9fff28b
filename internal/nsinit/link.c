// A container's link to a bridge arrives in its network namespace
// unconfigured (the engine makes it there, see internal/bridge's
// AddPair): the init gives it its addresses, MAC address and routes, over
// a netlink socket of its own, before anything else runs there. Three or four small requests
// here cost less than the engine entering the namespace to make them.

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nsinit.h"

struct request {
	struct nlmsghdr h;
	char body[256];
};

static void add_attr(struct request *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

// start begins a request of type with a header of size hlen.
static void *start(struct request *r, unsigned short type, unsigned short flags, size_t hlen)
{
	memset(r, 0, sizeof *r);
	r->h.nlmsg_len = NLMSG_LENGTH(hlen);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return NLMSG_DATA(&r->h);
}

// talk sends r and fails the init with what and the kernel's error when
// the answer is one.
static void talk(int s, struct request *r, const char *what, const char *name)
{
	static uint32_t seq;
	r->h.nlmsg_seq = ++seq;
	if (send(s, r, r->h.nlmsg_len, 0) < 0)
		dock_fail(1, errno, "%s %s", what, name);
	// An error answer repeats the request: it fits.
	char buf[sizeof(struct nlmsghdr) + sizeof(struct nlmsgerr) + sizeof *r];
	ssize_t n = recv(s, buf, sizeof buf, 0);
	if (n < 0)
		dock_fail(1, errno, "%s %s", what, name);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if ((size_t)n < NLMSG_LENGTH(sizeof(struct nlmsgerr)) || h->nlmsg_type != NLMSG_ERROR)
		dock_fail(1, EPROTO, "%s %s", what, name);
	struct nlmsgerr *e = NLMSG_DATA(h);
	if (e->error)
		dock_fail(1, -e->error, "%s %s", what, name);
}

// next reads one address of f's wire form (see Plan.Link) at *off: its
// family and bytes, and the prefix length when bits is not NULL.
static int next(struct field *f, uint32_t *off, unsigned char *addr, int *bits)
{
	if (*off >= f->n)
		return 0;
	unsigned len = (unsigned char)f->p[*off];
	if ((len != 4 && len != 16) || *off + 1 + len + (bits ? 1 : 0) > f->n)
		dock_fail(1, EINVAL, "link: bad address");
	memcpy(addr, f->p + *off + 1, len);
	*off += 1 + len;
	if (bits)
		*bits = (unsigned char)f->p[(*off)++];
	return len == 4 ? AF_INET : AF_INET6;
}

void dock_op_link(struct field *f)
{
	const char *name = f[0].p;
	int index = if_nametoindex(name);
	if (index == 0)
		dock_fail(1, errno, "find %s", name);
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		dock_fail(1, errno, "netlink socket");
	struct request r;
	unsigned char addr[16];
	int family, bits;
	for (uint32_t off = 0; (family = next(&f[1], &off, addr, &bits));) {
		struct ifaddrmsg *m = start(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof *m);
		m->ifa_family = family;
		m->ifa_prefixlen = bits;
		m->ifa_index = index;
		size_t len = family == AF_INET ? 4 : 16;
		add_attr(&r, IFA_ADDRESS, addr, len);
		if (family == AF_INET6) {
			m->ifa_flags = IFA_F_NODAD; // the address is the engine's to give: no duplicate
		} else {
			add_attr(&r, IFA_LOCAL, addr, len);
			if (bits < 31) {
				uint32_t a, host = bits ? 0xffffffffu >> bits : 0xffffffffu;
				memcpy(&a, addr, 4);
				a |= htonl(host);
				add_attr(&r, IFA_BROADCAST, &a, 4);
			}
		}
		talk(s, &r, "add an address to", name);
	}
	struct ifinfomsg *i = start(&r, RTM_NEWLINK, 0, sizeof *i);
	i->ifi_index = index;
	i->ifi_flags = i->ifi_change = IFF_UP;
	// The kernel sets the address before the flags: the link comes up
	// with it (its IPv6 link-local address is derived from it).
	if (f[3].n > 32)
		dock_fail(1, EINVAL, "link: bad MAC address");
	if (f[3].n > 0)
		add_attr(&r, IFLA_ADDRESS, f[3].p, f[3].n);
	talk(s, &r, "set up", name);
	for (uint32_t off = 0; (family = next(&f[2], &off, addr, NULL));) {
		struct rtmsg *m = start(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof *m);
		m->rtm_family = family;
		m->rtm_table = RT_TABLE_MAIN;
		m->rtm_protocol = RTPROT_BOOT;
		m->rtm_scope = RT_SCOPE_UNIVERSE;
		m->rtm_type = RTN_UNICAST;
		add_attr(&r, RTA_GATEWAY, addr, family == AF_INET ? 4 : 16);
		add_attr(&r, RTA_OIF, &index, sizeof index);
		talk(s, &r, "add a default route on", name);
	}
	close(s);
}
