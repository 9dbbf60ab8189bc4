/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The words of filters, which the parser reads and the printer writes
 * back: one table each, so that the two cannot disagree.  And the TCP MSS
 * a path clamps SYNs to, which nftables applies next to the filters.
 */
#include <netinet/in.h>

#include "conf/internal.h"

const char *const conf_proto_names[CONF_PROTOS] = {
	"tcp", "udp", "icmp", "icmpv6", "sctp", "gre", "esp",
};
const uint8_t conf_proto_numbers[CONF_PROTOS] = {
	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP,
	IPPROTO_GRE, IPPROTO_ESP,
};

/* In the order of their bits in the TCP header, as nftables names them. */
const char *const conf_tcp_flag_names[8] = {
	"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr",
};

/* nftables' units: a kbyte is 1024 bytes. */
const char *const conf_rate_unit_names[CONF_RATE_UNITS] = {
	"bytes", "kbytes", "mbytes",
};
const uint32_t conf_rate_unit_bytes[CONF_RATE_UNITS] = { 1, 1024, 1048576 };

const char *const conf_rate_period_names[CONF_RATE_PERIODS] = {
	"second", "minute", "hour",
};
const uint32_t conf_rate_period_seconds[CONF_RATE_PERIODS] = { 1, 60, 3600 };

/*
 * The IPv4 header and the TCP header, each without options, take 40 bytes;
 * IPv6 60.  A tunnel always has an MTU: conf_parse() gives every GRE and
 * IPsec path one (parse.c default_mtu()), at least 68, so that this cannot
 * go below 8.  A VLAN path carries the customer's own MTU and is not
 * clamped.
 */
uint16_t conf_path_mss(const struct path_conf *p, int family)
{
	if (p->type == PATH_VLAN)
		return 0;
	if (p->mss)
		return p->mss;
	return p->mtu - (family == AF_INET6 ? 60 : 40);
}
