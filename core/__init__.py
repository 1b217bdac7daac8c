"""Lydian core: candles, features, models and evaluation, shared by the dashboard, CLI and API.

Importable without Streamlit; heavy libraries are imported where they are used.
"""

import os

# Idle OpenMP threads sleep instead of spinning: on 2 shared cores, spinning boosters and torch
# starve each other (a 0.1 s LightGBM fit was seen taking 45 s). Must be set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
