"""Packaged resources: default templates, icons, styles (installed as lampdesk.resources)."""
