"""Image sizes read from file headers, before anything is decoded.

A 2 MB PNG can decode to 2 GB (a decompression bomb); OpenCV refuses only
beyond 2^30 pixels and decodes everything below. Every frame, mask and
prediction is therefore checked against :func:`max_pixels` from its header
first: PNG (IHDR), BMP, JPEG (SOF markers), TIFF (first IFD) and ``.npy``
(its header, with the dtype). The limit is 64 megapixels (8192 x 8192) unless
the environment variable ``IRSTLABEL_MAX_PIXELS`` sets another.
"""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np

from ..errors import IrstlabelError

__all__ = ["max_pixels", "image_size", "check_image_size", "npy_header", "png_damage"]

DEFAULT_MAX_PIXELS = 8192 * 8192


def max_pixels() -> int:
    """The largest frame (in pixels) irstlabel decodes: ``IRSTLABEL_MAX_PIXELS`` or 64 M."""
    value = os.environ.get("IRSTLABEL_MAX_PIXELS")
    if not value:
        return DEFAULT_MAX_PIXELS
    try:
        limit = int(value)
    except ValueError:
        raise IrstlabelError(None, f"IRSTLABEL_MAX_PIXELS must be a whole number of pixels, got '{value}'") from None
    if limit < 1:
        raise IrstlabelError(None, f"IRSTLABEL_MAX_PIXELS must be at least 1, got {limit}")
    return limit


def image_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG, BMP, JPEG or TIFF header; None for other or unreadable headers.

    Examples
    --------
    >>> import cv2
    >>> ok, png = cv2.imencode(".png", np.zeros((7, 9), np.uint8))
    >>> image_size(png.tobytes())
    (9, 7)
    """
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:2] == b"BM" and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(width), abs(height)
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return _tiff_size(data)
    return None


def png_damage(data: bytes) -> str | None:
    """What is wrong with a PNG's chunk structure (a bad CRC, a truncation), or None when intact.

    Checked before decoding so that a damaged file is reported in our one line,
    without libpng printing its own ``libpng error:`` line to stderr.

    Examples
    --------
    >>> import cv2
    >>> ok, png = cv2.imencode(".png", np.zeros((7, 9), np.uint8))
    >>> png_damage(png.tobytes()) is None, png_damage(png.tobytes()[:-20])
    (True, 'the file ends inside a chunk (truncated)')
    """
    k = 8
    while k + 12 <= len(data):
        (length,) = struct.unpack(">I", data[k : k + 4])
        kind = data[k + 4 : k + 8]
        end = k + 12 + length
        if end > len(data):
            return "the file ends inside a chunk (truncated)"
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(data[k + 4 : end - 4]) != crc:
            return f"chunk {kind.decode('latin-1')!r} fails its checksum"
        if kind == b"IEND":
            return None
        k = end
    return "the file ends before its last chunk (truncated)"


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    k = 2
    while k + 9 < len(data):
        if data[k] != 0xFF:
            return None
        marker = data[k + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            k += 2
            continue
        length = struct.unpack(">H", data[k + 2 : k + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            height, width = struct.unpack(">HH", data[k + 5 : k + 9])
            return width, height
        k += 2 + length
    return None


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    order = "<" if data[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack(order + "I", data[4:8])
        (count,) = struct.unpack(order + "H", data[offset : offset + 2])
        found = {}
        for k in range(count):
            entry = data[offset + 2 + 12 * k : offset + 14 + 12 * k]
            tag, kind = struct.unpack(order + "HH", entry[:4])
            if tag in (256, 257):  # ImageWidth, ImageLength (SHORT or LONG)
                found[tag] = struct.unpack(order + ("H" if kind == 3 else "I"), entry[8 : 10 if kind == 3 else 12])[0]
        return (found[256], found[257]) if len(found) == 2 else None
    except (struct.error, KeyError):
        return None


def check_image_size(path, width: int, height: int) -> None:
    """IrstlabelError naming `path` when the image is empty or larger than :func:`max_pixels`."""
    if width <= 0 or height <= 0:
        raise IrstlabelError(path, f"image header says {width}x{height} pixels: an empty image")
    limit = max_pixels()
    if width * height > limit:
        raise IrstlabelError(path, f"image header says {width}x{height} pixels, more than the {limit:,} allowed "
                                   "(not decoded; set IRSTLABEL_MAX_PIXELS to allow larger frames)")


def npy_header(path) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of a ``.npy`` file from its header, refusing what cannot be a frame."""
    try:
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read(handle)
    except (ValueError, OSError, EOFError, SyntaxError) as exc:
        raise IrstlabelError(path, f"not a readable .npy array ({exc})") from None
    if dtype.hasobject or dtype.fields is not None or dtype.kind not in "biuf":
        raise IrstlabelError(path, f"a .npy frame holds numbers (bool, integer or float), not {dtype}")
    if len(shape) == 3 and shape[2] in (1, 3, 4):
        height, width = shape[:2]
    elif len(shape) == 2:
        height, width = shape
    else:
        raise IrstlabelError(path, f"expected a 2-D array (H, W) or (H, W, 1|3|4), found shape {shape}")
    check_image_size(path, width, height)
    return shape, dtype
