"""Webhooks (issue 13, docs/webhooks.md): endpoints an integrator registers, and the dispatcher that
delivers the brand's events to them, signed as Standard Webhooks, retried on a schedule, every attempt
recorded.

Modules: ``schemas`` (what an endpoint body may hold), ``targets`` (which URLs and addresses are
allowed), ``secrets`` (generating, sealing and signing with endpoint secrets), ``repository`` (the
tables), ``service`` (the rules behind the API and the CLI), ``render`` and ``shapes`` (answers and the
OpenAPI document), ``client`` (one HTTP attempt under the limits), ``schedule`` (when to retry),
``source`` (reading the event log) and ``dispatcher`` (the background task of every instance).
"""
