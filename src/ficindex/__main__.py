"""``python -m ficindex`` runs the CLI."""

from ficindex.cli import cli

if __name__ == "__main__":
    cli()
