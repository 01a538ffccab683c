"""``python -m ficindex`` runs the CLI."""

from ficindex.cli import main

if __name__ == "__main__":
    main()
