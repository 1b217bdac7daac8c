"""The one error of the regimes package: what a user gave, or a stored file, cannot be used."""

from core.errors import LydianError


class RegimeError(LydianError, ValueError):
    """An unknown detector, too few bars to fit, or a stored detector that is damaged or tampered with."""
