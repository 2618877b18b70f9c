"""Reading frames and masks of any bit depth, and writing masks atomically.

Frames keep their bit depth: 8- and 16-bit integers and floats come back as
they are stored. Colour frames are reduced to one grey channel (see
:func:`to_grey`). Masks are read from the forms the public datasets use
(0/1, 0/255, anti-aliased grey, RGB) and always come back as ``bool``,
together with a short description of the encoding that was found.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from ..errors import IrstlabelError
from .headers import check_image_size, image_size, npy_header, png_damage

__all__ = [
    "FRAME_EXTENSIONS",
    "MaskRead",
    "read_frame",
    "read_mask",
    "to_grey",
    "write_mask",
    "encode_mask_png",
    "write_bytes_atomic",
]

FRAME_EXTENSIONS = (".png", ".bmp", ".jpg", ".jpeg", ".tif", ".tiff", ".npy")

# OpenCV prints its own decoder warnings to stderr; we report problems ourselves.
try:
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
except AttributeError:  # pragma: no cover - very old OpenCV builds
    pass

_LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601, as PIL's convert("L")


class MaskRead(NamedTuple):
    """A mask as read from disk: the boolean mask and the encoding found."""

    mask: np.ndarray
    encoding: str


def _read_bytes_checked(path: str | os.PathLike) -> int:
    """The file's size, after checking it exists, is a file and is not empty."""
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        raise IrstlabelError(path, "no such file") from None
    except OSError as exc:
        raise IrstlabelError(path, f"cannot be read ({exc.strerror or exc})") from None
    if os.path.isdir(path):
        raise IrstlabelError(path, "is a folder, not an image file")
    if size == 0:
        raise IrstlabelError(path, "empty file (0 bytes)")
    return size


def _read_bytes(path: str | os.PathLike) -> np.ndarray:
    _read_bytes_checked(path)
    try:
        return np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise IrstlabelError(path, f"cannot be read ({exc.strerror or exc})") from None


def _decode(path: str | os.PathLike) -> np.ndarray:
    if os.fspath(path).lower().endswith(".npy"):
        return _read_npy(path)
    data = _read_bytes(path)
    head = data[:65536].tobytes()
    size = image_size(head)
    if size is not None:  # decompression bombs are refused before decoding
        check_image_size(path, *size)
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        damage = png_damage(data.tobytes())
        if damage is not None:
            raise IrstlabelError(path, f"truncated or corrupt image ({damage})")
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise IrstlabelError(path, "truncated or corrupt image (cannot be decoded)")
    if image.ndim == 3:
        # OpenCV gives BGR(A); we keep RGB(A) order, as the rest of the world does.
        image = image[..., [2, 1, 0, 3][: image.shape[2]]] if image.shape[2] in (3, 4) else image
    return np.ascontiguousarray(image)


def _read_npy(path: str | os.PathLike) -> np.ndarray:
    _read_bytes_checked(path)  # same checks for missing and empty files
    npy_header(path)  # shape, dtype and size, before reading the data
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise IrstlabelError(path, f"not a readable .npy array ({exc})") from None
    return array[..., 0] if array.ndim == 3 and array.shape[2] == 1 else array


def to_grey(image: np.ndarray) -> np.ndarray:
    """Reduce an RGB or RGBA image to one grey channel, keeping its dtype.

    Channels that are all equal (the usual case for infrared frames saved as
    RGB) are returned exactly, without rounding. Otherwise the ITU-R BT.601
    luma ``0.299 R + 0.587 G + 0.114 B`` is used, rounded half to even for
    integer types -- the weights that PIL's ``convert("L")`` and OpenCV's
    ``COLOR_RGB2GRAY`` use. Alpha is ignored.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)

    Returns
    -------
    ndarray, shape (H, W), same dtype as `image`.

    Examples
    --------
    >>> rgb = np.zeros((1, 2, 3), np.uint8); rgb[0, 1] = 200
    >>> to_grey(rgb)
    array([[  0, 200]], dtype=uint8)
    """
    if image.ndim == 2:
        return image
    if image.ndim != 3 or image.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"expected (H, W) or (H, W, C) with C <= 4, got {image.shape}")
    if image.shape[2] <= 2:  # grey or grey + alpha
        return np.ascontiguousarray(image[..., 0])
    rgb = image[..., :3]
    first = rgb[..., 0]
    if np.array_equal(first, rgb[..., 1]) and np.array_equal(first, rgb[..., 2]):
        return np.ascontiguousarray(first)
    grey = rgb.astype(np.float64) @ _LUMA
    if np.issubdtype(image.dtype, np.integer):
        info = np.iinfo(image.dtype)
        grey = np.clip(np.rint(grey), info.min, info.max)
    return grey.astype(image.dtype)


def read_frame(path: str | os.PathLike, *, grey: bool = True) -> np.ndarray:
    """Read an image file as an array, keeping its bit depth.

    PNG (grey, RGB, RGBA, palette; 8 or 16 bit), BMP, JPEG, TIFF (8/16-bit,
    float) and ``.npy`` arrays are read. 16-bit data is never squashed to
    8 bits.

    Parameters
    ----------
    path : path-like
        The image file. Non-ASCII and non-UTF-8 names are fine.
    grey : bool, keyword-only
        Reduce colour images to one channel with :func:`to_grey` (default).

    Returns
    -------
    ndarray, shape (H, W) (or (H, W, C) with ``grey=False``), dtype as stored.

    Raises
    ------
    IrstlabelError
        Missing, empty, truncated or undecodable files, naming the file.
    """
    image = _decode(path)
    return to_grey(image) if grey else image


def _describe_values(values: np.ndarray) -> str:
    shown = ", ".join(str(v) for v in values[:8])
    more = f", ... ({len(values)} distinct values)" if len(values) > 8 else ""
    return "{" + shown + more + "}"


def _values(grey: np.ndarray) -> np.ndarray:
    """The distinct values of an 8- or 16-bit image, sorted (a histogram: sorting 1.3 M pixels cost 4 ms)."""
    if grey.dtype in (np.uint8, np.uint16):
        return np.flatnonzero(np.bincount(grey.ravel(), minlength=1)).astype(grey.dtype)
    return np.unique(grey)


def _grey_mask_to_bool(path, grey: np.ndarray, prefix: str) -> MaskRead:
    if np.issubdtype(grey.dtype, np.floating):
        values = np.unique(grey)
        if np.all(np.isin(values, (0.0, 1.0))):
            return MaskRead(grey > 0.5, prefix + "float 0/1")
        raise IrstlabelError(path, f"mask has values {_describe_values(values)}, not 0/1 floats")
    values = _values(grey)
    top = np.iinfo(grey.dtype).max
    if np.all(np.isin(values, (0, 1))):
        return MaskRead(grey == 1, prefix + "0/1")
    if np.all(np.isin(values, (0, top))):
        return MaskRead(grey == top, prefix + f"0/{top}")
    if values[0] == 0 and values[-1] == top:
        half = (int(top) + 1) // 2
        return MaskRead(grey >= half, prefix + f"anti-aliased 0-{top} grey, threshold {half}")
    raise IrstlabelError(
        path,
        f"mask has values {_describe_values(values)}; expected 0/1, 0/{top} "
        f"or anti-aliased grey from 0 to {top}",
    )


def read_mask(
    path: str | os.PathLike, *, shape: tuple[int, int] | None = None
) -> MaskRead:
    """Read a mask file as ``bool`` and say how it was encoded.

    Accepted encodings: 0/1, 0/255 (0/65535 for 16-bit), anti-aliased grey
    spanning 0 to the maximum (thresholded at half), and RGB(A) versions of
    these. An RGB mask whose channels differ (a coloured label) marks a pixel
    as target when any channel is at least half the maximum.

    Parameters
    ----------
    path : path-like
    shape : (H, W), keyword-only
        The frame's size; a mask of another size is refused.

    Returns
    -------
    MaskRead
        ``mask`` (bool, (H, W)) and ``encoding`` (e.g. ``"0/255"``).

    Raises
    ------
    IrstlabelError
        Unreadable files, sizes that differ from `shape`, or values that
        are none of the encodings above (the message lists what was found).

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> write_mask(os.path.join(folder, "m.png"), np.eye(3, dtype=bool))
    >>> read_mask(os.path.join(folder, "m.png")).encoding
    '0/255'
    """
    image = _decode(path)
    prefix = ""
    if image.ndim == 3:
        channels = image[..., : min(3, image.shape[2])]
        if all(np.array_equal(channels[..., 0], channels[..., k]) for k in range(channels.shape[2])):
            image, prefix = channels[..., 0], "RGB "
        elif np.issubdtype(image.dtype, np.integer):
            half = (int(np.iinfo(image.dtype).max) + 1) // 2
            found = MaskRead((channels >= half).any(axis=2), "RGB colour, any channel >= half")
            return check_mask_shape(path, found, shape)
        else:
            raise IrstlabelError(path, "float colour masks are not supported")
    return check_mask_shape(path, _grey_mask_to_bool(path, image, prefix), shape)


def check_mask_shape(path, found: MaskRead, shape) -> MaskRead:
    """A mask already read, refused (IrstlabelError naming `path`) unless it is `shape` (H, W)."""
    if shape is not None and tuple(found.mask.shape) != tuple(shape[:2]):
        h, w = found.mask.shape
        raise IrstlabelError(
            path, f"mask is {w}x{h} (WxH) but its frame is {shape[1]}x{shape[0]}"
        )
    return found


def encode_mask_png(mask: np.ndarray) -> bytes:
    """Encode a 2-D mask (bool or 0/1) as a 0/255 8-bit grey PNG."""
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"a mask must be 2-D, got shape {mask.shape}")
    ok, buffer = cv2.imencode(".png", np.where(mask.astype(bool), 255, 0).astype(np.uint8))
    if not ok:  # pragma: no cover - encoding a uint8 array does not fail
        raise RuntimeError("PNG encoding failed")
    return buffer.tobytes()


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux: /proc)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (not thread-safe, hence the /proc path first)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` so that the file is either the old or the new one.

    The bytes go to a temporary file in the same folder, which is flushed and
    fsynced, then renamed over `path` with :func:`os.replace`; the folder is
    fsynced so that the rename itself survives a power cut. On any failure the
    temporary file is removed and the previous `path`, if any, is untouched.
    The file gets the permissions a plain ``open()`` would give it (0666 less
    the umask), not the temporary file's 0600.
    """
    path = Path(path)
    folder = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise IrstlabelError(path, f"cannot write ({exc.strerror or exc})") from None
    try:
        if hasattr(os, "fchmod"):  # mkstemp makes 0600 files: give the mode open() would (0666 less the umask)
            os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise IrstlabelError(path, f"cannot write ({exc.strerror or exc}); the previous file is kept") from None
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open folders; the rename still happened
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_mask(path: str | os.PathLike, mask: np.ndarray) -> None:
    """Write a mask as a 0/255 PNG atomically (see :func:`write_bytes_atomic`).

    Parameters
    ----------
    path : path-like
        Destination ``.png``; its folder must exist.
    mask : ndarray, shape (H, W)
        bool or {0, 1}; any non-zero value counts as target.

    Raises
    ------
    IrstlabelError
        When the file cannot be written (read-only folder, full disk); the
        previous file at `path` is then left as it was.
    """
    write_bytes_atomic(path, encode_mask_png(mask))


