#!/usr/bin/env node
// Evaluate GitHub Actions expressions with GitHub's own evaluator (the npm package
// `@actions/expressions`, installed by `make tools` into .build/npm), for the tests that run
// workflow files. One request per line on stdin, one answer per line on stdout:
//
//   {"expr": "needs.waves.outputs.wave0 != '[]'", "context": {...}, "status": {...}}
//   -> {"value": true, "text": "true"}          (or {"error": "..."})
//
// `status` holds the results of success(), failure(), cancelled() and always() for the
// place the expression is evaluated in. Exit 3 when the package is missing.
//
// usage: node scripts/gha-expressions.mjs   (PAYBILL_NPM_DIR overrides .build/npm)
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const npmDir = process.env.PAYBILL_NPM_DIR || path.join(here, "..", ".build", "npm");
const entry = path.join(
  path.resolve(npmDir), "node_modules", "@actions", "expressions", "dist", "index.js",
);

let expressions;
try {
  expressions = await import(pathToFileURL(entry).href);
} catch (error) {
  process.stderr.write(`@actions/expressions is not installed under ${npmDir}: run make tools\n`);
  process.exit(3);
}
const { Lexer, Parser, Evaluator, data } = expressions;
const STATUS = ["success", "failure", "cancelled", "always"];

function evaluate(request) {
  const context = JSON.parse(JSON.stringify(request.context ?? {}), data.reviver);
  const lexed = new Lexer(request.expr).lex();
  const names = Object.keys(request.context ?? {});
  const infos = STATUS.map((name) => ({ name, minArgs: 0, maxArgs: 0 }));
  const tree = new Parser(lexed.tokens, names, infos).parse();
  const functions = new Map(
    STATUS.map((name) => [
      name.toLowerCase(),
      { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(!!request.status?.[name]) },
    ]),
  );
  const result = new Evaluator(tree, context, functions).evaluate();
  return { value: JSON.parse(JSON.stringify(result, data.replacer)), text: result.coerceString() };
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  let answer;
  try {
    answer = evaluate(JSON.parse(line));
  } catch (error) {
    answer = { error: String(error && error.message ? error.message : error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
