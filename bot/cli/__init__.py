"""Entry points: the `respite` command and its sub-commands (serve, digest, governance)."""
