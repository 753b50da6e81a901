#!/usr/bin/env python3
"""Writes the seed corpus of each harness into corpus/<harness>/ (run from anywhere; the
files are kept in the repository, so a run starts from inputs that pass the first checks).
Deterministic: the same files every time."""
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def put(harness, name, data):
    d = os.path.join(HERE, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- ELF64: an executable header and program headers (ELF-64 1.5, figures 2 and 3) ----
def elf(machine, segs, phoff=64, etype=2, extra=b""):
    """segs: (flags, offset, vaddr, filesz, memsz) per PT_LOAD."""
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    hdr = ident + struct.pack("<HHIQQQIHHHHHH", etype, machine, 1, 0x400000, phoff, 0, 0, 64,
                              56, len(segs), 64, 0, 0)
    ph = b"".join(struct.pack("<IIQQQQQQ", 1, fl, off, va, va, fs, ms, 0x1000)
                  for fl, off, va, fs, ms in segs)
    body = hdr + bytes(max(0, phoff - len(hdr))) + ph + extra
    return body + bytes(max(0, 0x200 - len(body)))


put("fuzz_elf", "x86_64-text-data", elf(62, [(5, 0, 0x400000, 0x200, 0x200),
                                            (6, 0x100, 0x401000, 0x80, 0x2000)]))
put("fuzz_elf", "riscv-one", elf(243, [(5, 0x40, 0x10000, 0x100, 0x100)]))
put("fuzz_elf", "aarch64-wx", elf(183, [(7, 0, 0x400000, 0x10, 0x10)]))
put("fuzz_elf", "phdrs-at-end", elf(62, [(4, 0x1c0, 0x7ffffffff000 - 0x1000, 0x40, 0x1000)],
                                    phoff=0x1c8))


# ---- cpio newc (cpio(5)): 110-byte ASCII headers, names and data padded to 4 ----
def newc(members):
    out = b""
    for ino, (name, mode, data) in enumerate(members + [("TRAILER!!!", 0, b"")]):
        nb = name.encode() + b"\0"
        fields = [ino + 1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nb), 0]
        h = b"070701" + b"".join(b"%08X" % v for v in fields)
        out += h + nb
        out += bytes(-len(out) % 4) + data
        out += bytes(-len(out) % 4)
    return out


put("fuzz_cpio", "two-files", newc([("./init", 0o100755, b"\x7fELF" + bytes(60)),
                                    ("dir", 0o040755, b""), ("./mm_demo", 0o100644, b"abc")]))
put("fuzz_cpio", "empty", newc([]))
put("fuzz_cpio", "odd-sizes", newc([("a", 0o100644, b"x"), ("bb", 0o100644, b"yy"),
                                    ("ccc", 0o100644, b"zzz")]))
put("fuzz_cpio", "no-trailer", newc([("./x", 0o100644, b"12345")])[:-124])


# ---- flattened device tree (DT spec v0.4, chapter 5) ----
def fdt(nodes, rsv=()):
    """nodes: nested ("name", [(prop, bytes)], [children])."""
    strings = b""
    offs = {}

    def soff(name):
        nonlocal strings
        if name not in offs:
            offs[name] = len(strings)
            strings += name.encode() + b"\0"
        return offs[name]

    def pad(b):
        return b + bytes(-len(b) % 4)

    def node(n):
        name, props, kids = n
        out = struct.pack(">I", 1) + pad(name.encode() + b"\0")
        for p, v in props:
            out += struct.pack(">III", 3, len(v), soff(p)) + pad(v)
        for k in kids:
            out += node(k)
        return out + struct.pack(">I", 2)

    struct_blk = node(nodes) + struct.pack(">I", 9)
    rsvmap = b"".join(struct.pack(">QQ", b, l) for b, l in rsv) + bytes(16)
    off_rsv = 40
    off_struct = off_rsv + len(rsvmap)
    off_strings = off_struct + len(struct_blk)
    total = off_strings + len(strings)
    hdr = struct.pack(">10I", 0xd00dfeed, total, off_struct, off_strings, off_rsv, 17, 16, 0,
                      len(strings), len(struct_blk))
    return hdr + rsvmap + struct_blk + strings


def u32(*v):
    return b"".join(struct.pack(">I", x) for x in v)


def cells2(*v):
    return b"".join(struct.pack(">Q", x) for x in v)


qemu_virt = ("", [("#address-cells", u32(2)), ("#size-cells", u32(2))], [
    ("chosen", [("bootargs", b"console=ttyS0\0"), ("linux,initrd-start", cells2(0x88000000)),
                ("linux,initrd-end", cells2(0x88010000))], []),
    ("memory@80000000", [("device_type", b"memory\0"), ("reg", cells2(0x80000000, 0x8000000))], []),
    ("reserved-memory", [("#address-cells", u32(2)), ("#size-cells", u32(2))], [
        ("mmode_resv0@80000000", [("reg", cells2(0x80000000, 0x40000))], [])]),
    ("cpus", [("#address-cells", u32(1)), ("#size-cells", u32(0)),
              ("timebase-frequency", u32(10000000))], [
        ("cpu@0", [("reg", u32(0)), ("riscv,isa", b"rv64imafdc_zicsr_svpbmt\0")], [])]),
    ("soc", [("#address-cells", u32(2)), ("#size-cells", u32(2))], [
        ("test@100000", [("compatible", b"sifive,test1\0sifive,test0\0syscon\0"),
                         ("reg", cells2(0x100000, 0x1000))], [])]),
])
put("fuzz_fdt", "qemu-virt", fdt(qemu_virt, rsv=[(0x80000000, 0x1000)]))
two_mem = ("", [("#address-cells", u32(1)), ("#size-cells", u32(1))], [
    ("memory@0", [("reg", u32(0x1000, 0x10000, 0x40000, 0x3000))], []),
    ("cpus", [("timebase-frequency", cells2(1000000))], [
        ("cpu@0", [("riscv,isa-extensions", b"i\0m\0svpbmt\0")], [])]),
])
put("fuzz_fdt", "cells-1", fdt(two_mem))
put("fuzz_fdt", "no-timebase", fdt(("", [], [("chosen", [("bootargs", b"x")], [])])))

# ---- libpt and mmserver: the inputs are decisions; a few byte strings of each length ----
rng = random.Random(14)
for fmt in range(8):
    put("fuzz_pt", "format-%d" % fmt, bytes([fmt]) + bytes(rng.randrange(256) for _ in range(96)))
for k in range(6):
    put("fuzz_mm", "ops-%d" % k, bytes(rng.randrange(256) for _ in range(32 + 48 * k)))
# x86_64; client 2 maps 4 pages RW at 0x10000000; client 1 accepts a window from 2 at
# 0x40000000 (max RW) and 2 shares them read-only (its pages touched first); 1 then asks for
# RW on the window (refused: the share's perm is its ceiling); 1 touches, 2 is re-created.
put("fuzz_mm", "share-then-protect",
    bytes([0, 0, 2, 6, 0, 0, 0, 3, 1, 0,
           13, 1, 0, 0, 0, 3, 0, 0, 0,
           2, 1, 0, 0, 0, 0, 3, 1,
           10, 1, 0, 0, 0, 3,
           0x8e, 2, 1]))
# x86_64; client 2 maps 4 pages RW; client 1 accepts them into a window at 0x40000000 and 2
# shares them read-only (the window's pages now have max R); 1 decommits the window and
# touches it again (4 fresh frames, read-only, in a region whose max is R); client 3 accepts
# a window from 1 (max RW) and 1 shares its 4 fresh pages into it read-write: refused
# (DENIED), since 1's region allows R at most. A server that let the share through would
# give 3 more than 1 may hold; the model knows 1's fresh frames came with a max of R.
put("fuzz_mm", "share-fresh-onward",
    bytes([0, 0, 2, 6, 0, 0, 0, 3, 1, 0,
           13, 1, 0, 0, 0, 3, 0, 0, 0,
           6, 1, 12, 0, 0, 3,
           10, 1, 0, 13, 0, 0, 0, 3,
           13, 3, 1, 0, 0, 3, 0, 3, 1, 1, 0]))
