#!/usr/bin/env bash
# Checks systemd/nianbao.service with systemd's own tools.
#
# Usage: systemd_unit_test.sh [BINARY] [UNIT]
#   BINARY  the built nianbao binary (absolute path); default /bin/true
#   UNIT    the unit file; default systemd/nianbao.service next to this tests/ tree
#
# `systemd-analyze verify` checks that ExecStart= names an existing executable, and the
# installed path (/usr/local/bin/nianbao) does not exist on a build machine; so the unit is
# copied to a temporary directory with ExecStart= pointing at BINARY, and that copy is
# verified. verify exits 0 even for an unknown or misspelt directive (it only warns), so any
# output at all counts as a failure.
#
# Prints "N passed, M failed"; exits non-zero when anything failed.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
binary="${1:-/bin/true}"
unit="${2:-${here}/../../systemd/nianbao.service}"
# The overall exposure `systemd-analyze security` may report, in tenths (20 = 2.0, "OK").
# The unit scores 1.1 on systemd 252; a hardening line lost pushes it over.
max_exposure=20

passed=0
failed=0
pass() {
  passed=$((passed + 1))
  echo "PASS: $1"
}
fail() {
  failed=$((failed + 1))
  echo "FAIL: $1"
  if [[ $# -gt 1 && -n "$2" ]]; then
    sed 's/^/    /' <<<"$2"
  fi
}
finish() {
  echo "${passed} passed, ${failed} failed"
  [[ ${failed} -eq 0 ]]
  exit $?
}

if ! command -v systemd-analyze >/dev/null 2>&1; then
  fail "systemd-analyze not found: install the 'systemd' package (CI has it); the unit cannot be verified without it"
  finish
fi
if [[ ! -f "${unit}" ]]; then
  fail "unit file not found: ${unit}"
  finish
fi
if [[ "${binary}" != /* || ! -x "${binary}" ]]; then
  fail "BINARY must be an absolute path to an executable: ${binary}"
  finish
fi

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
copy="${tmp}/nianbao.service"

# 1. The installed command line is the documented one.
if grep -qxF 'ExecStart=/usr/local/bin/nianbao run --config /etc/nianbao/nianbao.toml' "${unit}"; then
  pass "ExecStart runs /usr/local/bin/nianbao run --config /etc/nianbao/nianbao.toml"
else
  fail "ExecStart is not '/usr/local/bin/nianbao run --config /etc/nianbao/nianbao.toml'" \
    "$(grep '^ExecStart=' "${unit}")"
fi

# 2. systemd-analyze verify over the copy, with ExecStart pointing at a real executable.
sed "s|^ExecStart=/usr/local/bin/nianbao |ExecStart=${binary} |" "${unit}" >"${copy}"
if ! grep -q "^ExecStart=${binary} " "${copy}"; then
  fail "could not rewrite ExecStart= in the temporary copy"
else
  out="$(systemd-analyze verify --man=no "${copy}" 2>&1)"
  rc=$?
  if [[ ${rc} -eq 0 && -z "${out}" ]]; then
    pass "systemd-analyze verify: clean"
  else
    fail "systemd-analyze verify (exit ${rc}) reported problems" "${out}"
  fi
fi

# 3. The directives the daemon's contract depends on (sd_notify, watchdog, reload, stop).
for directive in 'Type=notify' 'NotifyAccess=main' 'ExecReload=/bin/kill -HUP $MAINPID' \
  'WatchdogSec=60' 'Restart=on-failure' 'RestartSec=5' 'TimeoutStopSec=45' \
  'StateDirectory=nianbao' 'ConfigurationDirectory=nianbao' 'DynamicUser=yes' \
  'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'PrivateDevices=yes' \
  'NoNewPrivileges=yes' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
  'ProtectKernelTunables=yes' 'ProtectKernelModules=yes' 'ProtectKernelLogs=yes' \
  'ProtectControlGroups=yes' 'RestrictNamespaces=yes' 'LockPersonality=yes' \
  'MemoryDenyWriteExecute=yes' 'SystemCallArchitectures=native' 'CapabilityBoundingSet=' \
  'MemoryMax=1G'; do
  if grep -qxF -- "${directive}" "${unit}"; then
    pass "${directive}"
  else
    fail "missing: ${directive}"
  fi
done

# 4. The sandbox as systemd scores it.
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
  out="$(systemd-analyze security --offline=true --threshold=${max_exposure} --no-pager \
    "${copy}" 2>&1)"
  rc=$?
  level="$(grep 'Overall exposure level' <<<"${out}")"
  if [[ ${rc} -eq 0 ]]; then
    pass "systemd-analyze security: ${level#*: }"
  else
    fail "systemd-analyze security: exposure over $((max_exposure / 10)).$((max_exposure % 10))" \
      "$(grep -E '✗|Overall' <<<"${out}")"
  fi
else
  echo "SKIP: systemd-analyze security --offline needs systemd >= 250"
fi

finish
