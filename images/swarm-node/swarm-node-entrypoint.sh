#!/bin/sh
# Starts the node's own dockerd. The node container runs without --privileged (this host's
# capability bounding set lacks CAP_SYS_RESOURCE, which --privileged asks for) but with every
# other capability and systempaths=unconfined, so /sys and the cgroup hierarchies come
# read-only yet may be remounted: the inner engine creates cgroups for the containers it runs.
set -eu

mount -o remount,rw /sys
if mountpoint -q /sys/fs/cgroup; then
  mount -o remount,rw /sys/fs/cgroup 2>/dev/null || true
fi
for hierarchy in /sys/fs/cgroup/*; do
  # cgroup v1 links combined controllers (cpu -> cpu,cpuacct): each mount once.
  if [ -L "$hierarchy" ] || ! [ -d "$hierarchy" ] || ! mountpoint -q "$hierarchy"; then
    continue
  fi
  mount --bind "$hierarchy" "$hierarchy"
  mount -o remount,bind,rw "$hierarchy"
done

# A node restarted after `docker kill` finds its engine's pid files from before.
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid

# The API on TCP without TLS: the harness publishes it on 127.0.0.1 only, to reach each node.
exec dockerd --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:2375 --tls=false --storage-driver=overlay2 "$@"
