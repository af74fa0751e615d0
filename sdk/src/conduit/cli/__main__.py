"""``python -m conduit.cli``: the same as the ``conduit`` script."""

from conduit.cli import main

main()
