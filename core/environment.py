"""The environment variables boardpack reads: what a worker, a scheduler or a shell sets
in place of a command-line option."""

WAREHOUSE_VARIABLE = "BOARDPACK_WAREHOUSE_URL"  # --warehouse
CLUSTER_VARIABLE = "BOARDPACK_CLUSTER"  # --cluster: a Dask scheduler's address
STAGING_VARIABLE = "BOARDPACK_STAGING"  # --staging: where rows wait for the load
# A Prefect flow run's time limit in seconds (set per deployment in prefect.yaml's job
# variables): a run still going after it ends TimedOut (Failed), and the alert fires.
FLOW_TIMEOUT_VARIABLE = "BOARDPACK_FLOW_TIMEOUT_SECONDS"
