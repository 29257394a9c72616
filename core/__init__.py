"""Shared basics every layer may import: periods and labels, rounding, reason codes, column
lists, configuration models and errors. Nothing here imports another boardpack package."""
