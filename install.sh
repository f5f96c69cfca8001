#!/usr/bin/env bash
# Installs Gatehouse from this checkout. Idempotent: running it again upgrades in place and
# keeps the data dir, the agent's identity and the config.
#
#   sudo ./install.sh            # server: /opt/gatehouse, /var/lib/gatehouse, gatehouse.service
#   sudo ./install.sh --no-start # install without enabling or starting the unit
#   sudo ./install.sh --agent --server https://BASTION:8443 --registration-key ID:SECRET \
#        [--name NAME] [--environment ENV] [--ca-fingerprint sha256:HEX] [--no-start]
#                                # agent: /opt/gatehouse, /var/lib/gatehouse-agent,
#                                # /etc/gatehouse/agent.env, gatehouse-agent.service
#   sudo ./install.sh --agent    # upgrade an installed agent in place, keeping its settings
#
# The agent's name defaults to this host's short name. Its settings go to
# /etc/gatehouse/agent.env (mode 0600, since it holds the registration key, which the agent
# uses on its first start only). Run it again with --server to change them.
#
# Environment: GATEHOUSE_ROOT=/some/dir installs under that prefix instead of / (used by the
# installer's own test; systemctl is then skipped).
set -euo pipefail

usage() { sed -n '2,19p' "$0"; }
die() { echo "install.sh: $1" >&2; exit "${2:-1}"; }

mode=server
mode_flag=""
start=1
server_url=""
reg_key=""
name=""
environment=""
ca_fp=""
value() { # FLAG "$@": the value after FLAG, which must be there and not look like a flag
  [ $# -ge 3 ] && [ -n "$3" ] && [ "${3#-}" = "$3" ] || die "$1 needs a value" 2
  printf '%s' "$3"
}
while [ $# -gt 0 ]; do
  case "$1" in
    --agent) mode=agent; mode_flag="${mode_flag}a" ;;
    --server)
      # `--server` alone picks the server install; `--server URL` is the agent's service.
      if [ $# -ge 2 ] && [ -n "$2" ] && [ "${2#-}" = "$2" ]; then server_url=$2; shift; else mode_flag="${mode_flag}s"; fi ;;
    --server=*) server_url=${1#*=} ;;
    --registration-key) reg_key=$(value "$1" "$@"); shift ;;
    --registration-key=*) reg_key=${1#*=} ;;
    --name) name=$(value "$1" "$@"); shift ;;
    --name=*) name=${1#*=} ;;
    --environment) environment=$(value "$1" "$@"); shift ;;
    --environment=*) environment=${1#*=} ;;
    --ca-fingerprint) ca_fp=$(value "$1" "$@"); shift ;;
    --ca-fingerprint=*) ca_fp=${1#*=} ;;
    --no-start) start=0 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1" 2 ;;
  esac
  shift
done
case "$mode_flag" in *a*s*|*s*a*) die "--agent and --server (the server install) exclude each other" 2 ;; esac
if [ "$mode" = server ] && [ -n "$server_url$reg_key$name$environment$ca_fp" ]; then
  die "--server URL, --registration-key, --name, --environment and --ca-fingerprint need --agent" 2
fi

# Values go into a systemd EnvironmentFile and are split on spaces there: check them here.
secure_url='^(https|wss)://[][A-Za-z0-9.:-]+(/[^[:space:]"]*)?$'
loopback_url='^(http|ws)://(127\.[0-9.]+|localhost|\[::1\])(:[0-9]+)?(/[^[:space:]"]*)?$'
if [ -n "$server_url" ]; then
  [[ "$server_url" =~ $secure_url ]] || [[ "$server_url" =~ $loopback_url ]] ||
    die "--server must be https://HOST[:PORT] (plain http only for a loopback service), not $server_url" 2
fi
[ -z "$reg_key" ] || [[ "$reg_key" =~ ^gk_[a-z0-9]{12}:[A-Za-z0-9_-]{43}$ ]] || die "--registration-key must be ID:SECRET as gatehouse keys create --registration printed it" 2
[ -z "$name" ] || [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ ]] || die "--name must be 1-64 letters, digits, dots, dashes or underscores" 2
[ -z "$environment" ] || [[ "$environment" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ ]] || die "--environment must be 1-64 letters, digits, dots, dashes or underscores" 2
[ -z "$ca_fp" ] || [[ "$ca_fp" =~ ^sha256:[0-9A-Fa-f:]{64,95}$ ]] || die "--ca-fingerprint must be sha256:HEX as gatehouse serve prints it" 2

root="${GATEHOUSE_ROOT:-}"
src="$(cd "$(dirname "$0")" && pwd)"
[ "$(id -u)" -eq 0 ] || die "run as root"
command -v node >/dev/null || die "node (>= 20) is required"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || die "node >= 20 is required, found $(node --version)"

app="$root/opt/gatehouse"
etc="$root/etc/gatehouse"
unitdir="$root/etc/systemd/system"
agent_state="$root/var/lib/gatehouse-agent"
agent_env="$etc/agent.env"

# Check what the agent install needs before changing anything.
if [ "$mode" = agent ]; then
  if [ -z "$server_url" ] && [ ! -f "$agent_env" ]; then die "--agent needs --server URL (and --registration-key ID:SECRET on the first install)" 2; fi
  if [ -n "$server_url" ] && [ -z "$reg_key" ] && [ ! -f "$agent_state/server.json" ]; then
    die "--agent needs --registration-key ID:SECRET: this host's agent is not registered yet" 2
  fi
fi

# Build once in the checkout if it has not been built.
if [ ! -f "$src/dist/gatehouse.js" ] || [ ! -d "$src/node_modules" ]; then
  (cd "$src" && npm_config_nodedir=${npm_config_nodedir:-/usr} npm ci && npm run build)
fi

mkdir -p "$(dirname "$app")" "$etc" "$unitdir"
# Replace the application atomically enough for an appliance: copy into a fresh dir, then swap.
# ($app must not exist at the last mv, or the stage would land inside it.)
stage="$app.new"
rm -rf "$stage"
mkdir -p "$stage"
cp -a "$src/dist" "$src/node_modules" "$src/package.json" "$src/README.md" "$stage/"
rm -rf "$app.old"
if [ -e "$app" ]; then mv "$app" "$app.old"; fi
mv "$stage" "$app"
rm -rf "$app.old"

can_systemctl() { [ -z "$root" ] && [ "$start" -eq 1 ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; }

if [ "$mode" = server ]; then
  data="$root/var/lib/gatehouse"
  if [ -z "$root" ] && ! id gatehouse >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/gatehouse --no-create-home --shell /usr/sbin/nologin gatehouse
  fi
  mkdir -p "$data"
  chmod 0700 "$data"
  install -m 0644 "$src/systemd/gatehouse.service" "$unitdir/gatehouse.service"
  if [ ! -f "$etc/gatehouse.toml" ]; then
    cat > "$etc/gatehouse.toml" <<'TOML'
# Gatehouse configuration. Every key and its default is listed in README.md.
# listen = "0.0.0.0:8443"
# data_dir = "/var/lib/gatehouse"
TOML
    chmod 0640 "$etc/gatehouse.toml"
  fi
  echo "install.sh: installed server to $app"
  if can_systemctl; then
    systemctl daemon-reload
    systemctl enable --now gatehouse.service
    echo "install.sh: gatehouse.service started; the one-time admin password is in: journalctl -u gatehouse"
  else
    echo "install.sh: not started; start it with: systemctl daemon-reload && systemctl enable --now gatehouse"
  fi
  exit 0
fi

# Agent.
mkdir -p "$agent_state"
chmod 0700 "$agent_state"
install -m 0644 "$src/systemd/gatehouse-agent.service" "$unitdir/gatehouse-agent.service"
if [ -n "$server_url" ]; then
  [ -n "$name" ] || name=$(hostname -s)
  [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ ]] || die "this host's name $name is not a valid target name; give --name" 2
  args="--server $server_url --name $name"
  [ -z "$environment" ] || args="$args --environment $environment"
  [ -z "$ca_fp" ] || args="$args --ca-fingerprint $ca_fp"
  [ -z "$reg_key" ] || args="$args --registration-key $reg_key"
  tmp="$agent_env.tmp.$$"
  (umask 077 && printf '# Written by install.sh; run it again with --agent --server ... to change.\nGATEHOUSE_AGENT_ARGS="%s"\n' "$args" > "$tmp")
  chmod 0600 "$tmp"
  mv "$tmp" "$agent_env"
fi
chmod 0600 "$agent_env"
echo "install.sh: installed agent to $app (settings in $agent_env)"
if can_systemctl; then
  systemctl daemon-reload
  systemctl enable gatehouse-agent.service
  # Restart, so new settings or a new version take effect on a re-run.
  systemctl restart gatehouse-agent.service
  echo "install.sh: gatehouse-agent.service started; see: journalctl -u gatehouse-agent"
else
  echo "install.sh: not started; start it with: systemctl daemon-reload && systemctl enable --now gatehouse-agent"
fi
