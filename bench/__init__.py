"""The benchmarks, and the seeding of the company they measure (``bench/seeding/``)."""
