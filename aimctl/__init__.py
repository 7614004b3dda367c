"""aimctl: render AMD AIM Engine resources offline, exactly as the operator would."""

__version__ = "0.1.0"

__all__ = ["__version__"]
