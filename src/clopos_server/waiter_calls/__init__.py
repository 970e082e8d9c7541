"""Waiter calls (issue 17): a guest's call from an e-menu (``POST /open-api/v2/waiter-call``), kept until
staff acknowledge it on the venue's board; both are events of the log (``waiter_call.created``,
``waiter_call.acknowledged``). ``service`` holds the rules, ``shapes`` the body and answer schemas."""
