#!/usr/bin/env python3
"""Helpers of the SYN fast path scenarios (tests/lab/syn.sh).

  synlab.py txoff IFNAME
      ethtool -K IFNAME tx off, without ethtool (DESIGN.md: veth hands
      partial checksums to XDP otherwise).
  synlab.py server ADDR PORT LOG
      a TCP server that answers every connection with a minimal HTTP
      response ("hello N"); one line "PEER_ADDR PEER_PORT" per accepted
      connection in LOG.  Both families when ADDR is "::" .
  synlab.py forge-ack SRC DST DPORT [COUNT]
      COUNT (1) TCP ACKs from SRC to DST:DPORT, a made-up cookie (the ack
      number), no SYN-ACK ever sent to SRC: a forged cookie ACK.  IPv4
      only, a raw socket with our own header and checksums.
"""
import fcntl
import os
import random
import socket
import struct
import sys


def txoff(ifname):
    # struct ethtool_value { __u32 cmd; __u32 data; }, ETHTOOL_STXCSUM 0x17
    import array
    ev = array.array("I", [0x17, 0])
    addr, _ = ev.buffer_info()
    ifr = struct.pack("16sP", ifname.encode(), addr)
    SIOCETHTOOL = 0x8946
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifr)


def server(addr, port, log):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6 and addr == "::":
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind((addr, port))
    s.listen(128)
    out = open(log, "a", buffering=1)
    n = 0
    while True:
        c, peer = s.accept()
        n += 1
        a = peer[0]
        if a.startswith("::ffff:"):
            a = a[7:]
        out.write("%s %d\n" % (a, peer[1]))
        c.settimeout(3)
        try:
            req = b""
            while b"\r\n\r\n" not in req and len(req) < 4096:
                d = c.recv(4096)
                if not d:
                    break
                req += d
            body = b"hello %d\n" % n
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n"
                      b"Connection: close\r\n\r\n%s" % (len(body), body))
        except OSError:
            pass
        c.close()


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def forge_ack(src, dst, dport, count=1):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    sa, da = socket.inet_aton(src), socket.inet_aton(dst)
    for _ in range(count):
        sport = random.randint(1024, 65535)
        seq, ack = random.getrandbits(32), random.getrandbits(32)
        # TCP: ports, seq, ack, data offset 5, flags ACK (0x10), window
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, 0x10, 64240, 0, 0)
        pseudo = sa + da + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.getrandbits(16),
                         0x4000, 64, socket.IPPROTO_TCP, 0, sa, da)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        s.sendto(ip + tcp, (dst, 0))
    print("forged %d ACK(s) %s -> %s:%d" % (count, src, dst, dport))


def main():
    a = sys.argv[1:]
    if a[:1] == ["txoff"] and len(a) == 2:
        txoff(a[1])
    elif a[:1] == ["server"] and len(a) == 4:
        server(a[1], int(a[2]), a[3])
    elif a[:1] == ["forge-ack"] and len(a) in (4, 5):
        forge_ack(a[1], a[2], int(a[3]), int(a[4]) if len(a) == 5 else 1)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
