"""Lydian core: candles, features, models and evaluation, shared by the dashboard, CLI and API.

Importable without Streamlit; heavy libraries are imported where they are used.
"""

__version__ = "0.1.0"
