import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from irstlabel.core.errors import IrstlabelError
from irstlabel.core.io.files import read_frame, read_mask, to_grey, write_mask
from tests.helpers import png_claiming, write_image

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("suffix", [".png", ".tif", ".tiff"])
def test_16_bit_frames_keep_their_values(tmp_path, suffix):
    frame = RNG.integers(0, 65535, (20, 30)).astype(np.uint16)
    got = read_frame(write_image(tmp_path / f"f{suffix}", frame))
    assert got.dtype == np.uint16
    np.testing.assert_array_equal(got, frame)


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tif"])
def test_8_bit_grey_frames_round_trip(tmp_path, suffix):
    frame = RNG.integers(0, 255, (17, 23)).astype(np.uint8)
    np.testing.assert_array_equal(read_frame(write_image(tmp_path / f"f{suffix}", frame)), frame)


def test_jpeg_frame_is_read_as_grey_uint8(tmp_path):
    frame = np.tile(np.arange(0, 250, 10, dtype=np.uint8), (12, 1))
    got = read_frame(write_image(tmp_path / "f.jpg", frame))
    assert got.shape == frame.shape and got.dtype == np.uint8
    assert np.abs(got.astype(int) - frame).max() < 12


def test_float_tiff_and_npy_frames(tmp_path):
    frame = RNG.random((9, 11)).astype(np.float32)
    np.testing.assert_array_equal(read_frame(write_image(tmp_path / "f.tif", frame)), frame)
    np.save(tmp_path / "f.npy", frame)
    np.testing.assert_array_equal(read_frame(tmp_path / "f.npy"), frame)


def test_rgb_with_equal_channels_is_exactly_its_grey(tmp_path):
    grey = RNG.integers(0, 255, (10, 12)).astype(np.uint8)
    path = write_image(tmp_path / "rgb.png", np.dstack([grey] * 3))
    np.testing.assert_array_equal(read_frame(path), grey)


def test_rgb_with_different_channels_uses_bt601_luma(tmp_path):
    rgb = np.zeros((1, 3, 3), np.uint8)
    rgb[0, 0] = (255, 0, 0)
    rgb[0, 1] = (0, 255, 0)
    rgb[0, 2] = (10, 20, 30)
    got = read_frame(write_image(tmp_path / "rgb.png", rgb))
    expected = np.rint(rgb.astype(float) @ [0.299, 0.587, 0.114]).astype(np.uint8)
    np.testing.assert_array_equal(got, expected)
    pil = np.asarray(Image.fromarray(rgb).convert("L"))
    assert np.abs(got.astype(int) - pil).max() <= 1


def test_rgba_and_palette_pngs(tmp_path):
    grey = RNG.integers(0, 255, (8, 9)).astype(np.uint8)
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 200)])
    np.testing.assert_array_equal(read_frame(write_image(tmp_path / "a.png", rgba)), grey)
    Image.fromarray(grey).convert("P").save(tmp_path / "p.png")
    palette_grey = np.asarray(Image.open(tmp_path / "p.png").convert("L"))
    np.testing.assert_array_equal(read_frame(tmp_path / "p.png"), palette_grey)


def test_to_grey_keeps_16_bit():
    rgb = np.zeros((1, 1, 3), np.uint16)
    rgb[0, 0] = (60000, 1000, 30000)
    assert to_grey(rgb).dtype == np.uint16
    assert to_grey(rgb)[0, 0] == round(0.299 * 60000 + 0.587 * 1000 + 0.114 * 30000)


@pytest.mark.parametrize(
    "make, problem",
    [
        (lambda p: p.write_bytes(b""), r"empty file \(0 bytes\)"),
        (lambda p: p.write_bytes(b"this is not an image at all"), "truncated or corrupt"),
        (lambda p: None, "no such file"),
    ],
)
def test_unreadable_frames_name_the_file(tmp_path, make, problem):
    path = tmp_path / "bad frame.png"
    make(path)
    with pytest.raises(IrstlabelError, match=problem) as info:
        read_frame(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif", ".bmp"])
def test_truncated_files_are_refused(tmp_path, suffix):
    good = write_image(tmp_path / f"good{suffix}", RNG.integers(0, 255, (64, 64)).astype(np.uint8))
    data = good.read_bytes()
    bad = tmp_path / f"bad{suffix}"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(IrstlabelError, match="truncated or corrupt"):
        read_frame(bad)


def test_a_folder_is_not_a_frame(tmp_path):
    (tmp_path / "x.png").mkdir()
    with pytest.raises(IrstlabelError, match="is a folder"):
        read_frame(tmp_path / "x.png")


def test_non_utf8_and_spaced_names(tmp_path):
    name = os.fsdecode(b"fr\xe9me 1.png")  # Latin-1 byte: not valid UTF-8
    frame = RNG.integers(0, 255, (5, 6)).astype(np.uint8)
    write_image(Path(tmp_path) / name, frame)
    np.testing.assert_array_equal(read_frame(Path(tmp_path) / name), frame)
    error = IrstlabelError(Path(tmp_path) / name, "x")
    str(error).encode("utf-8")  # printable, not a surrogate crash


def _mask_file(tmp_path, array, name="m.png"):
    return write_image(tmp_path / name, array)


@pytest.mark.parametrize(
    "values, encoding",
    [((0, 1), "0/1"), ((0, 255), "0/255")],
)
def test_binary_mask_encodings(tmp_path, values, encoding):
    truth = RNG.random((12, 14)) > 0.7
    array = np.where(truth, values[1], values[0]).astype(np.uint8)
    found = read_mask(_mask_file(tmp_path, array))
    assert found.encoding == encoding
    np.testing.assert_array_equal(found.mask, truth)


def test_anti_aliased_mask_is_thresholded_at_half(tmp_path):
    array = np.array([[0, 40, 127, 128, 200, 255]], np.uint8)
    found = read_mask(_mask_file(tmp_path, array))
    assert found.encoding.startswith("anti-aliased")
    assert found.mask.tolist() == [[False, False, False, True, True, True]]


def test_rgb_masks(tmp_path):
    truth = RNG.random((6, 7)) > 0.5
    grey = np.where(truth, 255, 0).astype(np.uint8)
    found = read_mask(_mask_file(tmp_path, np.dstack([grey] * 3)))
    assert found.encoding == "RGB 0/255"
    np.testing.assert_array_equal(found.mask, truth)
    red = np.dstack([grey, np.zeros_like(grey), np.zeros_like(grey)])
    found = read_mask(_mask_file(tmp_path, red, "red.png"))
    assert found.encoding.startswith("RGB colour")
    np.testing.assert_array_equal(found.mask, truth)


def test_16_bit_binary_mask(tmp_path):
    truth = RNG.random((6, 7)) > 0.5
    found = read_mask(_mask_file(tmp_path, np.where(truth, 65535, 0).astype(np.uint16)))
    assert found.encoding == "0/65535"
    np.testing.assert_array_equal(found.mask, truth)


def test_mask_with_other_values_says_what_it_found(tmp_path):
    array = np.array([[0, 3, 7], [3, 0, 0]], np.uint8)
    path = _mask_file(tmp_path, array)
    with pytest.raises(IrstlabelError, match=r"\{0, 3, 7\}") as info:
        read_mask(path)
    assert str(path) in str(info.value)


def test_mask_of_another_size_is_refused(tmp_path):
    path = _mask_file(tmp_path, np.zeros((10, 12), np.uint8))
    with pytest.raises(IrstlabelError, match="mask is 12x10 .* frame is 13x10"):
        read_mask(path, shape=(10, 13))


def test_write_mask_round_trip_as_0_255(tmp_path):
    truth = RNG.random((30, 40)) > 0.8
    write_mask(tmp_path / "m.png", truth)
    raw = np.asarray(Image.open(tmp_path / "m.png"))
    assert raw.dtype == np.uint8 and set(np.unique(raw)) <= {0, 255}
    np.testing.assert_array_equal(read_mask(tmp_path / "m.png").mask, truth)
    assert [p.name for p in tmp_path.iterdir()] == ["m.png"]  # no temporary left


def test_failed_write_keeps_the_previous_mask(tmp_path, monkeypatch):
    old = RNG.random((8, 8)) > 0.5
    write_mask(tmp_path / "m.png", old)
    before = (tmp_path / "m.png").read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(IrstlabelError, match="No space left on device.*previous file is kept"):
        write_mask(tmp_path / "m.png", ~old)
    assert (tmp_path / "m.png").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.png"]


def test_write_into_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(IrstlabelError, match="cannot write"):
        write_mask(tmp_path / "nope" / "m.png", np.zeros((3, 3), bool))


# --- sizes from headers: bombs refused before decoding --------------------------------


@pytest.mark.parametrize("ext", [".png", ".bmp", ".jpg", ".tif"])
def test_image_sizes_are_read_from_every_format_header(ext):
    from irstlabel.core.io.headers import image_size

    ok, data = cv2.imencode(ext, np.zeros((37, 53), np.uint8))
    assert image_size(data.tobytes()) == (53, 37)


def test_a_header_claiming_a_huge_image_is_refused_without_decoding(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(png_claiming(100_000, 100_000))
    with pytest.raises(IrstlabelError, match=r"huge.png: image header says 100000x100000 pixels, more than the "
                                             r"67,108,864 allowed \(not decoded; set IRSTLABEL_MAX_PIXELS"):
        read_frame(path)


def test_a_real_decompression_bomb_is_refused_and_the_limit_can_be_raised(tmp_path, monkeypatch):
    path = tmp_path / "bomb.png"
    ok, data = cv2.imencode(".png", np.zeros((9000, 9000), np.uint8))  # 81 MB of pixels in a few hundred KB
    path.write_bytes(data.tobytes())
    assert path.stat().st_size < 1_000_000
    with pytest.raises(IrstlabelError, match="bomb.png: image header says 9000x9000 pixels"):
        read_frame(path)
    monkeypatch.setenv("IRSTLABEL_MAX_PIXELS", str(9000 * 9000))
    assert read_frame(path).shape == (9000, 9000)
    monkeypatch.setenv("IRSTLABEL_MAX_PIXELS", "lots")
    with pytest.raises(IrstlabelError, match="IRSTLABEL_MAX_PIXELS must be a whole number of pixels, got 'lots'"):
        read_frame(path)


@pytest.mark.parametrize("array, message", [
    (np.zeros((8, 9, 5)), r"expected a 2-D array \(H, W\) or \(H, W, 1\|3\|4\), found shape \(8, 9, 5\)"),
    (np.zeros((1, 8, 9)), r"expected a 2-D array .*, found shape \(1, 8, 9\)"),
    (np.zeros((0, 9)), "image header says 9x0 pixels: an empty image"),
    (np.zeros((8, 9), dtype=[("a", "f4"), ("b", "f4")]), "a .npy frame holds numbers"),
    (np.zeros((8, 9), np.complex64), "a .npy frame holds numbers .* not complex64"),
])
def test_odd_npy_frames_are_one_line_errors(tmp_path, array, message):
    path = tmp_path / "odd.npy"
    np.save(path, array)
    with pytest.raises(IrstlabelError, match="odd.npy: " + message):
        read_frame(path)


def test_npy_object_arrays_and_huge_headers_are_refused_before_loading(tmp_path):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([[None, 1]], dtype=object), allow_pickle=True)
    with pytest.raises(IrstlabelError, match="objects.npy: a .npy frame holds numbers"):
        read_frame(path)
    path = tmp_path / "claims.npy"
    with open(path, "wb") as handle:  # a header for 100000 x 100000 floats, and almost no data
        np.lib.format.write_array_header_1_0(handle, {"descr": "<f4", "fortran_order": False,
                                                      "shape": (100_000, 100_000)})
        handle.write(b"\0" * 64)
    with pytest.raises(IrstlabelError, match="claims.npy: image header says 100000x100000 pixels"):
        read_frame(path)
    np.save(tmp_path / "single.npy", np.ones((6, 7, 1), np.float32))
    assert read_frame(tmp_path / "single.npy").shape == (6, 7)
