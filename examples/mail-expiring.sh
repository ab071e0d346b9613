#!/bin/sh
# Mail the certifications that expire within DAYS (default 60) to ADDRESS, and only when
# there are some: certcli prints nothing at all for an empty report (--quiet-if-empty).
# Meant for cron, which runs it with no terminal, a minimal PATH and often LANG=C.
#
# usage: mail-expiring.sh ADDRESS [DAYS]
set -eu
address=${1:?usage: mail-expiring.sh ADDRESS [DAYS]}
days=${2:-60}

report=$(certcli list --expiring-within "$days" --format csv --quiet-if-empty)
if [ -z "$report" ]; then
    exit 0
fi
printf '%s\n' "$report" | mail -s "Certifications expiring within $days days" "$address"
