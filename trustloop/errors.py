"""Errors the CLI reports as one clear line (exit code 2) instead of a traceback."""

from trustloop.locking import RunLocked
from trustloop.policy import PolicyError
from trustloop.settings import SettingsError
from trustloop.warehouse import WarehouseBusy


class UserError(RuntimeError):
    """A problem the user can fix (missing warehouse, unknown id, bad argument)."""


EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    UserError,
    PolicyError,
    RunLocked,
    WarehouseBusy,
    SettingsError,
)
