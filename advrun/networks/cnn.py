"""The Nature-DQN convolutional encoder (Mnih et al. 2015), used by Atari PPO.

``[B, C, H, W]`` uint8 frames (0..255) -> ``[B, 512]`` features::

    x / 255 -> Conv(C, 32, 8, stride 4) -> ReLU -> Conv(32, 64, 4, stride 2) -> ReLU
            -> Conv(64, 64, 3, stride 1) -> ReLU -> flatten -> Linear(., 512) -> ReLU

Pixels are scaled inside the network so rollouts can keep frames as uint8 (4x less
memory than float32). Weights use the PPO orthogonal init with gain ``sqrt(2)``.
``channels_last`` takes ``[B, H, W, C]`` images (most non-Atari envs render that way)
and moves the channels first inside ``forward``; the parameters are the same.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from advrun.networks.init import HIDDEN_GAIN

FEATURES: int = 512
"""Width of the encoder's output."""

MIN_SIDE: int = 36
"""Smallest height/width the three convolutions accept (output 1x1)."""


class NatureCNN(nn.Module):
    """Convolutional encoder; ``out_dim`` is :data:`FEATURES`."""

    def __init__(
        self,
        in_channels: int,
        height: int,
        width: int,
        scale: float = 255.0,
        channels_last: bool = False,
    ) -> None:
        super().__init__()
        self.channels_last = bool(channels_last)
        if min(height, width) < MIN_SIDE or in_channels < 1:
            raise ValueError(
                f"NatureCNN needs [C, H, W] images with H, W >= {MIN_SIDE}, "
                f"got [{in_channels}, {height}, {width}]"
            )
        self.scale = float(scale)
        self.convs = nn.Sequential(
            nn.Conv2d(in_channels, 32, 8, stride=4),
            nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2),
            nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=1),
            nn.ReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            flat = self.convs(torch.zeros(1, in_channels, height, width)).shape[1]
        self.fc = nn.Linear(flat, FEATURES)
        self.act = nn.ReLU()
        self.out_dim: int = FEATURES
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.orthogonal_(module.weight, gain=HIDDEN_GAIN)
                nn.init.zeros_(module.bias)

    def forward(self, obs: Tensor) -> Tensor:
        if self.channels_last:
            obs = obs.permute(0, 3, 1, 2)
        return self.act(self.fc(self.convs(obs / self.scale)))
