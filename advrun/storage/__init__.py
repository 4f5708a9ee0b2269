"""What a run writes into its directory, safely: atomic files, checkpoints, the
writer lock, TensorBoard events."""
