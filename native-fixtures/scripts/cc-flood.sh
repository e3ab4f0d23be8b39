#!/bin/bash
# cc-flood.sh: --client-connect script that prints MB megabytes (default 100) to stdout in 1000-character lines,
# writes a config and exits 0.
cfg="${!#}"
line=$(printf '%999s' '' | tr ' ' 'x')
yes "$line" | head -c "$(( ${CC_FLOOD_MB:-100} * 1024 * 1024 ))"
printf 'push "echo cc-flood"\n' > "$cfg" || exit 1
exit 0
