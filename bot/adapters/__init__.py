"""Adapters that are not chat platforms: calendar feeds, charts, the HTML digest, CSV export."""
