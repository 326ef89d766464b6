#!/usr/bin/env bash
# The whole walking skeleton on this machine: install, start the sandbox, load the shop
# data, then validate, plan and apply the contract and print the counts.
# Run from the repository root:  examples/shop/demo.sh     (undo with: migrator destroy --auto-approve)
set -euo pipefail
cd "$(dirname "$0")/../.."

.ci/install
migrator sandbox up
python3 examples/shop/seed.py
migrator doctor
migrator validate examples/shop/contract.json
migrator plan examples/shop/contract.json
migrator apply examples/shop/contract.json --auto-approve
