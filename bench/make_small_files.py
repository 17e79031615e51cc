#!/usr/bin/env python3
"""Writes a tar of many small text-like files, the same bytes on every run.

    bench/make_small_files.py OUT.tar [ENTRIES] [FILES_PER_DIR]

ENTRIES files (default 200000) of 10 to 500 bytes, FILES_PER_DIR (default 500) to a
directory: d0000/f000.txt, ... (the 400 x 500 tree of a node_modules or site-packages
sized image). Sizes and content come from a fixed seed; content is words from a small
vocabulary, so it compresses as source files do. Owners 0:0, mtime fixed.
"""
import random
import sys
import tarfile

WORDS = (
    "import export function return const let var if else for while class def self "
    "module require package version license author main index test describe expect "
    "value key name type string number object array null true false undefined async "
    "await promise then catch error throw new this from default public private static"
).split()
MTIME = 1_600_000_000


def content(rng, size):
    out = []
    length = 0
    while length < size:
        word = rng.choice(WORDS)
        sep = "\n" if rng.random() < 0.12 else " "
        out.append(word + sep)
        length += len(word) + 1
    return "".join(out).encode()[:size]


def info(name, kind, size=0, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.size = size
    ti.mode = mode
    ti.mtime = MTIME
    ti.uname = ti.gname = "root"
    return ti


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    entries = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    per_dir = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    rng = random.Random(15)
    dirs = (entries + per_dir - 1) // per_dir
    width = max(4, len(str(dirs - 1)))
    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tar:
        written = 0
        for d in range(dirs):
            dname = f"d{d:0{width}d}"
            tar.addfile(info(dname, tarfile.DIRTYPE, mode=0o755))
            for f in range(min(per_dir, entries - written)):
                data = content(rng, rng.randint(10, 500))
                ti = info(f"{dname}/f{f:03d}.txt", tarfile.REGTYPE, len(data))
                tar.addfile(ti, _Bytes(data))
                written += 1


class _Bytes:
    """A file object over `data` for tarfile.addfile."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def read(self, n=-1):
        if n < 0:
            n = len(self.data) - self.pos
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk


if __name__ == "__main__":
    main()
