"""Platform adapters: translate payloads to neutral events at the edge, and cards back."""
