#!/usr/bin/env bash
# CI gate: "only MAC on IFACE may answer for IP". Relies only on arpinject's exit codes and --json.
#
#   examples/ci-probe.sh IFACE IP MAC [SENDER_IP]
#
# exit 0: IP answered, and only by MAC   exit 1: no answer, or another MAC claims IP (hijack)
# exit 2: bad arguments                  exit 3: environment (not root, interface missing or down)
set -uo pipefail
iface=${1:?usage: ci-probe.sh IFACE IP MAC [SENDER_IP]}
ip=${2:?usage: ci-probe.sh IFACE IP MAC [SENDER_IP]}
mac=${3:?usage: ci-probe.sh IFACE IP MAC [SENDER_IP]}
arpinject=${ARPINJECT:-arpinject}   # e.g. ARPINJECT="node dist/cli/arpinject.cjs"

# --wait 1500: keep listening after the first answer, so a second (hijacking) MAC is caught too.
out=$($arpinject probe --iface "$iface" --tip "$ip" ${4:+--sip "$4"} --expect "$mac" --wait 1500 --json)
rc=$?

# The last NDJSON line is the summary (or an error record); pick fields with node, no jq needed.
summary=$(printf '%s\n' "$out" | tail -n 1)
case $rc in
  0) echo "ok: $ip is claimed by $mac only" ;;
  1) claimed=$(printf '%s' "$summary" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(JSON.stringify(r.claims))})')
     echo "FAIL: expected $ip -> $mac only; claimed: $claimed" ;;
  *) echo "ERROR (exit $rc): $(printf '%s' "$summary")" ;;
esac
exit $rc
