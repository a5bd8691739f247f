#!/bin/sh
# The checkpoint type of data/io.github.convolve.Convolve.mime.xml.in, as
# GIO sees it once update-mime-database has compiled it into a private
# XDG data folder: a checkpoint written by convolve-cli is
# application/x-convolve-checkpoint by its .convolve name, and by its
# bytes when renamed to .bin; a plain safetensors-like file is not.
#
# Needs CNV_CLI, CNV_MIME_XML and CNV_SOURCE_ROOT; exits 77 (skip) when
# update-mime-database or gio is missing.
set -eu

expected=application/x-convolve-checkpoint

for tool in update-mime-database gio; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "# skip: $tool is not installed"
    exit 77
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/share/mime/packages"
cp "$CNV_MIME_XML" "$tmp/share/mime/packages/"
cp /usr/share/mime/packages/freedesktop.org.xml "$tmp/share/mime/packages/"
update-mime-database "$tmp/share/mime"

"$CNV_CLI" train --data "$CNV_SOURCE_ROOT/data/sample" --epochs 1 \
  -o "$tmp/model.convolve" 2>/dev/null
cp "$tmp/model.convolve" "$tmp/model.bin"

# A safetensors header that is not Convolve's.
printf '\002\000\000\000\000\000\000\000{}' >"$tmp/other.bin"

content_type () {
  XDG_DATA_HOME="$tmp/share" XDG_DATA_DIRS="$tmp/share" GIO_USE_VFS=local \
    gio info -a standard::content-type "$1" |
    sed -n 's/^ *standard::content-type: //p'
}

status=0
check () {
  got=$(content_type "$tmp/$1")
  if [ "$got" = "$2" ]; then
    echo "ok - $1 is $got"
  else
    echo "not ok - $1 is $got, expected $2"
    status=1
  fi
}

check model.convolve "$expected"
check model.bin "$expected"
check other.bin application/octet-stream
exit $status
