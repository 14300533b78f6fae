"""`python -m adapters.emulator`: see `adapters.emulator.cli`."""

from adapters.emulator.cli import main

raise SystemExit(main())
