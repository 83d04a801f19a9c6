#!/usr/bin/env bash
# The main job on the sandbox: start it, seed it, show both APIs answering the official
# clients, then run the pipeline with meltano and print what it cost. `make demo` runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR=${DATA_DIR:-.sandbox}
export CRM_SANDBOX_DATA_DIR=$DATA_DIR MELTANO_SEND_ANONYMOUS_USAGE_STATS=false

step() { printf '\n== %s\n' "$*"; }

step "sandbox"
crm-sandbox start --data-dir "$DATA_DIR"
trap '[ "${KEEP_SANDBOX:-0}" = 1 ] || crm-sandbox stop --data-dir "$DATA_DIR" >/dev/null' EXIT
crm-sandbox reset --data-dir "$DATA_DIR" >/dev/null
crm-sandbox seed --data-dir "$DATA_DIR" --seed 42 \
  --salesforce Account=200,Contact=400,Project__c=1000 >/dev/null
eval "$(crm-sandbox env --data-dir "$DATA_DIR")"

step "official clients against the sandbox"
python -m crm_sandbox.smoke

step "API calls served"
crm-sandbox stats --data-dir "$DATA_DIR"
if [ "${KEEP_SANDBOX:-0}" = 1 ]; then
  echo "sandbox left running; stop it with: crm-sandbox stop --data-dir $DATA_DIR"
fi
