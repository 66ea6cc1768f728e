"""Slack: slack-bolt AsyncApp in, Block Kit out."""
