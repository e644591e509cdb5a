"""Running commands on hosts (SSH) and locally: executors, parallel fan-out, output and redaction,
host keys, the deploy lock. Importing this package is cheap; asyncssh loads on first connection."""
