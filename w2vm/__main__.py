"""``python -m w2vm COMMAND ...`` (also installed as the ``w2vm`` script); see :mod:`w2vm.cli`."""
import sys

from w2vm.cli import main

if __name__ == "__main__":
    sys.exit(main())
