"""cme-credits: Continuing Medical Education credits, computed exactly, certified verifiably."""

__version__ = "0.1.0"
