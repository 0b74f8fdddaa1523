"""``python -m mgtutor ...``: see :mod:`mgtutor.cli`."""

from mgtutor.cli import main

raise SystemExit(main())
