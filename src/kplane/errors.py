"""The kplane exception tree.

Every error kplane raises on purpose derives from :class:`KplaneError`, so a caller (and the CLI)
can catch one type. Messages name the field, the value and what was expected.

::

    KplaneError
    ├── InvalidParameterError (also ValueError)   a bad argument to a function or command
    ├── InvalidScenarioError  (also ValueError)   a topology/routing/traffic that is not valid
    ├── FormatError           (also ValueError)   a file that cannot be read (file, line, field)
    │   └── SchemaVersionError                    a file of another schema version
    ├── UnsupportedError                          valid input that kplane does not model (yet)
    ├── InfeasibleError                           an optimisation problem without a solution
    ├── SolverError                               a solver that stopped without an answer
    ├── ConvergenceError                          an iteration that did not converge
    └── NotFittedError        (also AttributeError) a model used before it was fitted/loaded

Warnings (``warnings.warn``) derive from :class:`KplaneWarning`::

    KplaneWarning (also UserWarning)
    └── OutOfDistributionWarning                  input outside what a learned model was trained on
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConvergenceError",
    "FormatError",
    "InfeasibleError",
    "InvalidParameterError",
    "InvalidScenarioError",
    "KplaneError",
    "KplaneWarning",
    "NotFittedError",
    "OutOfDistributionWarning",
    "SchemaVersionError",
    "SolverError",
    "UnsupportedError",
]


class KplaneError(Exception):
    """Base class of every error kplane raises on purpose."""


class InvalidParameterError(KplaneError, ValueError):
    """A function or command argument is outside what it accepts."""


class InvalidScenarioError(KplaneError, ValueError):
    """A topology, routing, traffic matrix or scenario is not valid."""


class FormatError(KplaneError, ValueError):
    """A file could not be parsed.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    file : str or Path, optional
        The file being read.
    line : int, optional
        1-based line number in ``file``.
    field : str, optional
        The field (column, attribute, key) at fault.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file if self.line is None else f"{self.file}:{self.line}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class SchemaVersionError(FormatError):
    """A file was written with a schema version this kplane cannot read."""


class UnsupportedError(KplaneError):
    """The input is valid but describes something kplane does not model."""


class InfeasibleError(KplaneError):
    """An optimisation problem has no feasible solution."""


class SolverError(KplaneError):
    """A solver stopped without a usable answer.

    Parameters
    ----------
    message : str
        Human-readable explanation.
    status : str, optional
        The solver's status name (e.g. ``"time_limit"``, ``"unbounded"``).
    time_limit : float, optional
        The time limit in seconds that applied, if any.
    """

    def __init__(
        self, message: str, *, status: str | None = None, time_limit: float | None = None
    ) -> None:
        self.status = status
        self.time_limit = time_limit
        super().__init__(message)


class ConvergenceError(KplaneError):
    """An iterative method did not converge within its iteration budget."""


class NotFittedError(KplaneError, AttributeError):
    """A model or optimizer was used before ``fit`` (or ``load``)."""


class KplaneWarning(UserWarning):
    """Base class of every warning kplane emits on purpose."""


class OutOfDistributionWarning(KplaneWarning):
    """A learned model is asked about input outside the range it was trained on.

    The prediction is still returned, but it is an extrapolation; the message names the quantity,
    its value and the range seen in training.
    """
