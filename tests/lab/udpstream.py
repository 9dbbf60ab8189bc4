#!/usr/bin/env python3
"""A sequence-numbered UDP stream, for failover measurements.

  udpstream.py send ADDR PORT PPS SECONDS      one datagram per 1/PPS s, until
                                               SECONDS or SIGTERM
  udpstream.py recv ADDR PORT SECONDS OUTFILE  writes "seq arrival_s" lines
                                               until SECONDS or SIGTERM

The largest gap between consecutive arrivals is the outage a failover caused.
"""
import signal
import socket
import struct
import sys
import time


def send(addr, port, pps, seconds):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    period, start, seq = 1.0 / pps, time.monotonic(), 0
    # SIGTERM ends the stream early, still saying how much was sent.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            due = start + seq * period
            now = time.monotonic()
            if now - start >= seconds:
                break
            if due > now:
                time.sleep(due - now)
            s.sendto(struct.pack("!Q", seq), (addr, port))
            seq += 1
    finally:
        print(seq)


def recv(addr, port, seconds, out):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, port))
    s.settimeout(0.2)
    # Stopped when the sender is done: leave through the with, which flushes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    end = time.monotonic() + seconds
    with open(out, "w") as f:
        while time.monotonic() < end:
            try:
                data = s.recv(64)
            except socket.timeout:
                continue
            f.write("%d %.6f\n" % (struct.unpack("!Q", data[:8])[0], time.monotonic()))


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
    else:
        recv(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
