// Compile every tool schema of a tools/list answer with Ajv in strict mode (as TypeScript MCP
// clients do) and print {"checked": n, "refused": [{"tool", "which", "error"}]} as JSON.
// Usage: node ajv_strict_check.cjs tools-list.json   (ajv and ajv-formats found via NODE_PATH)
"use strict";
const fs = require("fs");
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;

const listed = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const refused = [];
let checked = 0;
for (const tool of listed.tools) {
  for (const [which, schema] of [["inputSchema", tool.inputSchema], ["outputSchema", tool.outputSchema]]) {
    if (schema === undefined) continue;
    // A fresh instance per schema: one refusal must not hide behind another's cache.
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv);
    checked += 1;
    try {
      ajv.compile(schema);
    } catch (error) {
      refused.push({ tool: tool.name, which, error: String(error.message || error) });
    }
  }
}
process.stdout.write(JSON.stringify({ checked, refused }) + "\n");
