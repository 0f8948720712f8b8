"""The demo's modules live in deploy/local (scripts, not a package): import them from there."""

import sys
from pathlib import Path

DEPLOY_LOCAL = Path(__file__).resolve().parents[2] / "deploy" / "local"
if str(DEPLOY_LOCAL) not in sys.path:
    sys.path.insert(0, str(DEPLOY_LOCAL))
