"""`python -m ozon_mcp.adapters.emulator`: see `ozon_mcp.adapters.emulator.cli`."""

from ozon_mcp.adapters.emulator.cli import main

raise SystemExit(main())
