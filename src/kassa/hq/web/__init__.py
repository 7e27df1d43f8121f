"""HQ back office: server-rendered pages for the HQ admin (DESIGN §8; issue 6 §2).

Mount with ``create_app(engine, admin_token=token, routers=[web_router(engine, token)])``;
see :mod:`kassa.hq.web.routes` for the pages.
"""

from kassa.hq.web.routes import web_router

__all__ = ["web_router"]
