"""Respite: anonymous pulses, break prompts, recognition and team digests for clinical teams."""
