"""Registered secrets vanish from log records, tracebacks and stderr, in every encoding."""

import io
import subprocess
import sys
import textwrap

from outreach_kit.redaction import MASK, RedactingStream, SecretRegistry

SECRET = "tok/en+42&x"


def test_registry_masks_raw_url_and_json_forms():
    registry = SecretRegistry()
    registry.add(SECRET)
    text = "a tok/en+42&x b tok%2Fen%2B42%26x c tok%2Fen%2B42%26x d " + '"tok/en+42&x"'
    assert SECRET not in registry.redact(text)
    assert "%2Fen" not in registry.redact(text)
    assert registry.redact(text).count(MASK) == 4


def test_config_walk_finds_nested_secrets():
    registry = SecretRegistry()
    registry.add_from_config(
        {
            "accounts": [{"account_id": "1", "token": "aaa-111"}],
            "password": "pw-xyz",
            "custom": "keep-me",
        },
        secret_keys={"custom_secret"},
    )
    assert registry.redact("aaa-111 pw-xyz keep-me") == f"{MASK} {MASK} keep-me"


def test_numbers_under_secret_looking_names_are_not_secrets():
    registry = SecretRegistry()
    registry.add_from_config({"token_refresh_margin_seconds": 300, "api_token": "tok-abc"})
    registry.add_from_config({"pin": 4242}, secret_keys={"pin"})
    assert (
        registry.redact("waited 300s with tok-abc and 4242")
        == f"waited 300s with {MASK} and {MASK}"
    )


def test_stream_wrapper_masks_writes():
    registry = SecretRegistry()
    registry.add(SECRET)
    sink = io.StringIO()
    RedactingStream(sink, registry).write(f"error at /x?token={SECRET}\n")
    assert SECRET not in sink.getvalue()


def test_process_wide_guard_covers_logs_tracebacks_and_stderr():
    """In a fresh interpreter: DEBUG logs of any logger, exceptions and prints are masked."""
    code = textwrap.dedent(
        f"""
        import logging, sys
        from outreach_kit.redaction import SECRETS, install_redaction
        logging.basicConfig(level=logging.DEBUG)
        install_redaction()
        SECRETS.add({SECRET!r})
        logging.getLogger("urllib3.connectionpool").debug(
            '"GET /api?token=%s HTTP/1.1" 200', "tok%2Fen%2B42%26x")
        try:
            raise ConnectionError("Max retries exceeded with url: /x?token={SECRET}")
        except ConnectionError:
            logging.getLogger("tap").exception("failed")
        print("stray {SECRET}", file=sys.stderr)
        raise RuntimeError("uncaught {SECRET}")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert "uncaught ***" in output
    assert "failed" in output
    assert SECRET not in output
    assert "tok%2Fen" not in output


def test_short_values_are_not_treated_as_secrets():
    registry = SecretRegistry()
    registry.add("ab")
    assert registry.redact("abc") == "abc"
