"""What Respite does when someone talks to it: one module per conversation."""
