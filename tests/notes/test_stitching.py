"""Pieces compressed apart and laid end to end are one valid gzip stream."""

import gzip
import random
import subprocess
import zlib

import pytest

from notes.stitching import compressed, gzip_fill, gzip_join, gzip_template, inflate_join, stored

TEXTS = [
    b"",
    b"<",
    b"<p>A paragraph of a note.</p>\n" * 300,
    bytes(random.Random(1).getrandbits(8) for _ in range(70_000)),  # incompressible, over a stored block
    "Unicode: θ, ∑, 😀 ".encode() * 50,
]


@pytest.mark.parametrize("seed", range(5))
def test_any_mix_of_compressed_and_stored_pieces_decompresses_to_their_concatenation(seed):
    rng = random.Random(seed)
    texts = [rng.choice(TEXTS) for _ in range(rng.randrange(1, 30))]
    pieces = [compressed(t) if rng.random() < 0.5 else stored(t) for t in texts]
    body = gzip_join(pieces)
    assert gzip.decompress(body) == b"".join(texts)  # Python checks the CRC and the length
    assert inflate_join(pieces) == b"".join(texts)
    # gzip(1) checks them too, as strictly as a browser's inflater
    assert subprocess.run(["gzip", "-t"], input=body, capture_output=True).returncode == 0


def test_a_stored_piece_is_sent_as_it_is_and_compressed_ones_are_smaller():
    secret = b"csrf-token-0123456789abcdef"
    page = b"<p>Shared text of the page.</p>" * 500
    body = gzip_join([compressed(page), stored(secret), compressed(page)])
    assert secret in body  # never through a compressor: no compressed length depends on it
    assert len(body) < len(page) / 10


def test_each_piece_is_compressed_on_its_own():
    # The same text twice: a shared window would shrink the second to a back-reference.
    text = b"<section>The same paragraph, repeated in two pieces of the page.</section>" * 20
    one = compressed(text)
    assert len(gzip_join([one, one])) - len(gzip_join([one])) == len(one.deflated)
    assert zlib.decompressobj(-15).decompress(one.deflated) == text


def test_a_piece_compression_would_not_shrink_is_stored():
    piece = compressed(b"<a>")
    assert piece.deflated == b"\x00\x03\x00\xfc\xff<a>"


@pytest.mark.parametrize("seed", range(5))
def test_a_template_filled_is_the_stream_with_the_bytes_in_every_hole(seed):
    rng = random.Random(seed)
    texts = [rng.choice(TEXTS) for _ in range(rng.randrange(1, 20))]
    laid = [None if rng.random() < 0.3 else compressed(t) if rng.random() < 0.5 else stored(t) for t in texts]
    template = gzip_template(laid, 64)
    assert len(template.holes) == laid.count(None)
    for _ in range(3):
        token = bytes(rng.getrandbits(8) for _ in range(64))
        body = gzip_fill(template, token)
        expected = b"".join(token if piece is None else text for piece, text in zip(laid, texts, strict=True))
        assert gzip.decompress(body) == expected  # the CRC and the length written for this token
        assert subprocess.run(["gzip", "-t"], input=body, capture_output=True).returncode == 0
    with pytest.raises(ValueError):
        gzip_fill(template, b"short")
