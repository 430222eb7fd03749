# Every delivery path, attached with fentry/fexit.
ATTACH=fentry
. /scenario/lib/capture-paths.sh
