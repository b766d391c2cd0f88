#!/usr/bin/env bash
# Installs the deploy key and the pinned host keys for ssh:// Docker hosts (prod's myoci:dockerHost) from the
# GitHub environment's secrets: SSH_PRIVATE_KEY (an OpenSSH private key) and SSH_KNOWN_HOSTS (ssh-keyscan lines,
# checked by a person once). Host key checking stays strict: an unknown or changed host key fails the connection.
# Usage: bash scripts/ci/ssh-setup.sh <stack> — checks that known_hosts names the stack's Docker host.
set -euo pipefail
stack="${1:-}"
if [ -z "$stack" ]; then
  echo "ssh-setup: usage: scripts/ci/ssh-setup.sh <stack>" >&2
  exit 2
fi
file="Pulumi.$stack.yaml"
host_url="$(sed -n 's/^  myoci:dockerHost: *["'\'']\{0,1\}\([^"'\'' #]*\).*/\1/p' "$file" 2>/dev/null | head -n 1)"
case "$host_url" in
  ssh://*) ;;
  *)
    echo "ssh-setup: $file: myoci:dockerHost = ${host_url:-(missing)}: not an ssh:// host, nothing to set up" >&2
    exit 2
    ;;
esac
hostport="${host_url#ssh://}"
hostport="${hostport#*@}"
host="${hostport%%:*}"
port=22
[ "$hostport" != "$host" ] && port="${hostport#*:}"
for name in SSH_PRIVATE_KEY SSH_KNOWN_HOSTS; do
  if [ -z "${!name:-}" ]; then
    echo "ssh-setup: $name is not set (a secret of the GitHub environment of stack $stack)" >&2
    exit 2
  fi
done
known_name="$host"
[ "$port" != 22 ] && known_name="[$host]:$port"
if ! printf '%s\n' "$SSH_KNOWN_HOSTS" | awk -v h="$known_name" '{ n = split($1, names, ","); for (i = 1; i <= n; i++) if (names[i] == h) found = 1 } END { exit !found }'; then
  echo "ssh-setup: SSH_KNOWN_HOSTS has no key for $known_name (the Docker host of $file): add \`ssh-keyscan -p $port $host\` output, checked" >&2
  exit 2
fi
dir="$HOME/.ssh"
mkdir -p "$dir"
chmod 700 "$dir"
umask 077
printf '%s\n' "$SSH_PRIVATE_KEY" | tr -d '\r' >"$dir/myoci_deploy"
if ! ssh-keygen -y -f "$dir/myoci_deploy" >/dev/null 2>&1; then
  rm -f "$dir/myoci_deploy"
  echo "ssh-setup: SSH_PRIVATE_KEY is not a usable private key without a passphrase" >&2
  exit 2
fi
printf '%s\n' "$SSH_KNOWN_HOSTS" | tr -d '\r' >"$dir/known_hosts"
cat >"$dir/config" <<CONFIG
Host $host
  Port $port
  IdentityFile $dir/myoci_deploy
  IdentitiesOnly yes
  StrictHostKeyChecking yes
  UserKnownHostsFile $dir/known_hosts
  BatchMode yes
CONFIG
echo "ssh-setup: key and known_hosts for $known_name installed in $dir"
