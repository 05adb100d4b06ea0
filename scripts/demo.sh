#!/usr/bin/env bash
# `make run`: the main job so far on the best device present (a GPU when there
# is one, else lavapipe): show the devices, boot a session, measure the
# mailbox, have the kernel write debug records, tail them, shut down.
set -euo pipefail
gpuos=${1:-build/cli/gpuos}
session=demo-$$
"$gpuos" info
echo
"$gpuos" boot --session "$session" --detach
trap '"$gpuos" shutdown --session "$session" >/dev/null 2>&1 || true' EXIT
"$gpuos" ping --session "$session" -n 2000
"$gpuos" emit --session "$session" 100000 --kind pattern
"$gpuos" emit --session "$session" 12
"$gpuos" tail --session "$session" -n 5
"$gpuos" status --session "$session"
"$gpuos" shutdown --session "$session"
trap - EXIT
