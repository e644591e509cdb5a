"""pykamal: deploy containerized web apps to your own servers, reading Kamal's configuration."""

__version__ = "0.1.0"

# The Kamal release whose configuration, remote layout and command shapes pykamal follows.
KAMAL_COMPAT_VERSION = "2.12.0"
