#!/bin/sh
# The nftables benchmark (tests/bench/nft-load.c): nft_apply() of N
# customers with a filter plus M site block prefixes against nft -f of the
# same ruleset, then one runtime element through nft_element() against
# "nft add element", all in a network namespace of its own.  Root.
# Usage: tests/bench/nft.sh [CUSTOMERS [BLOCK_PREFIXES]]  (10000 100000)
set -eu
cd "$(dirname "$0")/../.."
if [ "${GWD_NFT_BENCH_NS:-}" != 1 ]; then
	export GWD_NFT_BENCH_NS=1
	exec unshare -n "$0" "$@"
fi
bin=$(mktemp "${TMPDIR:-/tmp}/gwd-nft-bench.XXXXXX")
trap 'rm -f "$bin"' EXIT
pkgs="libmnl libnftnl json-c"
${CC:-cc} -O2 -g -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter -D_GNU_SOURCE -I. \
	$(pkg-config --cflags $pkgs) -o "$bin" tests/bench/nft-load.c \
	netlink/nft.c netlink/nft-apply.c netlink/nft-rule.c netlink/nft-set.c \
	conf/*.c $(pkg-config --libs $pkgs)
"$bin" "$@"
