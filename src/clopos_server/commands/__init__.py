"""Sub-commands of ``clopos-server``, one module per area, registered in ``cli.py``."""
