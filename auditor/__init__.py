"""brand-audit: does a company speak with one voice everywhere?

The library API: ``load_config``, ``run_audit``, ``load_baseline``; the CLI is a thin layer
over them (``auditor.cli``).
"""

__version__ = "0.1.0"
