"""Statistical models (issue 21): ARIMA, SARIMA, ETS, Holt-Winters, Theta, TBATS, MSTL, GARCH family, VAR, Prophet.

Each is a forecaster with a public id, registered here with the one registry (`core.forecasters`
imports this package), so every face, the walk-forward and the shared contract tests see it. The
libraries (statsforecast, arch, statsmodels, prophet) are the pip extra ``stats``; without them the ids stay
listed as unavailable with the command that adds them. Libraries are imported only when a model
fits or loads. NeuralProphet is listed as unavailable, with the reason: no release installs beside numpy 2.
"""

from __future__ import annotations

from core.models import registry
from core.statistical.base import EXTRA, FAMILY, StatConfig, StatisticalModel
from core.statistical.curve import ProphetModel
from core.statistical.garch import Egarch, Garch, GjrGarch
from core.statistical.univariate import AutoArima, AutoEts, AutoTheta, HoltWinters, Mstl, Sarima, Tbats
from core.statistical.var import Var

# id -> (class, library modules, default overrides, description)
MODELS: dict[str, tuple[type[StatisticalModel], tuple[str, ...], dict[str, int], str]] = {
    "auto_arima": (AutoArima, ("statsforecast",), {}, "AutoARIMA of log returns with daily seasonal orders"),
    "sarima": (Sarima, ("statsforecast",), {}, "SARIMA(1,1,1)(1,0,1) of log price at the daily season"),
    "auto_ets": (AutoEts, ("statsforecast",), {}, "AutoETS (additive errors) of log price"),
    "holt_winters": (HoltWinters, ("statsforecast",), {}, "additive Holt-Winters of log price, daily season"),
    "auto_theta": (AutoTheta, ("statsforecast",), {}, "AutoTheta of log price"),
    "tbats": (Tbats, ("statsforecast",), {}, "AutoTBATS of log price, daily and weekly seasons"),
    "mstl": (Mstl, ("statsforecast", "statsmodels"), {}, "MSTL daily and weekly seasons, ETS trend"),
    "garch": (Garch, ("arch",), {"max_train": 4000}, "GARCH(1,1), Student-t: P(up) from mean and volatility"),
    "gjr_garch": (GjrGarch, ("arch",), {"max_train": 4000}, "GJR-GARCH(1,1,1), Student-t"),
    "egarch": (Egarch, ("arch",), {"max_train": 4000}, "EGARCH(1,1,1), Student-t"),
    "var": (Var, ("statsmodels",), {"max_train": 4000}, "VAR of log return, volume change and range, lags by AIC"),
    "prophet": (ProphetModel, ("prophet",), {}, "Prophet curve of log price: trend, daily and weekly seasons"),
}

for _id, (_cls, _requires, _overrides, _description) in MODELS.items():
    registry.register(registry.ModelSpec(
        _id, FAMILY, _description, StatConfig().with_overrides(_overrides),
        lambda model_id, config, cls=_cls: cls(model_id, config), sequence=False, tags=_cls.tags,
        requires=_requires, extra=EXTRA,
    ))

NEURALPROPHET = "NeuralProphet does not install beside numpy 2 (no release supports it): use prophet instead"
registry.register(registry.ModelSpec(
    "neuralprophet", FAMILY, "NeuralProphet: Prophet's curve fitted by a neural net", StatConfig(),
    lambda model_id, config: None, sequence=False, tags=StatisticalModel.tags, unavailable_reason=NEURALPROPHET,
))

__all__ = ["MODELS", "StatConfig", "StatisticalModel"]
