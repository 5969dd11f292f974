#!/usr/bin/env bash
# Fetches the npm packages pinned in web/_npm/package.json (exact versions, locked by
# web/_npm/package-lock.json) and copies their minified browser builds into web/vendor,
# which authbff embeds (go:embed): GraphiQL + React for /playground, Swagger UI for /docs.
# The bundles are stored gzip-compressed (reproducibly: gzip -9 -n), served as they are
# to browsers that accept gzip (web.Assets); the licences and VERSIONS.json stay plain.
# web/vendor/VERSIONS.json records what was copied; web's tests check it against the pins.
#
# To upgrade: change a version in web/_npm/package.json, run `npm install --prefix web/_npm`
# (updates the lock), then this script, then `go test ./web/...`, and commit web/.
set -euo pipefail
cd "$(dirname "$0")/../web"
npm ci --prefix _npm --no-audit --no-fund --ignore-scripts >/dev/null
nm=_npm/node_modules
rm -rf vendor
mkdir -p vendor/graphiql vendor/swagger-ui
cp "$nm/graphiql/graphiql.min.js" "$nm/graphiql/graphiql.min.css" vendor/graphiql/
cp "$nm/react/umd/react.production.min.js" "$nm/react-dom/umd/react-dom.production.min.js" vendor/graphiql/
cp "$nm/swagger-ui-dist/swagger-ui-bundle.js" "$nm/swagger-ui-dist/swagger-ui.css" vendor/swagger-ui/
cp "$nm/graphiql/LICENSE" vendor/graphiql/LICENSE.graphiql
cp "$nm/react/LICENSE" vendor/graphiql/LICENSE.react
cp "$nm/swagger-ui-dist/LICENSE" vendor/swagger-ui/LICENSE
# The bundle ends with a source-map comment; the map is not shipped, so drop the comment.
for f in vendor/graphiql/graphiql.min.js vendor/swagger-ui/swagger-ui-bundle.js vendor/graphiql/graphiql.min.css vendor/swagger-ui/swagger-ui.css; do
  sed -i -e 's|^//# sourceMappingURL=.*$||' -e 's|/\*# sourceMappingURL=[^*]*\*/||' "$f"
done
gzip -9 -n vendor/graphiql/*.js vendor/graphiql/*.css vendor/swagger-ui/*.js vendor/swagger-ui/*.css
node -e '
const v = {};
for (const p of ["graphiql", "react", "react-dom", "swagger-ui-dist"]) {
  v[p] = require("./_npm/node_modules/" + p + "/package.json").version;
}
process.stdout.write(JSON.stringify(v, null, 2) + "\n");
' > vendor/VERSIONS.json
du -sh vendor
cat vendor/VERSIONS.json
