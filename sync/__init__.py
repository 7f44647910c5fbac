"""leadsync: turn prospecting spreadsheets into a disciplined sales pipeline.

from pathlib import Path
import sync

config = sync.load_config(Path("leadsync.toml"))
report = sync.run(config)
print(report.plan.counts)
"""

from sync.config import Config, load_config
from sync.engine import Report, run
from sync.errors import LeadsyncError
from sync.planner import plan

__all__ = ["Config", "LeadsyncError", "Report", "load_config", "plan", "run"]
