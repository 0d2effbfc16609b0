#!/bin/sh
# Vendors axe-core, the accessibility checker the browser tests run in
# each page they visit (ui/web/browser_*_test.go). It is test-only: nothing
# embeds it in the coop binary and no page serves it.
#
# The version is pinned, and the tarball's integrity is checked against
# the registry's before anything is copied. To upgrade: change VERSION and
# INTEGRITY (npm view axe-core@X dist.integrity), run this script from
# anywhere, run the browser tests, commit.
set -eu

VERSION=4.14.1
INTEGRITY=sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "axe-core@$VERSION" >/dev/null
tarball="axe-core-$VERSION.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$got" != "$INTEGRITY" ]; then
	echo "axe-core $VERSION: integrity $got, want $INTEGRITY" >&2
	exit 1
fi
tar -xzf "$tarball"
cp package/axe.min.js "$here/axe.min.js"
cp package/LICENSE "$here/LICENSE"
echo "$VERSION" >"$here/VERSION"
echo "axe-core $VERSION vendored in $here"
