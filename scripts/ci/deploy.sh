#!/usr/bin/env bash
# CI deploy of one stack through `npx myoci rollout` (backup, pin, up with the stack's policy pack config, verify,
# record in promotions.yaml, automatic rollback). Run from the project root by .github/workflows/myoci.yml.
#   staging: rolls out the pins the push changed (MYOCI_BASE_SHA = the commit before the push; default HEAD^)
#   prod:    rolls out staging's verified pins that prod does not run yet (MYOCI_ONLY=c1,c2 narrows)
# Then commits Pulumi.<stack>.yaml and promotions.yaml (MYOCI_PUSH=1 pushes them to the current branch).
# Needs: pulumi on PATH, PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE. --dry-run prints the commands instead.
# Exit: myoci rollout's (0 rolled out, 1 rolled back, 2 needs a person), 2 for bad input or a missing secret.
set -euo pipefail

usage="usage: scripts/ci/deploy.sh staging|prod [--dry-run]"
stack="${1:-}"
dry_run=false
[ "${2:-}" = "--dry-run" ] && dry_run=true
if { [ "$stack" != staging ] && [ "$stack" != prod ]; } || { [ $# -gt 1 ] && ! $dry_run; } || [ $# -gt 2 ]; then
  echo "deploy: $usage" >&2
  exit 2
fi
scripts="$(cd "$(dirname "$0")" && pwd)"

run() {
  if $dry_run; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

missing=()
for name in PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE; do
  [ -n "${!name:-}" ] || missing+=("$name")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deploy: ${missing[*]} not set (secrets of the GitHub environment of stack $stack)" >&2
  exit 2
fi
if ! $dry_run && ! command -v pulumi >/dev/null; then
  echo "deploy: the pulumi CLI is not on PATH (node scripts/ci/install-pulumi.js installs the SDK's version)" >&2
  exit 2
fi

plan() { node "$scripts/../run-ts.js" "$scripts/deploy-plan.ts" "$@"; }
if [ "$stack" = staging ]; then
  base="${MYOCI_BASE_SHA:-}"
  if [ -z "$base" ] || [ "$base" = 0000000000000000000000000000000000000000 ]; then
    base=HEAD^
  fi
  base_dir="$(mktemp -d)"
  trap 'rm -rf "$base_dir"' EXIT
  if ! git show "$base:Pulumi.staging.yaml" >"$base_dir/Pulumi.staging.yaml" 2>/dev/null; then
    echo "deploy: no Pulumi.staging.yaml at base commit $base" >&2
    exit 2
  fi
  write_base=--write-base
  $dry_run && write_base=
  changes="$(plan staging --base-dir "$base_dir" $write_base)"
else
  changes="$(plan prod ${MYOCI_ONLY:+--only "$MYOCI_ONLY"})"
fi
read -r -a args <<<"$(echo $changes)"

# The policy pack offline first: a mandatory violation stops the job before anything is touched.
run npm run --silent policy -- --stack "$stack"
run pulumi login "$PULUMI_BACKEND_URL"

if [ ${#args[@]} -eq 0 ]; then
  echo "deploy: no image changes for $stack: pulumi up with the policy pack (configuration only)"
  run pulumi up --stack "$stack" --yes --policy-pack policy --policy-pack-config "policy/config/$stack.json"
  exit 0
fi

echo "deploy: $stack: ${args[*]}"
set +e
if $dry_run; then
  run npx myoci rollout "${args[@]}" --stacks "$stack" --json --notify
  status=0
else
  npx myoci rollout "${args[@]}" --stacks "$stack" --json --notify >"rollout-$stack.json"
  status=$?
fi
set -e

if [ -n "$(git status --porcelain -- "Pulumi.$stack.yaml" promotions.yaml)" ] || $dry_run; then
  run git add -- "Pulumi.$stack.yaml" promotions.yaml
  run git -c user.name="myoci CI" -c user.email="myoci-ci@users.noreply.github.com" \
    commit -m "myoci rollout $stack: ${args[*]} (exit $status)"
  if [ "${MYOCI_PUSH:-0}" = 1 ]; then
    # Commits pushed with the workflow's GITHUB_TOKEN start no new workflow run (no deploy loop).
    run git pull --rebase --quiet origin "${GITHUB_REF_NAME:-main}"
    run git push origin "HEAD:${GITHUB_REF_NAME:-main}"
  fi
fi
exit "$status"
