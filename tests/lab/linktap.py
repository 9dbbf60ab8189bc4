#!/usr/bin/env python3
"""What crosses a link, in order, for checks that count probes.

  linktap.py IFNAME SECONDS OUTFILE

writes one line per IPv4 packet IFNAME receives or sends (as the link sees
it: received before any firewall, sent after): "TIME in|out icmp TYPE SEQ
DST" for ICMP echo requests and replies, "TIME in|out udp DPORT DST" for UDP.
TIME is when it crossed the link (the kernel's CLOCK_REALTIME stamp, in
seconds); lines come in the order they crossed.  Other packets are left out.
IFNAME may be down or not exist yet: we listen on every link of the
namespace and pick its packets, so none is missed while it comes up.  Exits
1 if the kernel dropped any.
"""
import socket
import struct
import sys
import time

SOL_PACKET, PACKET_STATISTICS = 263, 6
SO_TIMESTAMPNS = 35


def main(ifname, seconds, out):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(3))  # ETH_P_ALL
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.settimeout(0.2)
    end = time.monotonic() + seconds
    with open(out, "w", buffering=1) as f:
        while time.monotonic() < end:
            try:
                data, anc, _, addr = s.recvmsg(2048, 64)
            except socket.timeout:
                continue
            if addr[0] != ifname or addr[1] != 0x0800 or len(data) < 20:
                continue
            way = "out" if addr[2] == socket.PACKET_OUTGOING else "in"
            t = time.time()
            for level, kind, stamp in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", stamp[:16])
                    t = sec + nsec / 1e9
            ihl, proto = (data[0] & 0x0F) * 4, data[9]
            dst = socket.inet_ntoa(data[16:20])
            l4 = data[ihl:]
            if proto == 1 and len(l4) >= 8 and l4[0] in (0, 8):
                seq = struct.unpack("!H", l4[6:8])[0]
                f.write("%.6f %s icmp %d %d %s\n" % (t, way, l4[0], seq, dst))
            elif proto == 17 and len(l4) >= 8:
                port = struct.unpack("!H", l4[2:4])[0]
                f.write("%.6f %s udp %d %s\n" % (t, way, port, dst))
    drops = struct.unpack("II", s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))[1]
    if drops:
        sys.exit("linktap: the kernel dropped %d packets: the order is incomplete" % drops)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), sys.argv[3])
