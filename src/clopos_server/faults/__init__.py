"""Failure rehearsal on test brands: rules an integrator arms so that its client meets, on purpose, the
failures it must survive in production (the answer lost after the order was committed, a 429, a 503, a
slow answer). The rules live in the database, so every instance behind a load balancer applies them:
the instance that armed a rule at once, the others from their next directory refresh
(``CLOPOS_REVOCATION_REFRESH_SECONDS``), which also tells each instance which brands have rules at all,
so that no other request pays a lookup."""
