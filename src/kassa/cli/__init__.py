"""The ``kassa`` command line (Typer app :data:`kassa.cli.main.app`)."""
