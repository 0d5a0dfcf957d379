#!/bin/sh
# Makes the base image that Dockerfile.scratch's build stage starts from (debian:bookworm) without
# pulling from a registry: debootstrap a minimal Debian 12 root from a Debian mirror, then import
# it into podman's local storage under that name. Needs root, debootstrap and podman.
#
#   tools/make_base_image.sh [IMAGE_NAME [MIRROR]]
#   defaults: debian:bookworm  http://deb.debian.org/debian
#
# Then: buildah bud --isolation chroot --pull=never -f Dockerfile.scratch -t trainer .
set -eu
name=${1:-debian:bookworm}
mirror=${2:-http://deb.debian.org/debian}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log" >&2
  echo "make_base_image.sh: debootstrap from $mirror failed" >&2
  exit 1
}
rm -rf "$work/root/var/cache/apt/archives"/*.deb "$work/root/var/lib/apt/lists"/*
tar -C "$work/root" --numeric-owner -c . | podman import --change 'CMD ["/bin/bash"]' - "$name" >/dev/null
echo "imported $name ($(podman image inspect --format '{{.Size}}' "$name") bytes)"
