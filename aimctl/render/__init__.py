"""Rendering: compiled YAML-tree templates that turn resolved services into manifests."""
