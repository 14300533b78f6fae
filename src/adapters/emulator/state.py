"""Everything one running emulator knows, built once from its config and the spec."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field

from ozon_mcp.adapters.openapi.spec import LoadedSpec

from .budget import DailyBudget
from .clock import EmulatorClock
from .config import EmulatorConfig, validate_expires_in
from .faults import FaultBoard
from .reports import ReportStore
from .requestlog import RequestLog
from .spec_index import OperationIndex
from .spec_security import SpecSecurity
from .synth import Synthesizer
from .tokens import TokenRegistry
from .validation import SpecValidator


@dataclass
class TokenSettings:
    """The token lifetime of tokens issued from now on; thread-safe."""

    expires_in: int
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set(self, seconds: int) -> None:
        """Change the lifetime of future tokens."""
        validate_expires_in(seconds)
        with self._lock:
            self.expires_in = seconds

    def get(self) -> int:
        """The lifetime of the next token issued."""
        with self._lock:
            return self.expires_in


class Pauses:
    """Injected latency that ends early when the server shuts down, so that stopping an
    emulator never waits out (or has to cancel) a long injected delay."""

    def __init__(self) -> None:
        self._stopping = asyncio.Event()  # binds to the server's loop on first use

    async def sleep(self, seconds: float) -> bool:
        """Wait `seconds`; False if the wait was cut short by shutdown."""
        if seconds <= 0:
            return not self._stopping.is_set()
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return True
        return False

    def interrupt(self) -> None:
        """End every pause now (called on the server's loop when it shuts down)."""
        self._stopping.set()


class EmulatorState:
    """The spec-derived tables (read-only) and the mutable stores (each thread-safe)."""

    def __init__(self, config: EmulatorConfig, spec: LoadedSpec) -> None:
        self.config = config
        self.spec = spec
        self.index = OperationIndex(spec)
        # Who may call what, and where the token endpoint listens (the spec's tokenUrl path).
        self.security = SpecSecurity(spec)
        self.token_path = self.security.token_path
        # Form bodies and HTTP Basic at the token endpoint: asked for, or any spec but Ozon's.
        self.accepts_rfc6749 = config.generic or config.spec_path is not None
        self.validator = SpecValidator(spec)
        synthesizer = Synthesizer(spec, self.validator)
        # Computed and serialized once: answers are deterministic and the spec does not change.
        self.canned = {
            op.operation_id: synthesizer.canned_body(op) for op in self.index.by_id.values()
        }
        self.canned_json = {
            operation_id: json.dumps(body, ensure_ascii=False).encode("utf-8")
            for operation_id, body in self.canned.items()
        }
        self.clock = EmulatorClock()
        self.tokens = TokenRegistry(self.clock)
        self.token_settings = TokenSettings(config.expires_in)
        self.faults = FaultBoard()
        self.log = RequestLog(config.request_log_size)
        self.budget = DailyBudget(self.clock, config.daily_budget)
        self.reports = ReportStore(self.clock, config.report_delay)
        self.pauses = Pauses()

    def reset(self) -> None:
        """Back to the state right after start (the spec tables and the port are kept)."""
        config = self.config
        self.faults.clear()
        self.tokens.forget_all()
        self.token_settings.set(config.expires_in)
        self.reports.clear(config.report_delay)
        self.budget.set_limit(config.daily_budget)
        self.budget.reset()
        self.log.clear()
        self.clock.rewind()
