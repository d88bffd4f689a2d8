"""``python -m model.cli.main``."""

from model.cli.main import main

raise SystemExit(main())
