"""advrun: a config-driven experiment runner for advantage-based reinforcement learning."""

__version__ = "0.1.0"
