"""
BionicPRO monthly ETL as an Airflow DAG that calls the `bionicpro-etl` CLI.

Each DAG run rebuilds one UTC month (the month of the run's logical date) with
`bionicpro-etl run`. A run is idempotent: the raw telemetry window is deleted
before it is re-imported, and each mart's month is built in a staging table and
swapped in with REPLACE PARTITION, so retries and backfills never duplicate
rows, and months can run in parallel (max_active_runs).

The CLI exits 0 on success, 1 when a step fails (its message names the step,
table and period, e.g. "load of device_events for 2024-01 failed after 5
attempts: ..."), 2 on a usage error; BashOperator fails the task on non-zero.
The last stdout line is the JSON summary, pushed to XCom.

Connections (Airflow UI or env AIRFLOW_CONN_*):
  bionicpro_crm        postgres://etl@crm-db:5432/crm_db
  bionicpro_telemetry  postgres://etl@telemetry-db:5432/telemetry_db
Variables:
  bionicpro_clickhouse_url  http://default:@clickhouse:8123 (or chdb:/data/chdb for a single node)
  bionicpro_etl_engine      sql (ClickHouse aggregates) or ts (computed while streaming)

The worker needs Node.js >= 22 and the package: `npm install -g @bionicpro/etl`.
"""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.hooks.base import BaseHook
from airflow.models import Variable
from airflow.operators.bash import BashOperator


def _pg_url(conn_id: str) -> str:
    conn = BaseHook.get_connection(conn_id)
    return conn.get_uri().replace("postgresql://", "postgres://", 1)


default_args = {
    "owner": "bionicpro",
    "depends_on_past": False,
    "retries": 3,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(minutes=30),
}

with DAG(
    dag_id="bionicpro_etl_monthly",
    description="Extract a month from crm_db/telemetry_db, load ClickHouse, rebuild the KPI marts",
    default_args=default_args,
    # Daily at 02:00 UTC: the current month is rebuilt every night
    # with what has arrived so far; the previous month is finalised by the
    # first runs of the next month.
    schedule="0 2 * * *",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=4,
    render_template_as_native_obj=False,
    user_defined_macros={"pg_url": _pg_url},
    tags=["bionicpro", "etl"],
) as dag:
    common = (
        "--crm '{{ pg_url(\"bionicpro_crm\") }}' "
        "--telemetry '{{ pg_url(\"bionicpro_telemetry\") }}' "
        "--clickhouse '{{ var.value.bionicpro_clickhouse_url }}' "
        "--engine '{{ var.value.get(\"bionicpro_etl_engine\", \"sql\") }}'"
    )

    # The month the run's data interval starts in, e.g. 2024-01.
    current_month = BashOperator(
        task_id="etl_current_month",
        bash_command=f"bionicpro-etl run --month {{{{ data_interval_start.strftime('%Y-%m') }}}} {common}",
        do_xcom_push=True,
    )

    # On the first days of a month, rebuild the previous month as well so late
    # data (devices syncing after being offline) lands in the right month.
    previous_month = BashOperator(
        task_id="etl_previous_month",
        bash_command=(
            "if [ {{ data_interval_start.day }} -le 3 ]; then "
            "bionicpro-etl run --month {{ (data_interval_start - macros.timedelta(days=4)).strftime('%Y-%m') }} "
            f"{common}; else echo skipped; fi"
        ),
        do_xcom_push=True,
    )

    current_month >> previous_month
