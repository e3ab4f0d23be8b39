#!/bin/bash
# The --client-connect script of the differential suite (test/parity): the same script runs under the real server
# (client-connect "cc-script.sh MODE RECORDER_FILE") and under the host (script: [cc-script.sh, MODE, RECORDER_FILE]);
# the config file comes last, as OpenVPN appends it.
# It first appends one line in the recorder's format to RECORDER_FILE:
#   "SCRIPT\t<argc>\t<MODE>,<config file name>\t<env keys, sorted>\t\tusername=<v>;untrusted_port=<v>"
# (the last field as parity-ctx-recorder's tags, to tell several clients apart)
# (sorted: bash rebuilds the environment of its children, so the envp order is lost; PWD, OLDPWD, SHLVL and _ are the
# shell's own and left out), then acts by MODE:
#   sync    writes push "echo cc-script sync" and push "route 10.77.0.0 255.255.0.0", exit 0
#   fail    exit 1
#   defer   writes '2' into $client_connect_deferred_file, exit 0; a detached writer then (after 0.3 s) writes
#           push "echo cc-script deferred" and ifconfig-push 10.29.41.77 255.255.255.0 into the config file, then '1'
#   defer0  as defer, but the writer writes '0' (and no config)
PATH=/usr/sbin:/usr/bin:/sbin:/bin
mode="$1" rec="$2" cfg="${!#}"

keys=()
while IFS= read -r -d '' kv; do
    k="${kv%%=*}"
    case "$k" in PWD|OLDPWD|SHLVL|_) continue ;; esac
    keys+=("$k")
done < <(env -0)
sorted=$(printf '%s\n' "${keys[@]}" | LC_ALL=C sort | paste -sd, -)
printf 'SCRIPT\t%d\t%s,%s\t%s\t\tusername=%s;untrusted_port=%s\n' $(($# + 1)) "$mode" "${cfg##*/}" "$sorted" \
    "${username//[;$'\t']/_}" "${untrusted_port:-}" >> "$rec"

case "$mode" in
sync)
    printf 'push "echo cc-script sync"\npush "route 10.77.0.0 255.255.0.0"\n' > "$cfg" || exit 1
    exit 0 ;;
fail)
    exit 1 ;;
defer|defer0)
    ccr="${client_connect_deferred_file:-}"
    if [ -z "$ccr" ] || [ ! -e "$ccr" ]; then
        echo "cc-script.sh: $mode, but client_connect_deferred_file is missing" >&2
        exit 1
    fi
    printf 2 1<> "$ccr"
    byte=1
    [ "$mode" = defer0 ] && byte=0
    # detached writer: own session, no inherited stdio; files are written only while the server still has them
    setsid bash -c 'sleep 0.3
        if [ "$4" = 1 ] && [ -e "$1" ]; then
            printf "push \"echo cc-script deferred\"\nifconfig-push 10.29.41.77 255.255.255.0\n" > "$1"
        fi
        [ -e "$2" ] && printf "%s" "$4" 1<> "$2"' cc-script-writer "$cfg" "$ccr" "$rec" "$byte" \
        < /dev/null > /dev/null 2>&1 &
    exit 0 ;;
*)
    echo "cc-script.sh: unknown mode '$mode'" >&2
    exit 2 ;;
esac
