#!/usr/bin/env bash
# Builds the Debian package from a configured and built tree, runs lintian on it, unpacks it
# into a scratch root (dpkg -x, no root privileges, nothing installed on this machine) and
# checks what is there: the files, the conffiles, the dependencies, the binary running from
# the scratch root, the shipped configuration passing `nianbao check`, the man page rendering,
# and `systemd-analyze verify` on the installed unit.
#
#   scripts/package.sh [BUILD_DIR]     # default: build (CI: after scripts/test.sh's build)
#
# lintian's verdict is printed in full; errors and warnings fail the script. Each tag that
# remains is explained in packaging/lintian-overrides (installed with the package).
# Prints "N passed, M failed"; exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

passed=0
failed=0
pass() {
  passed=$((passed + 1))
  echo "ok    $1"
}
fail() {
  failed=$((failed + 1))
  echo "FAIL  $1"
  if [[ $# -gt 1 && -n "$2" ]]; then sed 's/^/      /' <<<"$2"; fi
}
finish() {
  echo "${passed} passed, ${failed} failed"
  [[ ${failed} -eq 0 ]]
  exit $?
}

if [[ ! -f "${build}/CPackConfig.cmake" ]]; then
  fail "${build} is not a configured build tree (no CPackConfig.cmake)"
  finish
fi
cmake --build "${build}" --target nianbao nianbao_package_files >/dev/null || {
  fail "cmake --build ${build} --target nianbao nianbao_package_files"
  finish
}

tmp=$(mktemp -d)
trap 'rm -rf "${tmp}"' EXIT

# 1. The package.
rm -f "${build}"/nianbao_*.deb
if ! (cd "${build}" && cpack -G DEB) >"${tmp}/cpack.log" 2>&1; then
  fail "cpack -G DEB" "$(tail -20 "${tmp}/cpack.log")"
  finish
fi
deb=$(ls "${build}"/nianbao_*.deb 2>/dev/null | head -n 1)
if [[ -z "${deb}" ]]; then
  fail "cpack wrote no nianbao_*.deb" "$(tail -20 "${tmp}/cpack.log")"
  finish
fi
pass "cpack -G DEB: ${deb}"

# 2. lintian: the whole verdict, then errors and warnings fail (overrides are shown as such).
if command -v lintian >/dev/null 2>&1; then
  verdict=$(lintian --display-level '>=pedantic' --show-overrides --tag-display-limit 0 \
    "${deb}" 2>&1 | grep -v 'running with root privileges is not recommended')
  echo "---- lintian ${deb}"
  if [[ -n "${verdict}" ]]; then sed 's/^/      /' <<<"${verdict}"; else echo "      (no tags)"; fi
  echo "----"
  if lintian --fail-on error,warning "${deb}" >/dev/null 2>&1; then
    pass "lintian: no error or warning left unexplained"
  else
    fail "lintian: errors or warnings (above)"
  fi
else
  fail "lintian is not installed (scripts/install-deps.sh installs it)"
fi

# 3. The control data: dependencies computed by dpkg-shlibdeps, the conffiles.
control=$(dpkg-deb -f "${deb}")
for dep in libcurl4 librdkafka1 libpoppler-cpp0v5 libsqlite3-0 libssl3 libsystemd0 libgumbo1; do
  if grep -E '^Depends:' <<<"${control}" | grep -q "${dep}"; then
    pass "Depends: names ${dep}"
  else
    fail "Depends: does not name ${dep}" "$(grep -E '^Depends:' <<<"${control}")"
  fi
done
dpkg-deb -e "${deb}" "${tmp}/DEBIAN"
if diff -u packaging/conffiles "${tmp}/DEBIAN/conffiles" >"${tmp}/conffiles.diff" 2>&1; then
  pass "conffiles: $(tr '\n' ' ' <"${tmp}/DEBIAN/conffiles")"
else
  fail "conffiles differ from packaging/conffiles" "$(cat "${tmp}/conffiles.diff")"
fi

# 4. Unpacked into a scratch root: the files, with their modes.
root="${tmp}/root"
dpkg -x "${deb}" "${root}"
expect_file() { # expect_file PATH MODE
  local path="${root}$1" mode
  if [[ -f "${path}" ]]; then
    mode=$(stat -c '%a' "${path}")
    if [[ "${mode}" == "$2" ]]; then pass "$1 (${mode})"; else fail "$1: mode ${mode}, want $2"; fi
  else
    fail "$1 is missing" "$(cd "${root}" && find . -type f | sort)"
  fi
}
expect_file /usr/bin/nianbao 755
expect_file /lib/systemd/system/nianbao.service 644
expect_file /etc/nianbao/nianbao.toml 644
expect_file /etc/nianbao/sources.toml 644
expect_file /usr/share/man/man1/nianbao.1.gz 644
expect_file /usr/share/bash-completion/completions/nianbao 644
expect_file /usr/share/doc/nianbao/copyright 644
expect_file /usr/share/doc/nianbao/changelog.Debian.gz 644
expect_file /usr/share/doc/nianbao/NOTICE 644
expect_file /usr/share/lintian/overrides/nianbao 644
if file "${root}/usr/bin/nianbao" | grep -q 'not stripped'; then
  fail "/usr/bin/nianbao is not stripped"
else
  pass "/usr/bin/nianbao is stripped"
fi

# 5. The binary and the shipped configuration, from the scratch root.
if out=$("${root}/usr/bin/nianbao" --version 2>&1) && [[ "${out}" == "$("${build}/app/nianbao" --version)" ]]; then
  pass "the packaged nianbao --version: $(head -n 1 <<<"${out}")"
else
  fail "the packaged nianbao --version differs from the build's" "${out}"
fi
if out=$("${root}/usr/bin/nianbao" check --config "${root}/etc/nianbao/nianbao.toml" 2>&1); then
  pass "nianbao check on the shipped /etc/nianbao: ${out}"
else
  fail "nianbao check on the shipped /etc/nianbao" "${out}"
fi
# The shipped configuration shows every setting of the daemon's part of docs/defaults.toml,
# in the same table (commented out or not): a new setting reaches /etc/nianbao too.
keys() { # keys FILE: "[table] key" of every key line, commented or not, up to the sources part
  /usr/bin/python3 - "$1" <<'PY'
import re, sys
table = ""
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("# The sources file"):
        break
    m = re.match(r"^(\[[^\]]+\])", line)
    if m:
        table = m.group(1)
        continue
    m = re.match(r'^(?:# )?("[^"]+"|[a-z_]+) = ', line)
    if m:
        print(table, m.group(1))
PY
}
missing=$(comm -23 <(keys docs/defaults.toml | sort -u) <(keys "${root}/etc/nianbao/nianbao.toml" | sort -u))
if [[ -z "${missing}" ]]; then
  pass "/etc/nianbao/nianbao.toml shows every setting of docs/defaults.toml's daemon part"
else
  fail "/etc/nianbao/nianbao.toml lacks settings of docs/defaults.toml" "${missing}"
fi
if out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z \
  "${root}/usr/share/man/man1/nianbao.1.gz" 2>&1 >/dev/null) && [[ -z "${out}" ]]; then
  pass "man -l renders the packaged page without warnings"
else
  fail "man -l on the packaged page" "${out}"
fi
if out=$(bash --norc --noprofile -c 'source "$1" && complete -p nianbao' bash \
  "${root}/usr/share/bash-completion/completions/nianbao" 2>&1); then
  pass "the packaged completion loads: ${out}"
else
  fail "the packaged completion does not load" "${out}"
fi

# 6. The installed unit: ExecStart at /usr/bin, and systemd-analyze verify. verify checks that
# ExecStart= names an executable of this machine, and --root= wants a whole system in the root
# (sysinit.target, /bin/kill): so a copy of the installed unit, with ExecStart= pointing at the
# scratch root's binary, is verified. verify only warns, so any output counts as a failure.
unit="${root}/lib/systemd/system/nianbao.service"
if grep -qxF 'ExecStart=/usr/bin/nianbao run --config /etc/nianbao/nianbao.toml' "${unit}"; then
  pass "the installed unit runs /usr/bin/nianbao run --config /etc/nianbao/nianbao.toml"
else
  fail "the installed unit's ExecStart" "$(grep '^ExecStart=' "${unit}")"
fi
mkdir -p "${tmp}/verify"
sed "s|^ExecStart=/usr/bin/nianbao |ExecStart=${root}/usr/bin/nianbao |" "${unit}" \
  >"${tmp}/verify/nianbao.service"
out=$(systemd-analyze verify --man=no "${tmp}/verify/nianbao.service" 2>&1)
rc=$?
if [[ ${rc} -eq 0 && -z "${out}" ]]; then
  pass "systemd-analyze verify on the installed unit: clean"
else
  fail "systemd-analyze verify on the installed unit (exit ${rc})" "${out}"
fi

finish
