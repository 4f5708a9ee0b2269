#!/usr/bin/env python
"""Play an exported ONNX policy with onnxruntime, numpy and gymnasium only (no advrun).

    advrun export run=<run dir> format=onnx
    python scripts/play_onnx.py <run dir>/export/best.onnx --episodes 5

The env id and its keyword arguments come from the metadata JSON ``advrun export``
writes beside the file (``<file>.json``); ``--env`` overrides the id. Episode ``i`` is
reset with seed ``--seed + i``. Prints one return per line and then the mean; with
``--json`` prints ``{"returns": [...], "lengths": [...]}`` instead. This is also the
example of how an application uses the file: feed ``obs[None]`` (a batch of one, in the
input's dtype), read output 0 as the action.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import onnxruntime as ort


def play(model: Path, env_id: str, env_kwargs: dict, episodes: int, seed: int) -> dict:
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    feed = session.get_inputs()[0]
    dtype = np.uint8 if feed.type == "tensor(uint8)" else np.float32
    env = gym.make(env_id, **env_kwargs)
    discrete = isinstance(env.action_space, gym.spaces.Discrete)
    returns: list[float] = []
    lengths: list[int] = []
    try:
        for i in range(episodes):
            obs, _ = env.reset(seed=seed + i)
            total, steps, done = 0.0, 0, False
            while not done:
                action = session.run(None, {feed.name: np.asarray(obs, dtype=dtype)[None]})[0][0]
                obs, reward, terminated, truncated, _ = env.step(
                    int(action) if discrete else action
                )
                total += float(reward)
                steps += 1
                done = terminated or truncated
            returns.append(total)
            lengths.append(steps)
    finally:
        env.close()
    return {"returns": returns, "lengths": lengths}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--env", help="gymnasium id (default: the metadata's env_id)")
    parser.add_argument("--episodes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    meta_path = args.model.with_name(args.model.name + ".json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    env_id = args.env or meta.get("env_id")
    if not env_id:
        parser.error(f"no --env given and no env_id in {meta_path}")
    result = play(args.model, env_id, meta.get("env_kwargs") or {}, args.episodes, args.seed)
    if args.json:
        print(json.dumps(result))
        return
    for value in result["returns"]:
        print(f"{value:.1f}")
    print(f"mean {np.mean(result['returns']):.2f}")


if __name__ == "__main__":
    main()
