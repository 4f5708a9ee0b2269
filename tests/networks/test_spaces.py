"""Structured observations (packed layout, per-leaf encoders, per-leaf normalisation) and
the MultiDiscrete / MultiBinary policy heads, with hand-computed numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from gymnasium import spaces

from advrun.networks import build_actor_critic, build_q_network
from advrun.networks.cnn import NatureCNN
from advrun.networks.heads import (
    bernoulli_log_prob_entropy,
    bernoulli_sample,
    multi_categorical_log_prob_entropy,
    multi_categorical_sample,
)
from advrun.networks.multi_input import Flat, MultiInputEncoder, OneHot
from advrun.spaces import ObsLayout, channels_last, is_image

IMAGE_LAST = spaces.Box(0, 255, (36, 36, 3), np.uint8)
IMAGE_FIRST = spaces.Box(0, 255, (3, 36, 36), np.uint8)
VEC = spaces.Box(-5.0, 5.0, (2,), np.float32)


def batch_of(space: spaces.Space, n: int, seed: int = 0) -> object:
    """A vector env's batch: samples stacked leaf by leaf."""
    space.seed(seed)
    samples = [space.sample() for _ in range(n)]
    if isinstance(space, spaces.Dict):
        return {k: np.stack([s[k] for s in samples]) for k in space.spaces}
    if isinstance(space, spaces.Tuple):
        return tuple(np.stack([s[i] for s in samples]) for i in range(len(space.spaces)))
    return np.stack(samples)


# -- the packed layout -----------------------------------------------------------------
def test_mixed_dict_packs_to_bytes_and_unpacks_bit_exactly() -> None:
    space = spaces.Dict({"vec": VEC, "d": spaces.Discrete(3, start=1), "img": IMAGE_LAST})
    layout = ObsLayout(space)
    # Keys sorted (d, img, vec): d 1 float = 4 bytes, img 36*36*3 = 3888, vec 2*4 = 8.
    assert [leaf.path for leaf in layout.leaves] == [("d",), ("img",), ("vec",)]
    assert layout.bytes and layout.dtype == np.uint8 and layout.width == 4 + 3888 + 8
    obs = batch_of(space, 5)
    obs["vec"][0] = [-0.0, 1e-30]  # sign of zero and a subnormal survive the bit-cast
    packed = layout.pack(layout.leaf_arrays(obs))
    d, img, vec = layout.unpack(torch.from_numpy(packed))
    assert torch.equal(d, torch.from_numpy(obs["d"] - 1).float())  # index - start
    assert img.dtype == torch.uint8 and torch.equal(img, torch.from_numpy(obs["img"]))
    assert vec.numpy().tobytes() == obs["vec"].tobytes()


def test_float_only_and_uint8_only_layouts_need_no_bytes() -> None:
    tup = ObsLayout(spaces.Tuple((spaces.Discrete(3), VEC)))
    assert (tup.bytes, tup.dtype, tup.width) == (False, np.float32, 1 + 2)
    binary = ObsLayout(spaces.MultiBinary(4))
    assert (binary.bytes, binary.dtype, binary.width) == (False, np.uint8, 4)


def test_a_leaf_of_the_wrong_shape_is_named() -> None:
    layout = ObsLayout(spaces.Dict({"vec": VEC}))
    with pytest.raises(ValueError, match=r"observation\['vec'\] has shape \(3,\)"):
        layout.leaf_arrays({"vec": np.zeros((2, 3), np.float32)})


@pytest.mark.parametrize(
    ("space", "image", "last"),
    [(IMAGE_LAST, True, True), (IMAGE_FIRST, True, False), (VEC, False, False)],
)
def test_images_are_detected_from_the_space(space: spaces.Box, image: bool, last: bool) -> None:
    assert is_image(space) == image
    if image:
        assert channels_last(space.shape) == last
    # Pixel bounds matter: a uint8 Box that is not 0..255 is not an image.
    assert not is_image(spaces.Box(0, 1, (36, 36, 3), np.uint8))


# -- encoders --------------------------------------------------------------------------
def test_per_leaf_encoders_and_their_widths() -> None:
    space = spaces.Dict(
        {
            "img": IMAGE_FIRST,
            "d": spaces.Discrete(4),
            "md": spaces.MultiDiscrete([2, 3]),
            "bits": spaces.MultiBinary(3),
            "vec": VEC,
        }
    )
    enc = MultiInputEncoder(space)
    kinds = {name: type(m) for name, m in enc.parts.items()}
    assert kinds == {"bits": Flat, "d": OneHot, "img": NatureCNN, "md": OneHot, "vec": Flat}
    # 3 bits + one-hot 4 + CNN 512 + one-hots 2 + 3 + 2 floats.
    assert enc.out_dim == 3 + 4 + 512 + 5 + 2
    layout = ObsLayout(space)
    feats = enc(torch.from_numpy(layout.pack(layout.leaf_arrays(batch_of(space, 3)))))
    assert feats.shape == (3, enc.out_dim)


def test_channels_last_image_gives_the_same_features_as_channels_first() -> None:
    torch.manual_seed(0)
    first = NatureCNN(3, 36, 36)
    last = NatureCNN(3, 36, 36, channels_last=True)
    last.load_state_dict(first.state_dict())
    x = torch.randint(0, 256, (2, 3, 36, 36), dtype=torch.uint8)
    assert torch.equal(first(x), last(x.permute(0, 2, 3, 1)))


def test_discrete_observation_is_one_hot() -> None:
    # Discrete(3, start=2): obs 4 is index 2 -> one-hot [0, 0, 1].
    layout = ObsLayout(spaces.Discrete(3, start=2))
    packed = torch.from_numpy(layout.pack(layout.leaf_arrays(np.array([4, 2]))))
    enc = MultiInputEncoder(spaces.Discrete(3, start=2))
    assert enc(packed).tolist() == [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]


def test_mlp_kind_picks_the_cnn_for_an_image_box() -> None:
    net = build_actor_critic(
        IMAGE_LAST,
        spaces.Discrete(2),
        hidden_sizes=[8],
        activation="tanh",
        shared=True,
        orthogonal_init=True,
        log_std_init=0.0,
    )
    assert isinstance(net.encoder, MultiInputEncoder)
    assert isinstance(net.encoder.parts["obs"], NatureCNN)


def test_normalize_obs_is_per_vector_leaf() -> None:
    space = spaces.Dict({"img": IMAGE_LAST, "vec": VEC, "d": spaces.Discrete(3)})
    net = build_actor_critic(
        space,
        spaces.Discrete(2),
        hidden_sizes=[8],
        activation="tanh",
        shared=False,
        orthogonal_init=True,
        log_std_init=0.0,
        normalize_obs=True,
    )
    norm_keys = sorted(k for k in net.state_dict() if k.startswith("obs_norm."))
    assert norm_keys == [f"obs_norm.norms.vec.{s}" for s in ("count", "mean", "var")]
    layout = ObsLayout(space)
    obs = batch_of(space, 4)
    obs["vec"] = np.array([[1, 2], [3, 4], [5, 6], [7, 8]], np.float32) / 2
    net.obs_norm.update(torch.from_numpy(layout.pack(layout.leaf_arrays(obs))))
    # vec columns [0.5, 1.5, 2.5, 3.5] and [1, 2, 3, 4]: means 2.0 and 2.5, population
    # variance 1.25 each; the pseudo-count 1e-4 moves them by ~1e-4 relative.
    stats = net.state_dict()
    assert stats["obs_norm.norms.vec.mean"].tolist() == pytest.approx([2.0, 2.5], rel=1e-4)
    assert stats["obs_norm.norms.vec.var"].tolist() == pytest.approx([1.25, 1.25], rel=1e-3)


def test_q_network_takes_dict_and_discrete_observations() -> None:
    for space in (spaces.Dict({"vec": VEC, "d": spaces.Discrete(3)}), spaces.Discrete(5)):
        q = build_q_network(
            space,
            spaces.Discrete(2),
            hidden_sizes=[8],
            activation="relu",
            dueling=False,
            orthogonal_init=True,
        )
        layout = ObsLayout(space)
        packed = torch.from_numpy(layout.pack(layout.leaf_arrays(batch_of(space, 3))))
        assert q(packed).shape == (3, 2)


# -- heads: MultiDiscrete and MultiBinary ------------------------------------------------
def test_multi_categorical_log_prob_and_entropy_are_sums() -> None:
    # nvec [2, 3]: logits [0, ln 3] -> p = [1/4, 3/4]; [0, 0, 0] -> p = 1/3 each.
    logits = torch.tensor([[0.0, math.log(3.0), 0.0, 0.0, 0.0]])
    log_prob, entropy = multi_categorical_log_prob_entropy(logits, [2, 3], torch.tensor([[1, 2]]))
    # log p([1, 2]) = ln(3/4) + ln(1/3) = ln(1/4).
    assert log_prob.item() == pytest.approx(math.log(0.25))
    # H = -(1/4 ln 1/4 + 3/4 ln 3/4) + ln 3 = 0.5623351 + 1.0986123.
    h1 = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    assert entropy.item() == pytest.approx(h1 + math.log(3.0))
    action, lp = multi_categorical_sample(logits, [2, 3], deterministic=True)
    assert action.tolist() == [[1, 0]]  # argmax per dimension (first of the ties)
    assert lp.item() == pytest.approx(math.log(0.75) + math.log(1 / 3))


def test_bernoulli_log_prob_and_entropy_are_sums() -> None:
    # logits [0, ln 3] -> p = [1/2, 3/4].
    logits = torch.tensor([[0.0, math.log(3.0)]])
    log_prob, entropy = bernoulli_log_prob_entropy(logits, torch.tensor([[1.0, 0.0]]))
    # log p([1, 0]) = ln(1/2) + ln(1 - 3/4) = ln(1/8).
    assert log_prob.item() == pytest.approx(math.log(1 / 8))
    # H = ln 2 + (-(3/4 ln 3/4 + 1/4 ln 1/4)) = 0.6931472 + 0.5623351.
    assert entropy.item() == pytest.approx(math.log(2) + 0.5623351446188083)
    action, lp = bernoulli_sample(logits, deterministic=True)
    assert action.tolist() == [[0.0, 1.0]]  # z > 0; a tie (z = 0) is 0
    assert lp.item() == pytest.approx(math.log(0.5) + math.log(0.75))


def test_bernoulli_samples_match_their_probabilities() -> None:
    torch.manual_seed(0)
    logits = torch.full((20_000, 1), math.log(3.0))  # p = 3/4
    action, _ = bernoulli_sample(logits)
    assert action.mean().item() == pytest.approx(0.75, abs=0.01)


@pytest.mark.parametrize(
    ("space", "shape", "dtype"),
    [
        (spaces.MultiDiscrete([2, 3]), (4, 2), torch.int64),
        (spaces.MultiBinary(3), (4, 3), torch.float32),
    ],
)
def test_actor_critic_heads_for_multi_actions(
    space: spaces.Space, shape: tuple[int, ...], dtype: torch.dtype
) -> None:
    net = build_actor_critic(
        VEC,
        space,
        hidden_sizes=[8],
        activation="tanh",
        shared=False,
        orthogonal_init=True,
        log_std_init=0.0,
    )
    obs = torch.randn(4, 2)
    action, log_prob, _ = net.act(obs)
    assert action.shape == shape and action.dtype == dtype
    again, entropy, _ = net.evaluate_actions(obs, action)
    assert torch.allclose(log_prob, again) and entropy.shape == (4,)
