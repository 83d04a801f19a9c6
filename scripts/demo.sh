#!/usr/bin/env bash
# The main job on the sandbox: start it, seed it, show both APIs answering the official
# clients, then run the pipeline with meltano and print what it cost. `make demo` runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR=${DATA_DIR:-.sandbox}
export CRM_SANDBOX_DATA_DIR=$DATA_DIR MELTANO_SEND_ANONYMOUS_USAGE_STATS=false

step() { printf '\n== %s\n' "$*"; }
# The targets' run report, without meltano's log prefixes.
report() {
  sed -n 's/^.*target-[a-z-]*custom *//p' \
    | grep -E '^(crm-sync |mapping |-{5}|[a-z_]+( \(dry run\))? +(sf_to_hs|hs_to_sf) |[a-z_]+ +[A-Za-z0-9]{5,18} +[a-z]+ +[a-z_]+( |$)|field changes)' || true
}

step "sandbox"
crm-sandbox start --data-dir "$DATA_DIR"
trap '[ "${KEEP_SANDBOX:-0}" = 1 ] || crm-sandbox stop --data-dir "$DATA_DIR" >/dev/null' EXIT
crm-sandbox reset --data-dir "$DATA_DIR" >/dev/null
crm-sandbox seed --data-dir "$DATA_DIR" --seed 42 \
  --salesforce Account=200,Contact=400,Lead=20,Project__c=1000,Task=600 \
  --hubspot companies=20,contacts=30,project=30,tasks=20 >/dev/null
eval "$(crm-sandbox env --data-dir "$DATA_DIR")"

step "official clients against the sandbox"
python -m crm_sandbox.smoke

step "validate the mapping specs against both live schemas"
meltano install >/dev/null 2>&1
meltano invoke map-crm:validate 2>/dev/null

# A fresh start: the sandbox was just reset, so forget the ledger and the bookmarks.
rm -f .meltano/crm-sync/sandbox-ledger.sqlite
for id in tap-salesforce-custom-to-target-hubspot-custom tap-hubspot-custom-to-target-salesforce-custom; do
  meltano state clear --force "sandbox:$id" >/dev/null 2>&1 || true
done

step "two-way sync: meltano run two-way (both legs: Salesforce -> HubSpot, then HubSpot -> Salesforce)"
crm-sandbox stats --data-dir "$DATA_DIR" --clear >/dev/null
meltano run two-way 2>&1 | report
crm-sandbox stats --data-dir "$DATA_DIR"

# Salesforce gave the accounts born in HubSpot an owner (the running user) when the reverse
# leg created them: that owner is a Salesforce edit, which the next forward leg sends on.
step "run it again with no edits: only the owners Salesforce gave the HubSpot-born accounts go to HubSpot"
crm-sandbox stats --data-dir "$DATA_DIR" --clear >/dev/null
meltano run two-way 2>&1 | report
crm-sandbox stats --data-dir "$DATA_DIR"

step "and again: nothing to write on either side"
crm-sandbox stats --data-dir "$DATA_DIR" --clear >/dev/null
meltano run two-way 2>&1 | report
crm-sandbox stats --data-dir "$DATA_DIR"
step "the HTML report of these runs (crm-sync report; a CI job publishes it as an artifact)"
crm-sync --ledger-url "sqlite:///$PWD/.meltano/crm-sync/sandbox-ledger.sqlite" report \
  --html output/crm-sync-report.html \
  --plan .meltano/crm-sync/plan.json --plan .meltano/crm-sync/plan-salesforce.json
crm-sync --ledger-url "sqlite:///$PWD/.meltano/crm-sync/sandbox-ledger.sqlite" status

if [ "${KEEP_SANDBOX:-0}" = 1 ]; then
  echo "sandbox left running; stop it with: crm-sandbox stop --data-dir $DATA_DIR"
fi
