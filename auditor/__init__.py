"""brand-audit: does a company speak with one voice everywhere?

The library API: ``load_config``, ``run_audit``, ``load_baseline``; the CLI is a thin layer
over them (``auditor.cli``).
"""

import os

__version__ = "0.1.0"

# OpenBLAS's idle threads spin for a long while before they sleep. Between the embedding
# model's matrix products that spinning takes the CPU the audit's background worker would
# use (``auditor.background``), with no gain in speed (measured: the same encode time, a
# quarter less CPU). Read once, when numpy loads; a value the user set is kept.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
