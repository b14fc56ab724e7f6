"""Secrets (API tokens): where they may come from, and keeping them out of every output.

A token never lives in ``audit.toml``: that file is committed and shared. A section names where
the token is instead, and ``resolve_token`` reads it:

- ``token_env = "MASTODON_TOKEN"``: an environment variable (CI secret stores set these);
- ``token_file = "~/.config/brand-audit/mastodon.token"``: a file outside the repository that
  holds the audit configuration, readable by its owner only.

Every value read is registered, and ``redact`` replaces it with ``[redacted]`` wherever it would
be shown: collection errors (``channels.limits.guarded`` applies it to every collector), copy a
hostile server echoes back, and log records (a record factory installed on first use), so no
report format, store or log carries it.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from pathlib import Path

REDACTED = "[redacted]"

#: Keys that look like a secret written into audit.toml in plain text.
SECRET_KEYS = frozenset({"token", "api_key", "apikey", "access_token", "password", "secret",
                         "client_secret", "bearer", "auth_token"})

_lock = threading.Lock()
_secrets: set[str] = set()
_factory_installed = False


class SecretError(ValueError):
    """A token that cannot be read; the message says where it was looked for and what to do."""


def register(value: str) -> str:
    """Remember ``value`` so ``redact`` hides it from now on; returns it unchanged."""
    global _factory_installed
    value = value.strip()
    if len(value) < 4:  # a one-letter "secret" would blank out ordinary words in reports
        return value
    with _lock:
        _secrets.add(value)
        if not _factory_installed:
            _install_log_redaction()
            _factory_installed = True
    return value


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``[redacted]``."""
    if not _secrets or not text:
        return text
    with _lock:
        values = sorted(_secrets, key=len, reverse=True)  # longest first: no partial leftovers
    for value in values:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def known() -> bool:
    """Whether any secret has been registered in this process."""
    return bool(_secrets)


def resolve_token(*, token_env: str | None, token_file: str | None, base_dir: Path,
                  where: str) -> str | None:
    """The token a section names, registered for redaction; ``None`` when it names none.

    Raises ``SecretError`` when the variable is unset or empty, or the file is missing, inside
    the repository that holds the configuration, or readable by other users.
    """
    if token_env and token_file:
        raise SecretError(f"{where}: give one of `token_env` or `token_file`, not both")
    if token_env:
        value = os.environ.get(token_env, "").strip()
        if not value:
            raise SecretError(f"{where}: environment variable {token_env} (named by "
                              f"`token_env`) is not set or empty; export it before the run "
                              f"(in CI, from the secret store)")
        return register(value)
    if token_file:
        path = Path(token_file).expanduser()
        if not path.is_absolute():
            path = base_dir / path
        path = path.resolve()
        repo = repository_root(base_dir)
        if path.is_relative_to(repo):
            raise SecretError(f"{where}: token_file {path} is inside {repo}, the folder that "
                              f"holds the audit configuration; keep secrets outside it (e.g. "
                              f"~/.config/brand-audit/) so they are never committed")
        try:
            mode = path.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise SecretError(f"{where}: token_file {path} can be read by other users; "
                                  f"run `chmod 600 {path}`")
            value = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise SecretError(f"{where}: token_file {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SecretError(f"{where}: token_file {path} cannot be read: {exc}") from None
        if not value:
            raise SecretError(f"{where}: token_file {path} is empty")
        return register(value)
    return None


def repository_root(start: Path) -> Path:
    """The enclosing version-control checkout of ``start`` (else ``start`` itself)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists() or (folder / ".hg").exists():
            return folder
    return start


def plain_secret_hint(key: str, section: str) -> str:
    """What to do instead of writing ``key`` into ``audit.toml`` (for the ConfigError)."""
    return (f"secrets never go into audit.toml: remove `{key}` and set "
            f"token_env = \"NAME_OF_ENV_VAR\" (export the token in that variable) or "
            f"token_file = \"~/.config/brand-audit/{section}.token\" (a file outside the "
            f"repository, chmod 600) in the same section")


def _install_log_redaction() -> None:
    """Redact every log record as it is made, whichever logger or handler it goes to."""
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logging's problem, not ours
            return record
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(factory)
