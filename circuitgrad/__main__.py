"""`python -m circuitgrad draw ...` / `python -m circuitgrad demo`: the same program as `circuitgrad`."""
from .cli import main

raise SystemExit(main())
