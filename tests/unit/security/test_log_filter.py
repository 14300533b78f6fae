"""The handler's filter scrubs every record: message, arguments, exception, extra fields."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from ozon_mcp.adapters.auth.redaction import Scrubber
from ozon_mcp.app.logging_setup import JsonFormatter, ScrubbingFilter, configure_logging

SECRET = "top/secret&value=1"


@pytest.fixture
def stream() -> Iterator[tuple[io.StringIO, logging.Logger]]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ScrubbingFilter(Scrubber("id", SECRET)))
    logger = logging.getLogger("httpcore2.test-scrubbing")  # a third-party name
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield buffer, logger
    finally:
        logger.removeHandler(handler)


def test_arguments_exceptions_and_extra_fields_are_scrubbed(
    stream: tuple[io.StringIO, logging.Logger],
) -> None:
    buffer, logger = stream
    logger.debug("headers %r", [(b"x-echo", SECRET.encode())], extra={"echo": SECRET})
    try:
        raise ValueError(f"bad {SECRET}")
    except ValueError:
        logger.exception("failed with %s", "top%2Fsecret%26value%3d1")
    logger.debug("auth %s", "Authorization: Bearer an.unknown.token-value")
    text = buffer.getvalue()
    assert "secret" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["echo"] == "[REDACTED]"
    assert "Traceback" in lines[1]["exception"]
    assert lines[2]["message"] == "auth Authorization: Bearer [REDACTED]"


def test_configure_logging_puts_the_filter_on_the_handler(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        scrubbing = configure_logging("DEBUG", "text", Scrubber("id", SECRET))
        logging.getLogger("httpx2").debug("Location: https://x/?s=%s", SECRET)
        logging.getLogger("uvicorn.error").info("header %s", "basic dXNlcjpwYXNz")
        assert isinstance(scrubbing, ScrubbingFilter)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    err = capsys.readouterr().err
    assert "https://x/?s=[REDACTED]" in err
    assert "dXNlcjpwYXNz" not in err
    assert SECRET not in err
