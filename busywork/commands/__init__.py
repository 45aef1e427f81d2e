"""One module per ``busywork`` subcommand; each exposes ``register(commands)``."""
