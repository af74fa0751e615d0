"""Conduit server: behavioral reports from voice recordings, wire-compatible with the hosted Conduit API."""

__version__ = "0.1.0"
