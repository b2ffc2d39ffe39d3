"""`python -m feeds` runs the CLI."""

from feeds.cli import cli

cli()
