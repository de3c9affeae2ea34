// Records what jsonata-js (the JSONata that AWS Step Functions runs) gives for each case in cases.json,
// so Sojourn's tests compare with it without node. Run: npm install && node record.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import jsonata from "jsonata";

const here = new URL(".", import.meta.url);
const { version } = createRequire(import.meta.url)("jsonata/package.json");
const { cases } = JSON.parse(readFileSync(new URL("cases.json", here), "utf8"));

async function record(item) {
  // As AWS evaluates a field: no root input, the state's data bound as $states, variables as $name.
  const bindings = { ...(item.bindings ?? {}), states: { input: item.input } };
  try {
    const result = await jsonata(item.expression).evaluate(undefined, bindings);
    if (result === undefined) return { undefined: true };
    if (typeof result === "function") return { function: true };
    // JSON.stringify would write Infinity and NaN as null: record that the result is no JSON value.
    let finite = true;
    const text = JSON.stringify(result, (_, v) => {
      if (typeof v === "number" && !Number.isFinite(v)) finite = false;
      return v;
    });
    return finite ? { result: JSON.parse(text) } : { nonFinite: String(result) };
  } catch (e) {
    return { error: { code: e.code ?? null, message: e.message } };
  }
}

const expected = {};
for (const item of cases) expected[item.id] = await record(item);
writeFileSync(
  new URL("expected.json", here),
  JSON.stringify({ jsonata: version, results: expected }, null, 1) + "\n",
);
console.log(`recorded ${cases.length} cases with jsonata ${version}`);
