#!/usr/bin/env bash
# The backup service's loop: sleeps until PORTAL_BACKUP_AT (HH:MM, UTC, default 02:30) and runs
# backup.sh, every day. A failed backup is reported in the log and tried again the next night.
set -euo pipefail

at="${PORTAL_BACKUP_AT:-02:30}"
here="$(dirname "$0")"

while true; do
    now=$(date -u +%s)
    next=$(date -u -d "today $at" +%s)
    if [ "$next" -le "$now" ]; then
        next=$(date -u -d "tomorrow $at" +%s)
    fi
    echo "next backup at $(date -u -d "@$next" '+%Y-%m-%d %H:%M UTC')"
    sleep $(( next - now ))
    if folder=$("$here/backup.sh"); then
        echo "backup written to ${folder##*$'\n'}"
    else
        echo "backup FAILED: see the messages above" >&2
    fi
done
