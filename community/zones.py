"""Zones plug themselves in.

A zone (forum, scenarios, vouchers, ...) describes what it brings in one ``Zone``, returned by ``zone()`` in
its package's ``__init__.py``: its routes, the search types it indexes, its job handlers and periodic work,
its CLI groups and template globals, and the kinds of notification it sends (worded in each reader's
language when read). ``ZonesPlugin`` wires every listed zone into the app; ``app.py`` holds
only the list. Adding a zone is one line there.

``zone()`` imports the zone's controllers and services inside the function, so that importing a zone's
models (Alembic does) never pulls in its web layer, and zones can be listed without import cycles.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from litestar.plugins import CLIPluginProtocol, InitPluginProtocol

from community.jobs import Handler, Periodic, register_handler, register_periodic
from community.notifications.notices import Notice, register_notices
from community.search.services import Source, register_type

if TYPE_CHECKING:
    import click
    from litestar.config.app import AppConfig
    from litestar.types import ControllerRouterHandler


@dataclass(frozen=True)
class SearchType:
    """A kind of searchable document: its type name, the label people see, and where every document of
    that type comes from (``community search reindex``)."""

    doc_type: str
    label: str
    source: Source


@dataclass(frozen=True)
class Zone:
    name: str
    routes: Sequence[ControllerRouterHandler] = ()
    search_types: Sequence[SearchType] = ()
    jobs: Mapping[str, Handler] = field(default_factory=dict)
    periodic: Sequence[Periodic] = ()
    cli_groups: Sequence[click.Command] = ()
    template_globals: Mapping[str, Any] = field(default_factory=dict)
    notices: Sequence[Notice] = ()


def zone_package(name: str) -> ModuleType:
    """The package of the zone ``name`` (``community.<name>``)."""
    return importlib.import_module(f"community.{name}")


def load_zones(names: Sequence[str]) -> list[Zone]:
    """What each named zone declares, in the order given."""
    zones: list[Zone] = [zone_package(name).zone() for name in names]
    return zones


def register_zone_work(zones: Sequence[Zone]) -> None:
    """Search types, job handlers, periodic work and notice kinds of every zone, in the process-wide
    registries the search outbox, the job worker and the notifications read (the CLI's worker and reindex use
    them without an app)."""
    for zone in zones:
        register_notices(zone.notices)
        for search_type in zone.search_types:
            register_type(search_type.doc_type, search_type.label, search_type.source)
        for kind, handler in zone.jobs.items():
            register_handler(kind, handler)
        for periodic in zone.periodic:
            register_periodic(periodic)


class ZonesPlugin(InitPluginProtocol, CLIPluginProtocol):
    """Wires the zones into the app: routes, template globals, and (once, per process) their work."""

    def __init__(self, names: Sequence[str]) -> None:
        self.zones = load_zones(names)
        register_zone_work(self.zones)

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        for zone in self.zones:
            app_config.route_handlers.extend(zone.routes)
        callback = app_config.template_config.engine_callback if app_config.template_config else None
        if app_config.template_config is not None:
            globals_ = {k: v for zone in self.zones for k, v in zone.template_globals.items()}

            def configure(engine: Any) -> None:
                if callback is not None:
                    callback(engine)
                engine.engine.globals.update(globals_)

            app_config.template_config.engine_callback = configure
        return app_config

    def on_cli_init(self, cli: click.Group) -> None:
        for zone in self.zones:
            for group in zone.cli_groups:
                cli.add_command(group)
