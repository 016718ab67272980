"""Console entry point: one line `outreach-target-duckdb: error: ...` and exit 1 on failure.

singer-sdk logs an uncaught exception with its traceback; a data engineer needs the cause
and the fix. The traceback is still logged at DEBUG level.

singer-sdk, click and DuckDB are imported by `main` under `startup.imports` (the collector
paused, then their objects frozen), not when this module is imported.
"""

from __future__ import annotations

import logging
import sys
import typing as t

from outreach_target_duckdb import startup
from outreach_target_duckdb.errors import LoaderError

logger = logging.getLogger(__name__)


def describe(exc: BaseException) -> str:
    """The message of a known error, or the exception type plus its message."""
    from singer_sdk.exceptions import ConfigValidationError

    if isinstance(exc, ConfigValidationError):
        details = "; ".join(str(e) for e in exc.errors) or str(exc)
        return f"invalid settings: {details}. Fix the config (meltano config, .env or --config)."
    if isinstance(exc, LoaderError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def main(argv: list[str] | None = None) -> t.NoReturn:
    args = list(sys.argv[1:] if argv is None else argv)
    with startup.imports():
        import click

        from outreach_target_duckdb.target import TargetDuckDB
    try:
        result = TargetDuckDB.cli.main(
            args=args, prog_name=TargetDuckDB.name, standalone_mode=False
        )
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        sys.exit(130)
    except Exception as exc:
        logger.debug("Traceback of the failure below", exc_info=True)
        sys.stderr.write(f"{TargetDuckDB.name}: error: {describe(exc)}\n")
        sys.stderr.flush()
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
