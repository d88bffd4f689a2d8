"""``python -m model.cli``: the ``carecon`` command line."""

from model.cli.main import main

raise SystemExit(main())
