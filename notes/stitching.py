"""One gzip stream stitched from pieces compressed apart, so no request compresses a page.

A note page for a signed-in reader is the shared body with that reader's parts between its
pieces (notes.page_assembly). Compressing the whole of it per request costs milliseconds for
a long note; stitching costs a few microseconds a piece:

- each piece is raw deflate from a compressor of its own, ended with a sync flush: it starts
  and ends on a byte boundary, refers to nothing before it, and holds no final block, so
  pieces laid end to end are one deflate stream;
- a piece that must not be compressed (a secret: the CSRF token) goes in stored blocks,
  copied as it is; the compressed size of no other piece can depend on it;
- the gzip trailer needs the CRC-32 of everything and its length. Each piece keeps its own
  CRC and length, and CRCs are combined as zlib's crc32_combine does (Python's zlib does not
  offer it): crc(A + B) = shift(crc(A), len(B)) ^ crc(B), where the shift is a linear map on
  32 bits kept as 8 tables of 16 per length, so it costs 8 lookups whatever the piece's size;
- a template is the joined stream with holes of one size (stored blocks of zeros) where the
  same bytes (a CSRF token) are written on each use. Over messages of one length the CRC-32 is
  affine, so writing them changes it by a linear map of the CRC of what is written, the sum of
  the shifts by the bytes after each hole: one more table, made with the template. Filling
  one is a copy of its bytes, a write per hole and 8 lookups.
"""

import struct
import zlib
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

LEVEL = 6  # zlib's default: within 2% of level 9 on note pages, at a third of the time
STORED_MAX = 65535  # the most bytes one stored block holds
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, no time, OS unknown
FINAL_BLOCK = b"\x03\x00"  # an empty final block (fixed codes): what zlib writes on finishing

_POLY = 0xEDB88320  # CRC-32, reflected


class Piece(NamedTuple):  # a tuple: pieces are cached by the dozen, and tuples unpickle fastest
    deflated: bytes  # whole deflate blocks, none final, starting and ending on a byte boundary
    crc: int  # CRC-32 of the bytes the blocks hold
    size: int  # how many bytes they hold


EMPTY = Piece(b"", 0, 0)


def compressed(data: bytes) -> Piece:
    """`data` compressed on its own, or stored when compressing would not make it smaller."""
    if not data:
        return EMPTY
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    if len(deflated) >= len(data) + 5:
        return stored(data)
    return Piece(deflated, zlib.crc32(data), len(data))


def stored(data: bytes) -> Piece:
    """`data` in stored blocks: sent as it is, never through a compressor."""
    if not data:
        return EMPTY
    blocks = []
    for start in range(0, len(data), STORED_MAX):
        chunk = data[start : start + STORED_MAX]
        # BFINAL 0, BTYPE 00, then the rest of the byte unused: one zero byte, then LEN and NLEN.
        blocks.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return Piece(b"".join(blocks), zlib.crc32(data), len(data))


def gzip_join(pieces: Iterable[Piece]) -> bytes:
    """The pieces, in order, as one gzip member."""
    out = [GZIP_HEADER]
    crc = size = 0
    for piece in pieces:
        if piece.size:
            crc = _shift(crc, piece.size) ^ piece.crc
            size += piece.size
            out.append(piece.deflated)
    out.append(FINAL_BLOCK)
    out.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
    return b"".join(out)


class Template(NamedTuple):
    """A gzip member with holes, each `hole` bytes long, to be filled with the same bytes."""

    body: bytes  # the holes hold zeros
    holes: tuple[int, ...]  # where each hole starts in body
    hole: int
    crc: int  # the CRC-32 of what the body holds, holes zero
    fill: tuple[int, ...]  # the change of the CRC-32 per CRC of what fills the holes (a shift table)


def gzip_template(pieces: Iterable[Piece | None], hole: int) -> Template:
    """The pieces, in order, as one gzip member, with a hole of `hole` bytes at each None."""
    assert 0 < hole <= STORED_MAX
    zeros = stored(bytes(hole))
    out, at = [GZIP_HEADER], len(GZIP_HEADER)
    holes, starts = [], []
    crc = size = 0
    for piece in pieces:
        if piece is None:
            holes.append(at + len(zeros.deflated) - hole)
            starts.append(size)
            piece = zeros
        if piece.size:
            crc = _shift(crc, piece.size) ^ piece.crc
            size += piece.size
            out.append(piece.deflated)
            at += len(piece.deflated)
    out.append(FINAL_BLOCK)
    out.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
    fill = [0] * 128
    for start in starts:  # a hole's bytes are followed by size - start - hole others
        fill = [a ^ b for a, b in zip(fill, _shift_table(size - start - hole), strict=True)]
    return Template(b"".join(out), tuple(holes), hole, crc, tuple(fill))


def gzip_fill(template: Template, data: bytes) -> bytes:
    """The template's gzip member with `data` in every hole."""
    if len(data) != template.hole:
        raise ValueError(f"a hole holds {template.hole} bytes, not {len(data)}")
    if not template.holes:
        return template.body
    # equal lengths: crc(with data) ^ crc(with zeros) = fill(crc(data) ^ crc(zeros))
    change = zlib.crc32(data) ^ zlib.crc32(bytes(template.hole))
    body, parts, at = memoryview(template.body), [], 0
    for start in template.holes:
        parts += (body[at:start], data)
        at = start + template.hole
    parts += (body[at:-8], struct.pack("<I", template.crc ^ _apply(template.fill, change)), body[-4:])
    return b"".join(parts)  # one copy of the body


def inflate_join(pieces: Iterable[Piece]) -> bytes:
    """The bytes the pieces hold, in order, for a client that does not take gzip."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    return b"".join(inflater.decompress(piece.deflated) for piece in pieces if piece.size)


# -- CRC-32 combination (zlib's crc32_combine, in tables) -------------------------------------


def _multmodp(a: int, b: int) -> int:
    """a times b modulo the CRC polynomial (reflected bit order), as zlib's multmodp."""
    m, p = 1 << 31, 0
    while a:
        if a & m:
            p ^= b
            a ^= m
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return p


def _x2n_table() -> list[int]:
    table = [1 << 30]  # x^1
    for _ in range(31):
        table.append(_multmodp(table[-1], table[-1]))  # x^(2^k)
    return table


_X2N = _x2n_table()


def _x8nmodp(size: int) -> int:
    """x^(8·size) modulo the polynomial: appending `size` bytes multiplies a CRC by it."""
    p, k = 1 << 31, 3
    while size:
        if size & 1:
            p = _multmodp(_X2N[k & 31], p)
        size >>= 1
        k += 1
    return p


@lru_cache(maxsize=2048)
def _shift_table(size: int) -> tuple[int, ...]:
    """Multiplying by x^(8·size), a linear map on 32 bits, as 8 tables of 16 (one per nibble)."""
    operator = _x8nmodp(size)
    columns = [_multmodp(operator, 1 << bit) for bit in range(32)]
    table = []
    for nibble in range(8):
        for value in range(16):
            image = 0
            for bit in range(4):
                if value >> bit & 1:
                    image ^= columns[4 * nibble + bit]
            table.append(image)
    return tuple(table)


def _shift(crc: int, size: int) -> int:
    return _apply(_shift_table(size), crc)


def _apply(t: tuple[int, ...], crc: int) -> int:
    return (
        t[crc & 15]
        ^ t[16 | crc >> 4 & 15]
        ^ t[32 | crc >> 8 & 15]
        ^ t[48 | crc >> 12 & 15]
        ^ t[64 | crc >> 16 & 15]
        ^ t[80 | crc >> 20 & 15]
        ^ t[96 | crc >> 24 & 15]
        ^ t[112 | crc >> 28]
    )
