"""The venue order board: staff sign in, watch orders arrive live (Server-Sent Events) and act on them.

Server-rendered HTML (``templates/``) and a little plain JavaScript (``static/``); no build step and
nothing fetched from the internet. ``routes`` is the HTTP surface, ``live`` the event stream, ``actions``
the calls into the order and receipt services, ``sessions`` the signed cookie and CSRF tokens, ``render``
the cards, panels and printouts, ``today`` the day's numbers and search, ``i18n`` the string catalogue.
"""
