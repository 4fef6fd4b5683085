"""Data Docs views that compile GX's page templates once per process.

GX builds a new site builder, and with it new Jinja environments, at every
``build_data_docs`` call; each environment compiles the page templates again
(about 0.17 s a build). A process that builds several times (a run of several
checks launched from the Dagster UI, `trustloop quality --validate`, the
tests) compiles them once with these views: GX's own, with one in-memory
bytecode cache shared by every environment. A template's source is still read
and checked, and is compiled again only when it changed. The pages are the same.

Named in the site's config (``expectations.runner.gx_context``), the way GX
lets a site choose its views.
"""

from __future__ import annotations

import threading

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates by Jinja's key (template name and file), checked against the source's checksum."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # ignored by Jinja when the source's checksum changed

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = bucket.bytecode_to_string()
        with self._lock:
            self._code[bucket.key] = code

    def clear(self) -> None:
        with self._lock:
            self._code.clear()

    def __len__(self) -> int:
        return len(self._code)


TEMPLATES = MemoryBytecodeCache()


class _TemplatesCompiledOnce:
    """Gives a GX Jinja view's environment the shared bytecode cache."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = TEMPLATES


class CachedJinjaPageView(_TemplatesCompiledOnce, DefaultJinjaPageView):
    """GX's page view (validation results, expectation suites), templates compiled once."""


class CachedJinjaIndexPageView(_TemplatesCompiledOnce, DefaultJinjaIndexPageView):
    """GX's site index view, templates compiled once."""
