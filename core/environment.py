"""The environment variables boardpack reads: what a worker, a scheduler or a shell sets
in place of a command-line option."""

WAREHOUSE_VARIABLE = "BOARDPACK_WAREHOUSE_URL"  # --warehouse
CLUSTER_VARIABLE = "BOARDPACK_CLUSTER"  # --cluster: a Dask scheduler's address
STAGING_VARIABLE = "BOARDPACK_STAGING"  # --staging: where rows wait for the load
# The digest by email when no EmailServerCredentials block is named (boardpack/mail.py).
SMTP_HOST_VARIABLE = "BOARDPACK_SMTP_HOST"  # no host: no email
SMTP_PORT_VARIABLE = "BOARDPACK_SMTP_PORT"  # default: the security's own port
SMTP_SECURITY_VARIABLE = "BOARDPACK_SMTP_SECURITY"  # STARTTLS (default), SSL or INSECURE
SMTP_USERNAME_VARIABLE = "BOARDPACK_SMTP_USERNAME"
SMTP_PASSWORD_VARIABLE = "BOARDPACK_SMTP_PASSWORD"
DIGEST_FROM_VARIABLE = "BOARDPACK_DIGEST_FROM"  # the sender; default the username
# A Prefect flow run's time limit in seconds (set per deployment in prefect.yaml's job
# variables): a run still going after it ends TimedOut (Failed), and the alert fires.
FLOW_TIMEOUT_VARIABLE = "BOARDPACK_FLOW_TIMEOUT_SECONDS"
