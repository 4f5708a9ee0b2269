"""Subcommands. Each is a module-level ``@hydra.main`` task so launchers can pickle it."""
