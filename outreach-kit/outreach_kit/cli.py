"""Console entry point: one clear paragraph and a non-zero exit instead of a traceback wall.

singer-sdk's command logs uncaught exceptions with their full traceback. A data engineer
running a scheduled job needs the cause and the fix, so known errors are printed as a
single paragraph; the traceback is still logged, masked, at DEBUG level.
"""

from __future__ import annotations

import json
import logging
import sys
import typing as t

import click
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError

from outreach_kit.errors import ConfigurationError
from outreach_kit.redaction import SECRETS, install_redaction

if t.TYPE_CHECKING:
    from singer_sdk import Tap

logger = logging.getLogger(__name__)


def run(tap_class: type[Tap], argv: list[str] | None = None) -> t.NoReturn:
    """Run ``tap_class``'s CLI with secret redaction and friendly errors."""
    args = list(sys.argv[1:] if argv is None else argv)
    install_redaction()
    for path in _config_paths(args):
        try:
            with open(path, encoding="utf-8") as handle:
                SECRETS.add_from_config(json.load(handle), tap_class.secret_setting_names())  # type: ignore[attr-defined]
        except (OSError, ValueError):
            pass  # the SDK reports unreadable config files itself
    try:
        result = tap_class.cli.main(args=args, prog_name=tap_class.name, standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        sys.exit(130)
    except Exception as exc:
        logger.debug("Traceback of the failure below", exc_info=True)
        sys.stderr.write(f"{tap_class.name}: error: {describe(exc)}\n")
        sys.stderr.flush()
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


def describe(exc: BaseException) -> str:
    """The message of a known error, or the exception type plus its message."""
    if isinstance(exc, ConfigValidationError):
        details = "; ".join(str(e) for e in exc.errors) or str(exc)
        return f"invalid settings: {details}. Fix the config (meltano config, .env or --config)."
    if isinstance(exc, (ConfigurationError, FatalAPIError)):
        return str(exc)
    if isinstance(exc, json.JSONDecodeError) or type(exc).__name__ in (
        "JSONDecodeError",
        "DecodeError",
    ):
        return (
            f"a JSON input (config, state or catalog file) is not valid JSON ({exc}). Check "
            "the files passed with --config, --state and --catalog; nothing was extracted."
        )
    return f"{type(exc).__name__}: {exc}"


def _config_paths(args: list[str]) -> list[str]:
    paths = []
    for index, arg in enumerate(args):
        if arg == "--config" and index + 1 < len(args):
            paths.append(args[index + 1])
        elif arg.startswith("--config="):
            paths.append(arg.split("=", 1)[1])
    return [p for p in paths if p != "ENV"]
