"""Failure rehearsal on test brands: rules an integrator arms so that its client meets, on purpose, the
failures it must survive in production (the answer lost after the order was committed, a 429, a 503, a
slow answer). The rules live in the database, so every instance behind a load balancer applies them."""
