"""ForgetPredict from Python: predict which upstream examples a fine-tune will make a language model forget.

The package drives the ``forgetpredict`` engine (the command line, found through ``FORGETPREDICT``, on ``PATH``, or
built in the repository) or its query service (:class:`Client`); numpy arrays and pandas DataFrames go in and out.
An argument left out (None) takes the engine's default.

``progress`` (every local call, and :meth:`Client.fit`): True shows the engine's progress as one line updated in place
(in Jupyter, or on a terminal's standard error); False shows none.

>>> import forgetpredict
>>> m = forgetpredict.fit(Z, method="mf", seed=0, examples=upstream)       # doctest: +SKIP
>>> p = m.predict(observed=cells, group_by="source")                       # doctest: +SKIP
>>> p.groups, p.examples                                                   # doctest: +SKIP
"""
from ._engine import EngineError, EngineNotFound, EngineWarning, InputError, find_engine
from ._model import Model, Prediction, analyze, design, evaluate, fit, load
from .client import Client, RemoteModel, ServiceError, ServiceUnavailable

__all__ = ["fit", "load", "evaluate", "analyze", "design", "Model", "Prediction", "Client", "RemoteModel",
           "EngineError", "EngineNotFound", "EngineWarning", "InputError", "ServiceError", "ServiceUnavailable", "find_engine"]
__version__ = "0.1.0"
