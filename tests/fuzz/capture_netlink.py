#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Capture real kernel netlink messages as seeds for fuzz_netlink.

Builds two throwaway network namespaces joined by a veth (plus a second
veth pair, and a macvlan, ipvlan, bridge and vxlan where the kernel has
them), v4/v6 addresses with and without peer, routes with
gateway, table, metric, mtu, src, multipath, blackhole), then from inside
the first one dumps links, addresses and routes, asks for a netns id and
provokes errors with extended acks (capped and uncapped). Every message the
kernel sends becomes one file in OUTDIR; each dump's first recv() buffer is
also kept whole (several messages in a row, as lx_nl_dump sees them). The
namespaces are deleted on exit. Needs root and ip(8); not part of the build.

    tests/fuzz/capture_netlink.py [OUTDIR]   (default tests/fuzz/corpus/fuzz_netlink)
"""
import os
import socket
import struct
import subprocess
import sys

NETLINK_ROUTE = 0
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 1, 4, 0x200, 0x400
NLM_F_DUMP = 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_NEWLINK, RTM_GETLINK = 16, 18
RTM_NEWADDR, RTM_GETADDR = 20, 22
RTM_NEWROUTE, RTM_GETROUTE = 24, 26
RTM_GETNSID = 90
IFLA_IFNAME, IFLA_LINKINFO, IFLA_INFO_KIND = 3, 18, 1
RTA_DST, RTA_GATEWAY = 1, 5
NETNSA_FD = 3
NAMES = {NLMSG_ERROR: "error", NLMSG_DONE: "done", RTM_NEWLINK: "link",
         RTM_NEWADDR: "addr", RTM_NEWROUTE: "route", 88: "nsid"}


def attr(kind, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, kind) + payload + b"\0" * (-n % 4)


def msg(kind, flags, body, seq):
    return struct.pack("=IHHII", 16 + len(body), kind, flags, seq, 0) + body


class Capture:
    def __init__(self, outdir):
        self.outdir = outdir
        self.seq = 0
        self.count = {}

    def save(self, name, data):
        with open(os.path.join(self.outdir, name), "wb") as f:
            f.write(data)

    def talk(self, req_type, flags, body, capped=True, whole=None):
        """Send one request; save every message of the answer."""
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        if capped:
            s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.seq += 1
        s.send(msg(req_type, NLM_F_REQUEST | flags, body, self.seq))
        first = True
        while True:
            buf = s.recv(65536)
            if first and whole:
                self.save(whole, buf)
            first = False
            off, end = 0, False
            while off + 16 <= len(buf):
                n, t = struct.unpack_from("=IH", buf, off)
                name = NAMES.get(t, "type%d" % t)
                i = self.count[name] = self.count.get(name, 0) + 1
                self.save("%s-%03d" % (name, i), buf[off:off + n])
                end = end or t in (NLMSG_ERROR, NLMSG_DONE)
                off += (n + 3) & ~3
            if end:
                break
        s.close()

    def run(self):
        dump = NLM_F_DUMP
        ifi = struct.pack("=BxHiII", 0, 0, 0, 0, 0)
        self.talk(RTM_GETLINK, dump, ifi, whole="stream-links")
        self.talk(RTM_GETADDR, dump, struct.pack("=BBBBI", 0, 0, 0, 0, 0),
                  whole="stream-addrs")
        rtm = struct.pack("=BBBBBBBBI", 0, 0, 0, 0, 0, 0, 0, 0, 0)
        self.talk(RTM_GETROUTE, dump, rtm, whole="stream-routes")
        # The id of the other namespace, as the veth peer made it.
        fd = os.open("/run/netns/" + sys.argv[3], os.O_RDONLY)
        self.talk(RTM_GETNSID, NLM_F_ACK,
                  struct.pack("=Bxxx", 0) + attr(NETNSA_FD,
                                                 struct.pack("=I", fd)))
        os.close(fd)
        # Errors with the kernel's own reason, capped and not.
        bad_gw = struct.pack("=BBBBBBBBI", socket.AF_INET, 24, 0, 0, 254, 3,
                             0, 1, 0)
        bad_gw += attr(RTA_DST, socket.inet_aton("10.99.0.0"))
        bad_gw += attr(RTA_GATEWAY, socket.inet_aton("192.0.2.1"))
        create = NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
        self.talk(RTM_NEWROUTE, create, bad_gw)
        self.talk(RTM_NEWROUTE, create, bad_gw, capped=False)
        kind = attr(IFLA_LINKINFO, attr(IFLA_INFO_KIND, b"nosuchkind\0"))
        self.talk(RTM_NEWLINK, create, ifi + attr(IFLA_IFNAME, b"x0\0") + kind)
        self.talk(RTM_NEWLINK, create, ifi + attr(IFLA_IFNAME, b"eth0\0") +
                  attr(IFLA_LINKINFO, attr(IFLA_INFO_KIND, b"dummy\0")),
                  capped=False)
        # A plain ack.
        self.talk(RTM_GETLINK, NLM_F_ACK, ifi + attr(IFLA_IFNAME, b"lo\0"))


SETUP = """
ip -n {a} link set lo up
ip -n {a} link add eth0 type veth peer name eth0 netns {b}
ip -n {a} link add v1a mtu 1400 type veth peer name v1b mtu 1400
-ip -n {a} link add mv0 link v1a type macvlan mode bridge
-ip -n {a} link add iv0 link v1b type ipvlan mode l3
-ip -n {a} link add br0 type bridge
-ip -n {a} link add vx0 type vxlan id 5 dstport 4789
ip -n {a} link set eth0 up
ip -n {a} link set v1a up
ip -n {a} link set v1b up
ip -n {a} addr add 10.0.0.2/24 dev eth0
ip -n {a} addr add fd00::2/64 dev eth0 nodad
ip -n {a} addr add 10.9.0.1 peer 10.9.0.2/32 dev v1a
ip -n {a} addr add 169.254.7.7/16 dev v1b scope link
ip -n {a} route add default via 10.0.0.1
ip -n {a} route add 10.1.0.0/16 via 10.0.0.254 metric 100 proto 76
ip -n {a} route add 10.2.0.0/16 dev eth0 table 100 mtu 1300 src 10.0.0.2 proto 76
ip -n {a} route add 10.4.0.0/16 nexthop via 10.0.0.253 nexthop via 10.0.0.252
ip -n {a} route add blackhole 10.3.0.0/16
ip -n {a} -6 route add fd01::/64 via fd00::1 metric 50 proto 76
"""


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--inside":
        os.makedirs(sys.argv[2], exist_ok=True)
        Capture(sys.argv[2]).run()
        return
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "corpus", "fuzz_netlink")
    a, b = "lxfuzz-a-%d" % os.getpid(), "lxfuzz-b-%d" % os.getpid()
    try:
        subprocess.run(["ip", "netns", "add", a], check=True)
        subprocess.run(["ip", "netns", "add", b], check=True)
        # A leading "-": the kernel may lack that link kind; go on.
        for line in SETUP.format(a=a, b=b).strip().splitlines():
            subprocess.run(line.lstrip("-").split(),
                           check=not line.startswith("-"))
        subprocess.run(["ip", "netns", "exec", a, sys.executable,
                        os.path.abspath(__file__), "--inside",
                        os.path.abspath(outdir), b], check=True)
    finally:
        subprocess.run(["ip", "netns", "del", a])
        subprocess.run(["ip", "netns", "del", b])


if __name__ == "__main__":
    main()
