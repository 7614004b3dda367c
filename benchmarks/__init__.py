"""Benchmarks for aimctl (aimctl.md §7): a tree generator and a runner; not part of the package."""
