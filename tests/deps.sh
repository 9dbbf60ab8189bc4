#!/bin/bash
# Install the Debian packages gwd builds and tests with, if any is missing.
# Run as root on Debian 12; a no-op when everything is there.
set -euo pipefail

pkgs=(
	build-essential pkg-config clang libclang-rt-14-dev	# build, fuzz
	libbpf-dev libxdp-dev linux-libc-dev	# the XDP fast path (clang -target bpf)
	libmnl-dev libnftnl-dev libjson-c-dev libsystemd-dev libcmocka-dev	# libraries
	iproute2 iputils-ping netcat-openbsd python3 procps nftables tcpdump	# lab scenarios
	netsniff-ng				# trafgen: the SYN flood of tests/bench/syn
	frr					# a real BFD peer (bfdd) on the customer side
	strongswan-charon strongswan-swanctl libstrongswan-standard-plugins	# IKEv2 (AES-GCM, X25519): gwd drives one, customers run one
	qemu-system-x86 linux-image-amd64 busybox-static kmod xz-utils zstd	# VM tier
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
