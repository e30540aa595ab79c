"""`python -m palabre` is the `palabre` command."""

from palabre.cli import main

main()
