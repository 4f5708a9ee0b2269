"""Environment construction (gymnasium vector envs, NEXT_STEP autoreset)."""

from advrun.envs.factory import check_env_id, make_vec_env

__all__ = ["check_env_id", "make_vec_env"]
