"""Admin endpoints of HQ distribution (``Authorization: Bearer <admin token>``; DESIGN §4, §8).

| method | path | what |
|---|---|---|
| GET | ``/api/jobs`` | the job catalogue with ``exclude_from_offline`` |
| PUT | ``/api/jobs/{id}/exclude-from-offline`` ``{"on"}`` | exclude a job from offline DBs |
| GET | ``/api/schedules`` | distribution schedules |
| POST | ``/api/schedules/{id}/run?data_group_id=…`` | run now → one outcome per data group |
| GET | ``/api/packages?data_group_id=&before=&limit=`` | packages of a group, newest first |
| GET | ``/api/channel-databases?data_group_id=&store_id=&include_retired=`` | entity view |
| PUT | ``/api/registers/{id}/support-offline`` ``{"on"}`` | Support offline |
| POST | ``/api/registers/{id}/activation-code`` | one-time code (24 h) |
| POST | ``/api/stores/{id}/server-token`` | new store server token (shown once) |
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import Field

from kassa.hq.api.deps import Admin, ClockDep, EngineDep
from kassa.hq.api.models import (
    MAX_ID,
    MAX_NUMBER,
    ActivationCodeOut,
    ChannelDatabasesOut,
    JobOut,
    OnOff,
    PackagesOut,
    RunOut,
    ScheduleOut,
    StoreTokenOut,
    SupportOfflineOut,
)
from kassa.hq.distribution import access, entities, packages, setup
from kassa.hq.distribution.jobs import load_jobs, set_job_excluded
from kassa.hq.distribution.writer import list_schedules, run_schedule
from kassa.http_errors import error_responses

router = APIRouter(prefix="/api", tags=["admin"], dependencies=[Admin],
                   responses=error_responses(401))
UNKNOWN = error_responses(404)

Id = Annotated[int, Field(ge=0, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=0, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=0, le=MAX_ID)]
GroupIds = Annotated[list[Id] | None, Query(description="data groups to run for (default all)")]


def _job(job: Any) -> JobOut:
    return JobOut(
        id=job.id,
        name=job.name,
        tables=list(job.tables),
        exclude_from_offline=job.exclude_from_offline,
    )


@router.get("/jobs", response_model=list[JobOut], summary="The distribution job catalogue")
def get_jobs(engine: EngineDep) -> list[JobOut]:
    with engine.connect().execution_options(kassa_readonly=True) as conn:
        return [_job(j) for j in sorted(load_jobs(conn).values(), key=lambda j: j.id)]


@router.put(
    "/jobs/{job_id}/exclude-from-offline",
    response_model=JobOut,
    responses=UNKNOWN,
    summary="Exclude a job from offline databases (effective from the next package)",
)
def put_job_excluded(job_id: IdPath, body: OnOff, engine: EngineDep) -> JobOut:
    with engine.begin() as conn:
        return _job(set_job_excluded(conn, job_id, body.on))


@router.get("/schedules", response_model=list[ScheduleOut], summary="Distribution schedules")
def get_schedules(engine: EngineDep) -> list[ScheduleOut]:
    with engine.connect().execution_options(kassa_readonly=True) as conn:
        return [
            ScheduleOut(
                id=x.id,
                name=x.name,
                job_ids=list(x.job_ids),
                interval_s=x.interval_s,
                active=x.active,
                last_run_at=x.last_run_at,
            )
            for x in list_schedules(conn)
        ]


@router.post(
    "/schedules/{schedule_id}/run",
    response_model=RunOut,
    responses=UNKNOWN,
    summary="Run a schedule now: at most one package per data group",
)
def post_run(
    schedule_id: IdPath, engine: EngineDep, clock: ClockDep, data_group_id: GroupIds = None
) -> dict[str, Any]:
    return run_schedule(engine, schedule_id, data_group_id, clock=clock).to_dict()


@router.get("/packages", response_model=PackagesOut, responses=UNKNOWN,
            summary="Packages of a data group")
def get_packages(
    engine: EngineDep,
    data_group_id: Annotated[int, Query(ge=0, le=MAX_ID)],
    before: Annotated[int | None, Query(ge=0, le=MAX_NUMBER)] = None,
    limit: Annotated[int, Query(ge=1, le=packages.MAX_LISTING)] = 100,
) -> dict[str, Any]:
    with engine.connect().execution_options(kassa_readonly=True) as conn:
        packages.require_groups(conn, [data_group_id])
        found = packages.list_packages(conn, data_group_id, before=before, limit=limit)
        latest = packages.latest_number(conn, data_group_id)
    return {
        "data_group_id": data_group_id,
        "latest_number": latest,
        "packages": [p.to_dict() for p in found],
    }


@router.get(
    "/channel-databases",
    response_model=ChannelDatabasesOut,
    summary="Channel database entities: checkpoint, lag, last contact, pending uploads",
)
def get_channel_databases(
    engine: EngineDep,
    data_group_id: IdQuery = None,
    store_id: IdQuery = None,
    include_retired: bool = False,
) -> dict[str, Any]:
    with engine.connect().execution_options(kassa_readonly=True) as conn:
        views = entities.channel_databases(
            conn, data_group_id=data_group_id, store_id=store_id, include_retired=include_retired
        )
    return {"entities": [v.to_dict() for v in views]}


@router.put(
    "/registers/{register_id}/support-offline",
    response_model=SupportOfflineOut,
    responses=UNKNOWN,
    summary="Set or clear Support offline (creates / retires the offline entity)",
)
def put_support_offline(
    register_id: uuid.UUID, body: OnOff, engine: EngineDep, clock: ClockDep
) -> SupportOfflineOut:
    with engine.begin() as conn:
        r = setup.set_support_offline(conn, register_id, body.on, clock.now())
    return SupportOfflineOut(
        register_id=r.register_id,
        store_id=r.store_id,
        support_offline=r.support_offline,
        entity_id=r.entity_id,
        changed=r.changed,
    )


@router.post(
    "/registers/{register_id}/activation-code",
    response_model=ActivationCodeOut,
    responses=UNKNOWN,
    status_code=201,
    summary="Issue a one-time activation code for a register (valid 24 h)",
)
def post_activation_code(
    register_id: uuid.UUID, engine: EngineDep, clock: ClockDep
) -> ActivationCodeOut:
    with engine.begin() as conn:
        c = access.issue_activation_code(conn, register_id, clock.now())
    return ActivationCodeOut(
        code=c.code,
        register_id=c.register_id,
        store_id=c.store_id,
        register_number=c.register_number,
        expires_at=c.expires_at,
    )


@router.post(
    "/stores/{store_id}/server-token",
    response_model=StoreTokenOut,
    responses=UNKNOWN,
    status_code=201,
    summary="Issue a new store server token (replaces the previous one; shown once)",
)
def post_server_token(store_id: IdPath, engine: EngineDep, clock: ClockDep) -> StoreTokenOut:
    with engine.begin() as conn:
        t = access.issue_store_token(conn, store_id, clock.now())
    return StoreTokenOut(store_id=t.store_id, data_group_id=t.data_group_id, token=t.token)
