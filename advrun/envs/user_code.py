"""Import and call the user's own code (env modules, factories, wrappers) cleanly.

A module named in the config (``env.id=corridor:Corridor-v0``, ``env.make``,
``env.wrappers``) is user code: when it fails to import or its call raises, the user
needs *their* error — the exception type, its message and the ``file:line`` of their
code that raised it — not a traceback through advrun and importlib. Every failure here
becomes one :class:`~advrun.config.errors.ConfigError` naming the config key.
"""

from __future__ import annotations

import importlib
import importlib.util
import linecache
import re
import sysconfig
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from advrun.config.errors import ConfigError

# "pkg.module:attr" (gymnasium's and setuptools' entry-point syntax).
_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_ADVRUN_DIR = str(Path(__file__).resolve().parents[1]) + "/"
# Library code: the standard library and installed packages (site-packages).
_LIBRARY_DIRS = tuple(
    {str(Path(p).resolve()) for k, p in sysconfig.get_paths().items() if "lib" in k}
)


def _is_user_frame(filename: str) -> bool:
    """Whether a traceback frame belongs to the user's code (not importlib, advrun,
    the standard library or an installed package)."""
    if filename.startswith("<"):  # <frozen importlib._bootstrap>, <string>
        return False
    path = str(Path(filename).resolve())
    return not path.startswith(_ADVRUN_DIR) and not path.startswith(_LIBRARY_DIRS)


def _user_frames(err: BaseException) -> list[traceback.FrameSummary]:
    """User frames of ``err``, else of the exceptions it was raised from (gymnasium
    re-raises an env constructor's TypeError from its own code)."""
    seen: set[int] = set()
    cause: BaseException | None = err
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        user = [f for f in traceback.extract_tb(cause.__traceback__) if _is_user_frame(f.filename)]
        if user:
            return user
        cause = cause.__cause__ or cause.__context__
    return []


def where(err: BaseException) -> str:
    """``file:line: source`` of the innermost user frame that raised ``err`` (else of
    an installed package's innermost frame; "" if none). A SyntaxError carries its own
    location (the file never ran)."""
    if isinstance(err, SyntaxError) and err.filename:
        filename, lineno = err.filename, err.lineno or 0
    else:
        frames = _user_frames(err) or [
            f
            for f in traceback.extract_tb(err.__traceback__)
            if not f.filename.startswith("<")
            and not str(Path(f.filename).resolve()).startswith(_ADVRUN_DIR)
        ]
        if not frames:
            return ""
        filename, lineno = frames[-1].filename, frames[-1].lineno or 0
    source = linecache.getline(filename, lineno).strip()
    return f"{filename}:{lineno}" + (f": `{source}`" if source else "")


def describe(err: BaseException) -> str:
    """``Type: message (at file:line: source)`` — the user's own error in one line."""
    text = " ".join(str(err).split()) or "(no message)"
    place = where(err)
    return f"{type(err).__name__}: {text}" + (f" (at {place})" if place else "")


def _path_hint(module: str) -> str:
    top = module.split(".")[0]
    return (
        f"put the folder that holds {top}.py (or the package {top}/) on PYTHONPATH, "
        "e.g. PYTHONPATH=path/to/folder advrun ..., or pip install the package"
    )


def import_module(module: str, key: str) -> ModuleType:
    """Import ``module`` (running its ``gymnasium.register`` calls); any failure is a
    ConfigError on ``key`` that shows the module's own error."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name is not None and (module == err.name or module.startswith(err.name + ".")):
            hint = _path_hint(module) + "."
            raise ConfigError(key, f"no module named {module!r}.", hint) from None
        raise ConfigError(
            key,
            f"importing {module!r} failed: {describe(err)}.",
            f"install the package it imports ({err.name}) or fix the import in {module}.",
        ) from None
    except Exception as err:  # the module's own code raised while importing
        raise ConfigError(
            key,
            f"importing {module!r} failed: {describe(err)}.",
            f"fix the error in {module} (it runs when advrun imports it).",
        ) from None


def is_import_path(text: str) -> bool:
    """``pkg.module:attr``, the syntax ``env.make`` takes."""
    return bool(_IMPORT_PATH.match(text))


def _get_attr(module: ModuleType, attr: str, path: str, key: str) -> Any:
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ConfigError(
                key,
                f"{path!r}: {getattr(obj, '__name__', obj)!s} has no attribute {part!r}.",
                "check the spelling of the name after the module.",
            )
        obj = getattr(obj, part)
    return obj


def load_object(path: str, key: str) -> Any:
    """The object at ``pkg.module:attr`` or, Hydra's ``_target_`` spelling,
    ``pkg.module.attr`` (the longest importable module prefix wins)."""
    if ":" in path:
        module, attr = path.split(":", 1)
        return _get_attr(import_module(module, key), attr, path, key)
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:cut])
        try:
            found = importlib.util.find_spec(module)
        except ModuleNotFoundError:  # a parent package is missing
            found = None
        except Exception:  # a parent package raised while importing: show its error
            import_module(module, key)
            raise
        if found is not None:
            return _get_attr(import_module(module, key), ".".join(parts[cut:]), path, key)
    if len(parts) == 1:
        raise ConfigError(
            key,
            f"{path!r} is not an import path.",
            "write pkg.module.Name (Hydra's _target_) or pkg.module:Name.",
        )
    raise ConfigError(key, f"no module found for {path!r}.", _path_hint(parts[0]) + ".")


def call_user(fn: Callable[..., Any], what: str, key: str, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``; an exception is reported as the user's error."""
    try:
        return fn(*args, **kwargs)
    except Exception as err:
        raise ConfigError(
            key,
            f"{what} raised {describe(err)}.",
            f"fix {what}, or the keyword arguments given to it "
            f"({', '.join(sorted(kwargs)) or 'none'}).",
        ) from None
