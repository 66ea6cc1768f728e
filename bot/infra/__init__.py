"""Process-wide tools every layer may use: clocks, deadlines, sealing, metrics, in-flight work.

Nothing here imports anything else of ours, so the domain's neighbours can lean on it freely.
"""
