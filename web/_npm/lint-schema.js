// Lints the schema a running authbff serves, as clients see it (introspection), with
// graphql-schema-linter's description rules, and refuses internal directives.
// Usage: node lint-schema.js INTROSPECTION.json  (the data of a full introspection query)
// Run by web/schema_lint_test.go; exits non-zero with the linter's report on failure.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { execFileSync } = require("child_process");
const { buildClientSchema, printSchema } = require("graphql");

const data = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const schema = buildClientSchema(data);
const internal = schema.getDirectives().filter((d) => d.name === "goField" || d.name.startsWith("go"));
if (internal.length > 0) {
  console.error("internal directives visible through introspection: " + internal.map((d) => "@" + d.name).join(", "));
  process.exit(1);
}
const sdl = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "schema-lint-")), "schema.graphql");
fs.writeFileSync(sdl, printSchema(schema));
const rules = [
  "types-have-descriptions",
  "fields-have-descriptions",
  "arguments-have-descriptions",
  "input-object-values-have-descriptions",
  "enum-values-have-descriptions",
  "deprecations-have-a-reason",
  "types-are-capitalized",
  "fields-are-camel-cased",
  "input-object-values-are-camel-cased",
];
try {
  execFileSync(path.join(__dirname, "node_modules", ".bin", "graphql-schema-linter"),
    ["--format", "text", "--rules", rules.join(","), sdl], { stdio: "inherit" });
} catch (e) {
  process.exit(1);
}
