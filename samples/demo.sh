#!/bin/sh
# The demo: the seed story on an embedded SQLite ledger (seatbatch-out/demo-ledger.db).
# Run dates are fixed, so the demo gives the same invoices whatever day it runs.
# Running it again issues nothing twice: every line is reported as already processed.
set -eu
cd "$(dirname "$0")/.."
config=samples/seatbatch.toml

step() {
  printf '$ seatbatch' >&2
  for word in "$@"; do  # as a command to paste: a word with a space quoted
    case $word in *" "*) printf " '%s'" "$word" >&2 ;; *) printf ' %s' "$word" >&2 ;; esac
  done
  echo >&2
  folder=$(seatbatch "$@" --config "$config")
  status=$(sed -n 's/.*"status": "\([a-z_]*\)".*/\1/p' "$folder/manifest.json" | head -n 1)
  echo "  -> $folder ($status)" >&2
  last=$folder
}

# March: a 3-year subscription for 2 Space Pro, 1 Space Plus, 1 Space CO2 Mini (and a school).
step process samples/acme-new.xlsx --partner P-ACME --as-of 2026-03-02
first=$last
# November: review the added seats first (an estimate: nothing recorded), then confirm.
step quote samples/acme-add.xlsx --partner P-ACME --as-of 2026-11-24
step process samples/acme-add.xlsx --partner P-ACME --as-of 2026-11-24
second=$last
# Another partner, in NOK.
step process samples/nord-new.xlsx --partner P-NORD --as-of 2026-11-24
third=$last
# Month end: finance's report over every partner (read-only).
step report --month 2026-11 --as-of 2026-11-30
report=$last
# December (SPEC §11): Acme cancels the school's subscription and, for Harbour View's renewal,
# 2 Space Pro fewer on a new PO; finance credits a CO2 sensor Nordlys returned (once: a credit
# note is not an order line, and a second demo must not issue another); the month end.
step process samples/acme-changes.xlsx --partner P-ACME --as-of 2026-12-01
changes=$last
if [ -d "$first/invoices" ]; then
  step credit INV-2026-000004 --line N-5002=1 --from 2027-01-15 --as-of 2026-12-03 \
    --reason "CO2 sensor returned"
  credit=$last
fi
step report --month 2026-12 --as-of 2026-12-31
december=$last

echo >&2
if [ -d "$first/invoices" ]; then
  echo "Invoices are in:" >&2
  for folder in "$first" "$second" "$third"; do
    echo "  $folder/invoices" >&2
  done
  echo "Open $second/summary.html in a browser for the run's summary." >&2
  echo "The changes recorded: $changes/summary.html; the credit note: $credit/invoices" >&2
  echo "Finance's month ends: $report/report.xlsx and $december/report.xlsx (and" \
    "report.html, journal.csv)." >&2
else
  echo "Nothing new: the demo ledger already holds every sample line (status duplicate)." >&2
  echo "Start over with: rm -rf seatbatch-out && make demo" >&2
  echo "Finance's month ends: $report/report.xlsx and $december/report.xlsx (and" \
    "report.html, journal.csv)." >&2
fi
