"""Errors the CLI reports as one clear line (exit code 2) instead of a traceback."""

from trustloop.locking import RunLocked
from trustloop.policy import PolicyError
from trustloop.settings import Settings, SettingsError, get_settings
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


def require_warehouse() -> Settings:
    """The settings, once their warehouse file exists (every command that reads it asks first)."""
    settings = get_settings()
    if not settings.warehouse.exists():
        raise UserError(f"no warehouse at {settings.warehouse}: run `trustloop run` first")
    return settings
