"""AWS Secrets Manager through the ``aws`` CLI; ``--account`` is an AWS CLI profile (optional).

Names are secret names or ARNs. A secret whose string is a JSON object gives one key per member,
``<secret name>/<member>``; any other string is returned under the secret's name.
"""

from __future__ import annotations

import json
from typing import Any

from pykamal.errors import SecretsError
from pykamal.secrets.adapters.base import Adapter, prefixed

BATCH_SIZE = 20  # the most secret ids one BatchGetSecretValue call accepts


class AwsSecretsManager(Adapter):
    name = "aws_secrets_manager"
    title = "AWS"
    executable = "aws"
    install_hint = "https://aws.amazon.com/cli/, e.g. `pip install awscli`"
    requires_account = False

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, Any]:
        secrets = prefixed(names, from_)
        if not secrets:
            raise SecretsError("AWS Secrets Manager: give the names of the secrets to fetch")
        results: dict[str, Any] = {}
        for start in range(0, len(secrets), BATCH_SIZE):
            for entry in self._batch_get(secrets[start : start + BATCH_SIZE], account):
                _add(results, entry)
        return results

    def _batch_get(self, ids: list[str], profile: str | None) -> list[Any]:
        args = ["secretsmanager", "batch-get-secret-value", "--secret-id-list", *ids]
        if profile:
            args += ["--profile", profile]
        args += ["--output", "json"]
        output = self.run(*args)
        if not output.ok:
            raise SecretsError(
                f"Could not read {', '.join(ids)} from AWS Secrets Manager "
                "(see the aws error above; check credentials, region and the --account profile)"
            )
        data = self.parse_json(output, "secretsmanager batch-get-secret-value")
        if not isinstance(data, dict):
            raise SecretsError("AWS Secrets Manager: unexpected batch-get-secret-value output")
        errors = data.get("Errors") or []
        if errors:
            raise SecretsError(
                " ".join(f"{error.get('SecretId')}: {error.get('Message')}" for error in errors)
            )
        values = data.get("SecretValues") or []
        return values if isinstance(values, list) else []


def _add(results: dict[str, Any], entry: Any) -> None:
    name = entry.get("Name")
    secret_string = entry.get("SecretString")
    if secret_string is None:
        raise SecretsError(
            f"AWS Secrets Manager: secret {name} has no string value (binary secrets are not supported)"
        )
    try:
        members = json.loads(secret_string)
    except json.JSONDecodeError:
        members = None
    if isinstance(members, dict):
        for key, value in members.items():
            results[f"{name}/{key}"] = value
    else:
        results[name] = secret_string
