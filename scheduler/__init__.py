"""What Respite does on its own, on a clock: pulse rounds, digests, delivery."""
