#!/bin/sh
# The vici codec benchmark (tests/bench/vici-codec.c): builds it with the
# project's flags and runs it; a few seconds, no root, no charon.
set -eu
cd "$(dirname "$0")/../.."
bin=$(mktemp "${TMPDIR:-/tmp}/gwd-vici-bench.XXXXXX")
trap 'rm -f "$bin"' EXIT
${CC:-cc} -O2 -g -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -D_GNU_SOURCE -I. $(pkg-config --cflags json-c) \
	-o "$bin" tests/bench/vici-codec.c ipsec/vici-msg.c $(pkg-config --libs json-c)
"$bin"
