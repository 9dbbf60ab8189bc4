// SPDX-License-Identifier: GPL-2.0
/*
 * The yardsticks of tests/bench/syn, next to gwd's syn.bpf.o on the same veth:
 *   count_drop   - the bare XDP_DROP baseline (one per-CPU counter, then drop);
 *   count_pass   - counts and passes: the receiver side of the kernel SYN
 *                  cookie series (same native XDP rx path as ours);
 *   synack_count - on the generator's veth: counts and drops IPv4 SYN-ACKs to
 *                  198.18.0.0/15 (the flood's sources), passes the rest (the
 *                  real client's traffic), and accepts XDP_TX/redirected frames.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bench_count SEC(".maps");

static __always_inline void count(void)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&bench_count, &k);

	if (v)
		(*v)++;
}

SEC("xdp")
int count_drop(struct xdp_md *ctx)
{
	count();
	return XDP_DROP;
}

SEC("xdp")
int count_pass(struct xdp_md *ctx)
{
	count();
	return XDP_PASS;
}

SEC("xdp")
int synack_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);

	if ((void *)(tcp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_TCP || ip->ihl != 5)
		return XDP_PASS;
	if ((ip->daddr & bpf_htonl(0xfffe0000)) != bpf_htonl(0xc6120000))
		return XDP_PASS;
	if (tcp->syn && tcp->ack)
		count();
	return XDP_DROP;
}
