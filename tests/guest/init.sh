#!/bin/busybox sh
# /init of the test guest: loads the virtio modules, runs the checks named by avp.checks= on the
# kernel command line against the vhost-user devices, prints one machine-readable line per
# check on the serial console, and powers off. Lines:
#   AVP-GUEST BOOTED <uptime s>
#   AVP-GUEST RESULT <check> PASS|FAIL <detail>
#   AVP-GUEST METRIC <name> <value> <unit>
#   AVP-GUEST DONE <uptime s>
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /tmp /mnt/fs
mount -t tmpfs tmpfs /tmp

for m in $(cat /etc/modules.order); do
  insmod "/lib/modules/$m.ko" || echo "AVP-GUEST WARN insmod $m failed"
done

# Centiseconds since boot, from /proc/uptime.
cs() { read up _ < /proc/uptime; echo $((${up%.*} * 100 + 1${up#*.} - 100)); }
uptime_s() { read up _ < /proc/uptime; echo "$up"; }
pass() { echo "AVP-GUEST RESULT $1 PASS $2"; }
fail() { echo "AVP-GUEST RESULT $1 FAIL $2"; }
metric() { echo "AVP-GUEST METRIC $1 $2 $3"; }
# Waits up to $2 seconds for path $1 to appear (devices probe asynchronously).
await() { i=0; while [ ! -e "$1" ] && [ $i -lt $(($2 * 10)) ]; do sleep 0.1; i=$((i + 1)); done; [ -e "$1" ]; }
# KiB/s for $1 KiB moved in $2 centiseconds.
rate() { [ "$2" -gt 0 ] && echo $(($1 * 100 / $2)) || echo 0; }

echo "AVP-GUEST BOOTED $(uptime_s)"
CHECKS=$(sed -n 's/.*avp\.checks=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')

check_rng() {
  await /sys/class/misc/hw_random/rng_available 10 || { fail rng "no hw_random class"; return; }
  cur=$(cat /sys/class/misc/hw_random/rng_current)
  case "$cur" in virtio_rng*) ;; *) fail rng "rng_current is '$cur', available: $(cat /sys/class/misc/hw_random/rng_available)"; return;; esac
  t0=$(cs)
  head -c 65536 /dev/hwrng > /tmp/rng || { fail rng "read /dev/hwrng failed"; return; }
  t1=$(cs)
  n=$(wc -c < /tmp/rng)
  distinct=$(od -An -v -tx1 /tmp/rng | tr -s ' ' '\n' | sort -u | wc -l)
  metric rng-read-kib-s "$(rate 64 $((t1 - t0)))" KiB/s
  # 64 KiB of uniform bytes shows all 256 values (plus the empty line od's layout leaves).
  if [ "$n" = 65536 ] && [ "$distinct" -ge 256 ]; then pass rng "$cur: read $n bytes, $distinct distinct values"
  else fail rng "$cur: read $n bytes, $distinct distinct values"; fi
}

check_blk() {
  await /dev/vda 10 || { fail blk-read "no /dev/vda"; fail blk-write "no /dev/vda"; return; }
  sig=$(head -c 32 /dev/vda | tr -d '\0')
  if [ "$sig" = "AVP-DISK-SIGNATURE-0123456789" ]; then pass blk-read "sector 0 holds the host's signature"
  else fail blk-read "sector 0 reads '$sig'"; fi
  size=$(cat /sys/block/vda/size)
  # 4 MiB of random data at 1 MiB, written, flushed, dropped from the cache, read back.
  head -c 4194304 /dev/urandom > /tmp/pat
  t0=$(cs)
  dd if=/tmp/pat of=/dev/vda bs=65536 seek=16 conv=fsync 2>/dev/null || { fail blk-write "dd to /dev/vda failed"; return; }
  t1=$(cs)
  sync; echo 3 > /proc/sys/vm/drop_caches
  t2=$(cs)
  dd if=/dev/vda of=/tmp/back bs=65536 skip=16 count=64 2>/dev/null
  t3=$(cs)
  metric blk-write-kib-s "$(rate 4096 $((t1 - t0)))" KiB/s
  metric blk-read-kib-s "$(rate 4096 $((t3 - t2)))" KiB/s
  # A marker the host checks in its back end after the run.
  printf 'AVP-GUEST-WROTE-THIS-SECTOR' | dd of=/dev/vda bs=512 seek=8 conv=fsync 2>/dev/null
  if cmp -s /tmp/pat /tmp/back; then pass blk-write "4 MiB written and read back equal ($size sectors)"
  else fail blk-write "read-back differs ($size sectors)"; fi
}

check_net() {
  await /sys/class/net/eth0 10 || { fail net "no eth0"; return; }
  ip link set lo up
  ip link set eth0 up
  ip addr add 10.0.2.15/24 dev eth0
  out=$(ping -c 5 -i 0.2 -W 5 10.0.2.2 2>&1)
  rx=$(echo "$out" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
  rtt=$(echo "$out" | sed -n 's/.*min\/avg\/max = [0-9.]*\/\([0-9.]*\)\/.*/\1/p')
  [ -n "$rtt" ] && metric ping-avg-ms "$rtt" ms
  if [ "$rx" = 5 ]; then pass net "5 of 5 echo replies from 10.0.2.2, avg $rtt ms"
  else fail net "$(echo "$out" | tail -2 | tr '\n' ' ')"; fi
}

check_vsock() {
  await /dev/vsock 10 || { fail vsock "no /dev/vsock"; return; }
  out=$(echo hello-avp | vsock-client 2 5000 2>&1); rc=$?
  if [ "$out" = "got 10 bytes: hello-avp" ]; then pass vsock "host service answered '$out'"
  else fail vsock "exit $rc, answer '$out'"; return; fi
  t0=$(cs)
  out=$(dd if=/dev/zero bs=65536 count=64 2>/dev/null | vsock-client 2 5000 2>&1)
  t1=$(cs)
  metric vsock-send-kib-s "$(rate 4096 $((t1 - t0)))" KiB/s
  case "$out" in "got 4194304 bytes:"*) pass vsock-bulk "4 MiB to the host service";; *) fail vsock-bulk "answer '$out'";; esac
}

check_fs() {
  mount -t virtiofs avpfs /mnt/fs 2>/tmp/mnt.err || { fail fs "mount: $(cat /tmp/mnt.err)"; return; }
  got=$(cat /mnt/fs/hello.txt 2>&1)
  # The model creates no files: the guest overwrites the start of one the host made.
  printf 'written by the guest' | dd of=/mnt/fs/scratch.txt conv=notrunc 2>/tmp/w.err
  back=$(head -c 20 /mnt/fs/scratch.txt 2>&1)
  if [ "$got" = "hello from the AVP reference virtio-fs model" ] && [ "$back" = "written by the guest" ]; then
    pass fs "read hello.txt, wrote and read back scratch.txt ($(ls /mnt/fs | tr '\n' ' '))"
  else fail fs "hello.txt '$got', scratch.txt '$back' $(cat /tmp/w.err)"; fi
  umount /mnt/fs
}

for c in $CHECKS; do
  "check_$c"
done
sync
echo "AVP-GUEST DONE $(uptime_s)"
poweroff -f
