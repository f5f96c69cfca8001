#!/usr/bin/env bash
# Installs Gatehouse from this checkout. Idempotent: running it again upgrades in place and
# keeps the data dir and config.
#
#   sudo ./install.sh            # server: /opt/gatehouse, /var/lib/gatehouse, gatehouse.service
#   sudo ./install.sh --no-start # install without enabling or starting the unit
#
# Environment: GATEHOUSE_ROOT=/some/dir installs under that prefix instead of / (used by the
# installer's own test; systemctl is then skipped).
set -euo pipefail

mode=server
start=1
for arg in "$@"; do
  case "$arg" in
    --server) mode=server ;;
    --agent) echo "install.sh: --agent is not available yet (the agent arrives with the agent work)" >&2; exit 2 ;;
    --no-start) start=0 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

root="${GATEHOUSE_ROOT:-}"
src="$(cd "$(dirname "$0")" && pwd)"
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
command -v node >/dev/null || { echo "install.sh: node (>= 20) is required" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "install.sh: node >= 20 is required, found $(node --version)" >&2; exit 1; }

# Build once in the checkout if it has not been built.
if [ ! -f "$src/dist/gatehouse.js" ] || [ ! -d "$src/node_modules" ]; then
  (cd "$src" && npm_config_nodedir=${npm_config_nodedir:-/usr} npm ci && npm run build)
fi

app="$root/opt/gatehouse"
data="$root/var/lib/gatehouse"
etc="$root/etc/gatehouse"
unitdir="$root/etc/systemd/system"

if [ -z "$root" ] && ! id gatehouse >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/gatehouse --no-create-home --shell /usr/sbin/nologin gatehouse
fi

mkdir -p "$app" "$data" "$etc" "$unitdir"
chmod 0700 "$data"
# Replace the application atomically enough for an appliance: copy into a fresh dir, then swap.
stage="$app.new"
rm -rf "$stage"
mkdir -p "$stage"
cp -a "$src/dist" "$src/node_modules" "$src/package.json" "$src/README.md" "$stage/"
rm -rf "$app.old"
if [ -d "$app/dist" ]; then mv "$app" "$app.old"; fi
mv "$stage" "$app"
rm -rf "$app.old"

install -m 0644 "$src/systemd/gatehouse.service" "$unitdir/gatehouse.service"
if [ ! -f "$etc/gatehouse.toml" ]; then
  cat > "$etc/gatehouse.toml" <<'TOML'
# Gatehouse configuration. Every key and its default is listed in README.md.
# listen = "0.0.0.0:8443"
# data_dir = "/var/lib/gatehouse"
TOML
  chmod 0640 "$etc/gatehouse.toml"
fi

echo "install.sh: installed $mode to $app"
if [ -z "$root" ] && [ "$start" -eq 1 ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now gatehouse.service
  echo "install.sh: gatehouse.service started; the one-time admin password is in: journalctl -u gatehouse"
else
  echo "install.sh: not started; start it with: systemctl daemon-reload && systemctl enable --now gatehouse"
fi
