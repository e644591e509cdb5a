"""Secrets: ``.kamal/secrets*`` files (dotenv syntax) and the password-manager adapters behind
``secrets fetch``. Importing this package is cheap; files are read on the first lookup."""

from pykamal.secrets.store import Secrets

__all__ = ["Secrets"]
