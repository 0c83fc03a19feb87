"""A whole company at scale, for benchmarks and for trying the status pages with real volumes.

``people`` makes the people (portal's data), ``acknowledgements`` asks them to sign the policy
and signs about 70% of it, ``requests`` gives them IT requests; ``company.seed_company`` runs the
three in one transaction, and ``command`` is its command line (``bench/seed_scale.py``).
"""
