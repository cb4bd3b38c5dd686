#!/usr/bin/env python3
"""Disk images and checksums for Guests/multiboot/virtio.c (virtio.elf).

  checksum.py make FILE SECTORS
      Writes FILE: SECTORS 512-byte sectors whose 32-bit little-endian word at
      byte offset a is mix(a) (see below: a multiply-xorshift of a).
  checksum.py sum FILE [--after-rw] [--sectors N]
      Prints the line virtio.elf prints for that disk:
      "virtio-blk: checksum 0x%08x over N sectors".
      --after-rw: as the file will be after a `blk=rw` run, i.e. with sectors
      8-15 holding the guest's write pattern (word at byte offset a = a ^ 0x76697274).
      --sectors N: only the first N sectors (the guest's `sum=N`).

The checksum is FNV-1a over 32-bit little-endian words: h = 0x811c9dc5, then for
each word w in disk order h = ((h ^ w) * 0x01000193) mod 2^32. The file size must
be a multiple of 512 (only whole sectors are counted, as the guest sees them).
"""
import struct
import sys

SECTOR = 512
TEST_SECTOR, TEST_SECTORS = 8, 8
PATTERN_XOR = 0x76697274


def mix(a):
    x = (a * 0x9E3779B1) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x85EBCA77) & 0xFFFFFFFF
    return x ^ (x >> 13)


def fnv1a_words(data):
    h = 0x811C9DC5
    for (w,) in struct.iter_unpack("<I", data):
        h = ((h ^ w) * 0x01000193) & 0xFFFFFFFF
    return h


def main(argv):
    if len(argv) == 4 and argv[1] == "make":
        sectors = int(argv[3], 0)
        with open(argv[2], "wb") as f:
            f.write(b"".join(struct.pack("<I", mix(a))
                             for a in range(0, sectors * SECTOR, 4)))
        return 0
    if len(argv) >= 3 and argv[1] == "sum":
        after_rw, limit, rest = False, None, argv[3:]
        while rest:
            if rest[0] == "--after-rw":
                after_rw, rest = True, rest[1:]
            elif rest[0] == "--sectors" and len(rest) > 1:
                limit, rest = int(rest[1], 0), rest[2:]
            else:
                print(__doc__, file=sys.stderr)
                return 2
        data = bytearray(open(argv[2], "rb").read())
        sectors = len(data) // SECTOR
        del data[sectors * SECTOR:]
        if after_rw:
            start = TEST_SECTOR * SECTOR
            end = start + TEST_SECTORS * SECTOR
            if len(data) < end:
                print("disk too small for blk=rw (16 sectors)", file=sys.stderr)
                return 1
            data[start:end] = b"".join(struct.pack("<I", a ^ PATTERN_XOR)
                                       for a in range(start, end, 4))
        if limit is not None and limit < sectors:
            sectors = limit
            del data[sectors * SECTOR:]
        print("virtio-blk: checksum 0x%08x over %d sectors" % (fnv1a_words(bytes(data)), sectors))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
