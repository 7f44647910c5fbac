"""leadsync: turn prospecting spreadsheets into a disciplined sales pipeline.

from pathlib import Path
import sync

config = sync.load_config(Path("leadsync.toml"))
report = sync.run(config)
print(report.plan.counts)
"""

from sync.native import choose

# Before any module mypyc may have compiled is imported: see sync/native.py.
BUILD = choose(__path__[0])

from sync.config import Config, load_config  # noqa: E402
from sync.engine import Report, run  # noqa: E402
from sync.errors import LeadsyncError  # noqa: E402
from sync.planner import plan  # noqa: E402

__all__ = ["BUILD", "Config", "LeadsyncError", "Report", "load_config", "plan", "run"]
