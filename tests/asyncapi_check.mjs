// Validates an AsyncAPI document with the AsyncAPI Initiative's own parser (npm @asyncapi/parser): prints each
// diagnostic as `severity path: message`, and exits 1 when any is an error.
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const path = process.argv[2];
const { document, diagnostics } = await new Parser().parse(await readFile(path, "utf8"), { source: path });
const SEVERITY = ["error", "warning", "info", "hint"];
for (const diagnostic of diagnostics) {
  console.log(`${SEVERITY[diagnostic.severity]} ${diagnostic.path.join(".") || "(document)"}: ${diagnostic.message}`);
}
const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 0);
if (document === undefined || errors.length > 0) {
  console.log(`${path}: not a valid AsyncAPI document (${errors.length} errors)`);
  process.exit(1);
}
console.log(`${path}: AsyncAPI ${document.version()}, ${document.channels().length} channels, ` +
  `${document.messages().length} messages, ${document.operations().length} operations`);
