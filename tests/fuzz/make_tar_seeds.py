#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_tar_reader into the directory given as argument: small
layers with every entry type, whiteouts, opaque directories, hardlinks, pax xattrs and long
names, each behind the mode bytes fuzz_tar_reader.cpp reads (plain, gzip- or zstd-wrapped
by the target, merged as one or two layers) and once gzip-compressed here (sniffed by the
reader). Deterministic: the same files every run."""

import gzip
import io
import sys
import tarfile
from pathlib import Path

BLOCK = 512
# Archives end after their end-of-archive blocks, not padded to 10 KiB records, so that a
# lower layer fits in the 31 blocks a mode byte can name.
tarfile.RECORDSIZE = BLOCK


def member(name, kind=tarfile.REGTYPE, data=b"", link="", mode=0o644, pax=None):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = 1700000000
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        info.devmajor, info.devminor = 1, 3
    if pax:
        info.pax_headers = pax
    return info, data


def layer(members, fmt=tarfile.PAX_FORMAT):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data else None)
    return out.getvalue()


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    long_dir = "d" * 120 + "/" + "e" * 120
    lower = layer([
        member("etc", tarfile.DIRTYPE, mode=0o755),
        member("etc/passwd", data=b"root:x:0:0:root:/root:/bin/sh\n"),
        member("etc/hosts", data=b"127.0.0.1 localhost\n",
               pax={"SCHILY.xattr.user.note": "x", "SCHILY.xattr.security.capability": "\x01"}),
        member("bin/busybox", data=b"\x7fELF", mode=0o4755),
        member("bin/sh", tarfile.SYMTYPE, link="busybox"),
        member("bin/ln", tarfile.LNKTYPE, link="bin/busybox"),
        member("dev/null", tarfile.CHRTYPE, mode=0o666),
        member("run/fifo", tarfile.FIFOTYPE),
        member("var/cache/old", data=b"old"),
        member(long_dir + "/file", data=b"long"),
    ])
    upper = layer([
        member("etc/.wh.hosts"),
        member("var/cache/.wh..wh..opq"),
        member("var/cache/new", data=b"new"),
        member("bin/ln2", tarfile.LNKTYPE, link="bin/busybox"),
        member("./etc/../etc/group", data=b"root:x:0:\n"),
    ])
    gnu = layer([
        member("g/" + "n" * 200, data=b"gnu long name"),
        member("g/link", tarfile.SYMTYPE, link="t" * 300),
    ], fmt=tarfile.GNU_FORMAT)

    lower_blocks = len(lower) // BLOCK
    assert len(lower) % BLOCK == 0 and lower_blocks < 32
    seeds = {
        "lower": (bytes([0]), lower),
        "lower-gzip": (bytes([1]), lower),
        "lower-zstd": (bytes([2]), lower),
        "lower-merged": (bytes([4]), lower),
        "upper": (bytes([0]), upper),
        "gnu": (bytes([0]), gnu),
        "gnu-merged-zstd": (bytes([6]), gnu),
        "two-layers": (bytes([4 | lower_blocks << 3]), lower + upper),
        "two-layers-gzip": (bytes([5 | lower_blocks << 3]), lower + upper),
        "sniffed-gzip": (bytes([0]), gzip.compress(lower, mtime=0)),
    }
    for name, (mode, data) in seeds.items():
        (out / name).write_bytes(mode + data)


if __name__ == "__main__":
    main()
