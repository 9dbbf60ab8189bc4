// SPDX-License-Identifier: GPL-2.0
/* Another tool's XDP program, for test-xdp-attach: passes everything. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int foreign_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
