"""Register-facing reads: who am I, sign-in, products, customers, parameters, tax groups
(docs/API.md "Store server"; issue 4 §1). Every route needs a register's device token.

The lookups a register makes for every scan and sale (product, customer, parameters, tax
groups, who am I) are ``async`` routes reading through :meth:`StoreContext.read` on the
event loop — one indexed read costs less than a hop to a worker thread
(:mod:`kassa.store.deps`). Sign-in (a slow password hash) and name search stay in worker
threads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from kassa.http_errors import error_responses
from kassa.store import catalogue, channel, journal
from kassa.store.deps import Ctx, ReadConn, Register
from kassa.store.models import (
    CustomerOut,
    MeOut,
    ProductOut,
    ProductsOut,
    SignInIn,
    SignInOut,
    TaxGroupsOut,
)

router = APIRouter(prefix="/api", tags=["register: catalogue"],
                   responses=error_responses(401, 403))
UNKNOWN = error_responses(404)

#: Largest id accepted in a path (BigInteger).
MAX_ID = 2**63 - 1
IdPath = Annotated[int, Path(ge=0, le=MAX_ID)]
CodePath = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/me", response_model=MeOut, responses=UNKNOWN,
            summary="This register, its store and offline profile")
async def get_me(register: Register, ctx: Ctx) -> dict[str, Any]:
    with ctx.read() as conn:
        return {**channel.register_profile(conn, register, ctx.parameters.get(conn)),
                "journal": journal.head_of(conn, register)}  # issue 8 §4: the chain's seed


@router.post("/sign-in", response_model=SignInOut, responses=error_responses(429),
             summary="Check an operator's password (locked after 5 failures in 5 minutes)")
def post_sign_in(body: SignInIn, register: Register, ctx: Ctx, conn: ReadConn) -> dict[str, Any]:
    return ctx.lockout.attempt(body.operator_id, lambda: channel.sign_in(
        conn, register.store_id, body.operator_id, body.password))


@router.get("/products/search", response_model=ProductsOut, summary="Search products by name")
def get_search(
    register: Register,
    conn: ReadConn,
    q: Annotated[str, Query(min_length=1, max_length=200, description="words of the name")],
    limit: Annotated[int, Query(ge=1, le=catalogue.MAX_LIMIT)] = 20,
) -> dict[str, Any]:
    return {"items": catalogue.search_products(conn, q, limit)}


@router.get("/products/by-barcode/{code}", response_model=ProductOut, responses=UNKNOWN,
            summary="A product by barcode")
async def get_by_barcode(code: CodePath, register: Register, ctx: Ctx) -> dict[str, Any]:
    with ctx.read() as conn:
        return catalogue.product_by_barcode(conn, code)


@router.get("/products/{product_id}", response_model=ProductOut, responses=UNKNOWN,
            summary="A product by id")
async def get_product(product_id: IdPath, register: Register, ctx: Ctx) -> dict[str, Any]:
    with ctx.read() as conn:
        return catalogue.product_by_id(conn, product_id)


@router.get("/customers/by-card/{loyalty_card}", response_model=CustomerOut, responses=UNKNOWN,
            summary="A customer by loyalty card")
async def get_customer_by_card(
    loyalty_card: CodePath, register: Register, ctx: Ctx
) -> dict[str, Any]:
    with ctx.read() as conn:
        return catalogue.customer_by_card(conn, loyalty_card)


@router.get("/customers/{customer_id}", response_model=CustomerOut, responses=UNKNOWN,
            summary="A customer by id")
async def get_customer(customer_id: IdPath, register: Register, ctx: Ctx) -> dict[str, Any]:
    with ctx.read() as conn:
        return catalogue.customer_by_id(conn, customer_id)


@router.get("/parameters", response_model=dict[str, Any],
            summary="Commerce parameters (cache dropped when a package is applied)")
async def get_parameters(register: Register, ctx: Ctx) -> dict[str, Any]:
    with ctx.read() as conn:
        return ctx.parameters.get(conn)


@router.get("/tax-groups", response_model=TaxGroupsOut, summary="Tax groups")
async def get_tax_groups(register: Register, ctx: Ctx) -> dict[str, Any]:
    with ctx.read() as conn:
        return {"items": catalogue.tax_groups(conn)}
