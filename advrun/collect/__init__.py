"""Collecting experience: env adapters (numpy or torch at the edge), the rollout
collector, action conversion and reward scaling."""
