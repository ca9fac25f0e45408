// Runs the WASM build of the analytics core (wasm-bindgen's Node.js output) against the
// shared cases in cases.json, which the native unit tests check too: the edge functions
// wrapping this build judge events and compute funnels, cohorts and revenue exactly as the
// analytics service does.
//
// Usage: node run.cjs <directory with wasm-bindgen --target nodejs output>
"use strict";

const path = require("node:path");
const fs = require("node:fs");

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node run.cjs <wasm-bindgen output directory>");
  process.exit(2);
}
const core = require(path.resolve(dir, "ombaro_analytics.js"));
const { cases } = JSON.parse(fs.readFileSync(path.join(__dirname, "cases.json"), "utf8"));

// `expected` names a subset of `actual`'s fields; arrays match in length and element by
// element. The same rule as the native test in src/wasm.rs.
function matches(actual, expected) {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matches(actual[i], e));
  }
  if (expected !== null && typeof expected === "object") {
    return actual !== null && typeof actual === "object" && !Array.isArray(actual) &&
      Object.keys(expected).every((k) => k in actual && matches(actual[k], expected[k]));
  }
  return actual === expected;
}

let failed = 0;
for (const c of cases) {
  const exported = core[c.export];
  if (typeof exported !== "function") {
    console.log(`not ok - ${c.name}: the build exports no ${c.export}()`);
    failed++;
    continue;
  }
  const input = "raw" in c ? c.raw : JSON.stringify(c.input);
  const answer = JSON.parse(exported(input));
  if (matches(answer, c.expect)) {
    console.log(`ok - ${c.export}: ${c.name}`);
  } else {
    console.log(`not ok - ${c.export}: ${c.name}\n  expected ${JSON.stringify(c.expect)}\n  got      ${JSON.stringify(answer)}`);
    failed++;
  }
}
console.log(`${cases.length - failed}/${cases.length} cases answered alike by the WASM build`);
process.exit(failed === 0 && cases.length > 0 ? 0 : 1);
