#!/bin/bash
# cc-background.sh: --client-connect script that writes a config and exits 0 at once, leaving a background child
# that holds its stdout and stderr open for a minute (OpenVPN waits for the script process only).
cfg="${!#}"
printf 'push "echo cc-background"\n' > "$cfg" || exit 1
(sleep 60; echo "cc-background.sh: the background child is still here") &
echo "cc-background.sh: wrote $cfg, left a background child"
exit 0
