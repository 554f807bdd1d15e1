#!/usr/bin/env bash
# start-server.sh — local S3 endpoint = Ceph RADOS Gateway (Debian 12 ceph 16.2) on 127.0.0.1.
# One mon + one OSD (file-backed BlueStore, or memstore) + radosgw/beast. No mgr, no systemd.
# Needs root (apt) on Debian 12. Everything else lives under $S3_DATA_DIR.
#
#   ./start-server.sh [start]   install if needed, create or reuse the cluster, print exports (with
#                               S3_SERVER_STARTED=1 when this call started the daemons, 0 when it reused
#                               running ones, so a caller stops only what it started)
#   ./start-server.sh stop      stop the daemons this script started (pid files only)
#   ./start-server.sh status
# Env: S3_DATA_DIR (/tmp/ceph-rgw)  S3_PORT (7480)  S3_STORE (bluestore|memstore)
#      S3_ACCESS_KEY (testaccesskey) S3_SECRET_KEY (testsecretkey123) S3_FRESH=1 (wipe data)
#      S3_MON_PORT (3300, msgr2)  S3_MON_V1_PORT (6789)
set -euo pipefail
CMD=${1:-start}
BASE=${S3_DATA_DIR:-/tmp/modelrepo-ceph-rgw}
PORT=${S3_PORT:-7480}
STORE=${S3_STORE:-bluestore}
AK=${S3_ACCESS_KEY:-testaccesskey}
SK=${S3_SECRET_KEY:-testsecretkey123}
MON2=${S3_MON_PORT:-3300}
MON1=${S3_MON_V1_PORT:-6789}
CONF=$BASE/ceph.conf
ENDPOINT=http://127.0.0.1:$PORT
log() { echo "[start-server $(date +%T)] $*" >&2; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_all() {
  for n in client.rgw.a osd.0 mon.a; do          # reverse start order
    f=$BASE/run/$n.pid
    if alive "$f"; then
      p=$(cat "$f"); kill "$p"
      for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$p" 2>/dev/null && kill -9 "$p"
      log "stopped $n (pid $p)"
    fi
  done
}
case $CMD in
  stop) stop_all; exit 0 ;;
  status) for n in mon.a osd.0 client.rgw.a; do
            alive "$BASE/run/$n.pid" && echo "$n running (pid $(cat "$BASE/run/$n.pid"))" || echo "$n stopped"; done
          curl -sf -o /dev/null "$ENDPOINT/" && echo "S3 up at $ENDPOINT" || echo "S3 not answering"; exit 0 ;;
  start) ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac

# 1. packages (about 65 MiB download, 270 MB installed, ~30 s)
if ! command -v radosgw >/dev/null || ! command -v ceph-osd >/dev/null || ! command -v ceph-mon >/dev/null \
   || ! command -v uuidgen >/dev/null || ! command -v curl >/dev/null; then
  log "installing ceph-mon ceph-osd radosgw"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends ceph-mon ceph-osd radosgw uuid-runtime curl >/dev/null
fi

[ "${S3_FRESH:-0}" = 1 ] && { stop_all; rm -rf "$BASE"; }
STARTED=0
if alive "$BASE/run/client.rgw.a.pid" && curl -sf -o /dev/null "$ENDPOINT/"; then
  log "already running"
else
  STARTED=1
  stop_all  # clear half-started leftovers from an earlier run (only our own pids)
  # memstore keeps nothing across restarts: always start it fresh
  if [ "$STORE" = memstore ] || [ ! -f "$BASE/.initialized" ]; then FRESH=1; rm -rf "$BASE"; else FRESH=0; fi
  mkdir -p "$BASE"/{mon,osd,rgw,run,log,crash}
  if [ $FRESH = 1 ]; then
    FSID=$(uuidgen)
    cat > "$CONF" <<EOF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$MON2,v1:127.0.0.1:$MON1]
mon initial members = a
public addr = 127.0.0.1
public network = 127.0.0.0/8
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
run dir = $BASE/run
admin socket = $BASE/run/\$name.asok
log file = $BASE/log/\$name.log
pid file = $BASE/run/\$name.pid
crash dir = $BASE/crash
mon data = $BASE/mon/\$cluster-\$id
osd data = $BASE/osd/\$cluster-\$id
osd objectstore = $STORE
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
osd memory target = 939524096
bluestore cache autotune = false
bluestore cache size = 134217728
bluestore block size = 21474836480
memstore device bytes = 4294967296
[client]
keyring = $BASE/\$name.keyring
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $BASE/rgw
rgw enable usage log = false
rgw gc obj min wait = 30
rgw gc processor period = 30
EOF
    ceph-authtool --create-keyring "$BASE/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
    ceph-authtool --create-keyring "$BASE/client.admin.keyring" --gen-key -n client.admin \
      --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
    ceph-authtool "$BASE/mon.keyring" --import-keyring "$BASE/client.admin.keyring" >/dev/null
    monmaptool --create --addv a "[v2:127.0.0.1:$MON2,v1:127.0.0.1:$MON1]" --fsid "$FSID" "$BASE/monmap" >/dev/null
    ceph-mon -c "$CONF" --mkfs -i a --monmap "$BASE/monmap" --keyring "$BASE/mon.keyring" 2>>"$BASE/log/setup.log"
  fi
  log "starting mon"
  ceph-mon -c "$CONF" -i a
  ceph -c "$CONF" --connect-timeout 60 mon stat >/dev/null
  if [ $FRESH = 1 ]; then
    OSD_UUID=$(uuidgen)
    OSD_ID=$(ceph -c "$CONF" osd new "$OSD_UUID")          # 0
    mkdir -p "$BASE/osd/ceph-$OSD_ID"
    ceph-osd -c "$CONF" -i "$OSD_ID" --mkfs --mkkey --no-mon-config --osd-uuid "$OSD_UUID" 2>>"$BASE/log/setup.log"
    ceph -c "$CONF" auth add "osd.$OSD_ID" osd 'allow *' mon 'allow profile osd' mgr 'allow profile osd' \
      -i "$BASE/osd/ceph-$OSD_ID/keyring" 2>>"$BASE/log/setup.log"
  fi
  log "starting osd ($STORE)"
  ceph-osd -c "$CONF" -i 0 --keyring "$BASE/osd/ceph-0/keyring" 2>>"$BASE/log/setup.log"
  for _ in $(seq 1 240); do
    ceph -c "$CONF" osd stat -f json 2>/dev/null | grep -q '"num_up_osds":1' && break; sleep 0.5
  done
  if [ $FRESH = 1 ]; then
    ceph -c "$CONF" auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' -o "$BASE/client.rgw.a.keyring"
  fi
  log "starting radosgw on $ENDPOINT"
  radosgw -c "$CONF" -n client.rgw.a
  if [ $FRESH = 1 ]; then
    radosgw-admin -c "$CONF" user create --uid=s3user --display-name=s3user \
      --access-key="$AK" --secret-key="$SK" >/dev/null
    touch "$BASE/.initialized"
  fi
  for _ in $(seq 1 240); do curl -sf -o /dev/null "$ENDPOINT/" && break; sleep 0.25; done
  curl -sf -o /dev/null "$ENDPOINT/" || { log "radosgw did not answer; see $BASE/log"; exit 1; }
  if [ $FRESH = 1 ]; then   # warm-up: first bucket/object creates RGW's index+data pools (~2 s each)
    S=(curl -sf -o /dev/null --aws-sigv4 aws:amz:us-east-1:s3 --user "$AK:$SK" -H x-amz-content-sha256:UNSIGNED-PAYLOAD)
    W=$ENDPOINT/warmup-$RANDOM
    "${S[@]}" -X PUT "$W" && "${S[@]}" -X PUT --data-binary x "$W/o" && "${S[@]}" -X DELETE "$W/o" \
      && "${S[@]}" -X DELETE "$W" || { log "warm-up failed (bad keys?)"; exit 1; }
  fi
  log "S3 ready"
fi
cat <<EOF
export S3_ENDPOINT=$ENDPOINT
export AWS_ACCESS_KEY_ID=$AK
export AWS_SECRET_ACCESS_KEY=$SK
export AWS_REGION=us-east-1
export S3_SERVER_STARTED=$STARTED
EOF
