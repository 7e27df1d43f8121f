"""The register UI: the cashier's screen, served by ``kassa pos serve`` (DESIGN §3.6, §7, §8;
issue 6 §1).

Mount it on the register app with :func:`mount_register_ui` (``create_app`` does); the pages
are listed in :mod:`kassa.pos.web.routes`. Server-rendered Jinja2 pages plus a few small
first-party JS modules (``static/``) that call the register's JSON API; no build step and no
third-party files.
"""

from kassa.pos.web.routes import mount_register_ui

__all__ = ["mount_register_ui"]
