"""`python -m unifold` is the `unifold` command."""

import sys

from unifold.cli import main

sys.exit(main())
