"""Model zoo: one Model interface, a registry of 19 models and one shared trainer (issue: model zoo)."""
