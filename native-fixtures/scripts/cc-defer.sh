#!/bin/bash
# cc-defer.sh: --client-connect script with OpenVPN's deferred-script semantics (CC_SCRIPT_MODE=sync|fail|defer, default defer).
# Last argument: the config file. Env client_connect_deferred_file: the ccr file ('2' = deferred, later '1'/'0').
cfg="${!#}"
ccr="${client_connect_deferred_file:-}"
mode="${CC_SCRIPT_MODE:-defer}"

case "$mode" in
sync)
    printf 'push "echo cc-script"\n' > "$cfg" || exit 1
    echo "cc-defer.sh: sync, wrote config $cfg"
    exit 0 ;;
fail)
    echo "cc-defer.sh: fail, exit 1"
    exit 1 ;;
defer)
    if [ -z "$ccr" ] || [ ! -e "$ccr" ]; then
        echo "cc-defer.sh: defer, but client_connect_deferred_file is missing"
        exit 1
    fi
    delay="${CC_SCRIPT_DELAY:-0.3}" byte="${CC_SCRIPT_BYTE:-1}"
    printf 2 1<> "$ccr"
    # Detached writer: own session, no inherited stdio. Files are only written if OpenVPN still has them.
    setsid bash -c 'sleep "$1"
        [ -e "$2" ] && printf "push \"echo cc-script deferred\"\n" > "$2"
        [ -e "$3" ] && printf "%s" "$4" 1<> "$3"' cc-defer-writer "$delay" "$cfg" "$ccr" "$byte" \
        < /dev/null > /dev/null 2>&1 &
    echo "cc-defer.sh: defer, wrote '2', will write '$byte' in ${delay}s"
    exit 0 ;;
*)
    echo "cc-defer.sh: unknown CC_SCRIPT_MODE '$mode'"
    exit 2 ;;
esac
