"""Shared value types and readers below the domain packages.

``values``: what one scalar may be (an id, a number, storable text, a time, a UUID), read from text or
JSON alike; ``body``: the one JSON body parser and the one typed reader every JSON body goes through;
``tasks``: bounded waits that a cancellation always ends, and the stopping of background tasks.
"""
