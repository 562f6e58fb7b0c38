#!/usr/bin/env bash
# Debian 12 packages that the real-Salt harness (test/real/saltMaster.ts) needs to run Salt
# 3006.16, 3006.27, 3007.14 and 3008.2 from source with /usr/bin/python3 (3.11). No PyPI.
#
#   test/real/install-deps.sh           install whatever is missing (idempotent; needs root)
#   test/real/install-deps.sh --check   print installed/candidate versions, install nothing
#
# Salt's imports that Debian does not package are stubbed in test/real/pystubs/ (looseversion).
set -euo pipefail

# Salt fails to start, or to serve a request, without these.
REQUIRED=(
  python3                # /usr/bin/python3, 3.11 on Debian 12
  python3-cryptography   # salt.crypt: RSA keys, AES (all releases)
  python3-distro         # salt.utils.platform / grains
  python3-jinja2         # salt.utils.templates, salt.utils.jinja (pulls python3-markupsafe)
  python3-markupsafe
  python3-msgpack        # salt.payload: the wire format
  python3-packaging      # salt.utils.versions
  python3-requests       # salt.utils.http, imported at module level
  python3-tornado        # 3007+ use system tornado (3006 vendors salt.ext.tornado)
  python3-xxhash         # 3008.x: minion resource registry (salt.utils.minions)
  python3-yaml           # config files
  python3-zmq            # the zeromq transport: ret_port, publish_port, workers.ipc
)
# Declared Salt requirements that Salt uses when present and works around when absent.
OPTIONAL=(
  python3-dateutil       # jobs runner time filters, schedule
  python3-jmespath       # salt.utils.data.jmespath
  python3-psutil         # process management, status/ps modules
  python3-pycryptodome   # Cryptodome: salt.utils.pycrypto random bytes
)
PACKAGES=("${REQUIRED[@]}" "${OPTIONAL[@]}")

installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

if [[ "${1:-}" == "--check" ]]; then
  for package in "${PACKAGES[@]}"; do
    printf '%-24s %s\n' "$package" "$(apt-cache policy "$package" | awk '/Installed:|Candidate:/ {printf "%s %s  ", $1, $2}')"
  done
  exit 0
fi

missing=()
for package in "${PACKAGES[@]}"; do
  installed "$package" || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
