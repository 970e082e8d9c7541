"""clopos-server: a self-hostable server for the Clopos Open API."""

__version__ = "0.1.0"
