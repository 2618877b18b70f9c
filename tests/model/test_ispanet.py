import math

import numpy as np
import pytest
import torch

from irstlabel.model.config import ISPANetConfig
from irstlabel.model.factory import create_model, model_config
from irstlabel.model.info import model_info
from irstlabel.model.ispanet import MFSA

TINY = dict(channels=16, lfe_widths=(16, 32, 64, 64), lfe_blocks=(1, 1, 1, 1), heads=(1, 1, 2, 2))


def test_paper_size_at_c64_and_1024x1280():
    """Table VII: 13.62 M parameters (within 10%), 114.15 G MACs (within 15%)."""
    info = model_info(ISPANetConfig(), (1024, 1280))
    assert abs(info["params"] / 13.62e6 - 1) < 0.10
    assert abs(info["macs"] / 114.15e9 - 1) < 0.15


@pytest.mark.parametrize("size", [(37, 53), (64, 64), (100, 131)])
@pytest.mark.parametrize("variant", ["B", "A", "C", "D"])
def test_any_input_size_gives_a_map_of_that_size(size, variant):
    model = create_model(**{**TINY, "variant": variant}).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 1, *size))
    assert out.shape == (2, 1, *size)
    assert torch.isfinite(out).all()


def test_head_bias_sets_the_initial_probability_to_the_prior():
    model = create_model(**TINY).eval()
    assert model.head.out.bias.item() == pytest.approx(-math.log(0.99 / 0.01))
    d = create_model(**{**TINY, "variant": "D"}).eval()
    assert d.head.out.bias.item() == 0.0
    with torch.no_grad():
        p = torch.sigmoid(model(torch.randn(1, 1, 64, 64))).mean().item()
    assert p < 0.05


def test_variants_differ_where_table_xi_says():
    a, b, c = (create_model(**{**TINY, "variant": v}) for v in "ABC")
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert a.mfsa is None and count(a) < count(b) == count(c)


def test_factory_lists_valid_names_on_a_wrong_one():
    with pytest.raises(ValueError, match="valid names: ispanet, ispanet-a, ispanet-c, ispanet-d"):
        create_model("ispanet-x")
    with pytest.raises(ValueError, match="unknown variant"):
        model_config(variant="Z")
    with pytest.raises(ValueError, match="divisible"):
        ISPANetConfig(channels=24, heads=(1, 2, 4, 16))


def test_config_round_trips_through_a_dict():
    config = model_config("ispanet-c", channels=32)
    assert ISPANetConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown model settings: wings"):
        ISPANetConfig.from_dict({**config.to_dict(), "wings": 2})


def test_mfsa_sub_maps_share_parameters_and_see_only_their_patch():
    torch.manual_seed(0)
    block = MFSA(16, grid=2, scale=2, heads=2, mlp_ratio=2.0).eval()
    x = torch.randn(1, 16, 16, 16)
    y = block(x)
    x2 = x.clone()
    x2[:, :, :8, :8] += 5.0  # change only the top-left sub-map
    y2 = block(x2)
    assert not torch.allclose(y[:, :, :8, :8], y2[:, :, :8, :8])
    assert torch.allclose(y[:, :, 8:, 8:], y2[:, :, 8:, 8:], atol=1e-6)


@pytest.mark.parametrize("fuse_from", ["P", "R"])
def test_both_readings_of_eq_18_run(fuse_from):
    model = create_model(**TINY, fuse_from=fuse_from).eval()
    with torch.no_grad():
        assert model(torch.zeros(1, 1, 64, 64)).shape == (1, 1, 64, 64)


def test_predictor_maps_back_from_the_training_size():
    from irstlabel.model.predict import Predictor

    model = create_model(**TINY).eval()
    frame = (np.random.default_rng(0).random((40, 90)) * 65535).astype(np.uint16)
    native = Predictor(model, device="cpu")(frame)
    filled = Predictor(model, device="cpu", size=(64, 64))(frame)
    assert native.shape == filled.shape == (40, 90)
    assert native.dtype == filled.dtype == np.float32 and 0 <= filled.min() <= filled.max() <= 1


def test_bilinear_upsampling_has_no_checkerboard_of_its_own_where_deconvolutions_can_print_one():
    """A constant feature map through MFF: bilinear stays flat, kernel = stride deconvolutions repeat a pattern."""
    import torch

    from irstlabel.model.ispanet import MFF

    torch.manual_seed(0)
    maps = [torch.ones(1, 16, 64 >> k, 64 >> k) for k in range(4)]
    for upsample, flat in (("bilinear", True), ("deconv", False)):
        mff = MFF(16, upsample=upsample).eval()
        for module in mff.modules():
            if isinstance(module, torch.nn.ConvTranspose2d):
                torch.nn.init.normal_(module.weight)
        with torch.no_grad():
            merged = mff.merge(maps)[0, 0, 16:-16, 16:-16]  # away from the zero-padded borders
        assert bool(torch.allclose(merged, merged[0, 0], atol=1e-4)) is flat, upsample
