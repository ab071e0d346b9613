#!/bin/sh
# Load the example agency into a certcli database by running the certcli on PATH.
#
# The database is the one certcli chooses: --db PATH given to this script, else CERTCLI_DB,
# else certcli's default. Other global options (--actor, --today) pass through as well.
#
#   CERTCLI_DB=/tmp/example.db sh examples/load.sh
#   sh examples/load.sh --db /tmp/example.db
#
# Re-running it adds nothing: certcli import leaves rows that are already stored unchanged.
set -e

if ! command -v certcli >/dev/null 2>&1; then
    echo "load.sh: certcli not found on PATH; install it or activate its virtualenv" >&2
    exit 1
fi
examples=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)

certcli "$@" people import "$examples/people.csv"
certcli "$@" import "$examples/certifications.csv"
# legacy-records.csv lacks a required NREMT city on purpose (a planted error, see README.md).
certcli "$@" import "$examples/legacy-records.csv" --allow-incomplete
