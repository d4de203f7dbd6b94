"""`python -m specc` and the `specc` command: the command line in a process of its own."""

import gc
import sys


def run() -> int:
    """Run the command line; returns its exit status."""
    # A run makes few reference cycles and ends soon: the cyclic collector would only scan,
    # again and again, what the imports and the IR allocate (a fifth of a deep model's build).
    gc.disable()
    from .cli import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
