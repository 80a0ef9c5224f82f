// The Vercel AI SDK's own check of a UI message stream chunk: the `ai` package's uiMessageChunkSchema, the
// zod schema its chat client (useChat) reads every chunk with. One JSON chunk a line in; one verdict a line
// out: {"ok": true} or {"ok": false, "error": "..."}. Run by support/agents/ai_sdk.py on the project's Node.
import { createInterface } from "node:readline";
import { uiMessageChunkSchema } from "ai";

const schema = uiMessageChunkSchema();

// zod's union error lists every member; name only the one whose type matched, or the unknown type.
function summary(chunk, error) {
  let issues;
  try {
    issues = JSON.parse(error.cause?.message ?? error.message);
  } catch {
    return String(error.message ?? error);
  }
  const union = issues.find((issue) => issue.code === "invalid_union");
  if (!union) return issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
  const matched = union.errors.find((branch) => !branch.some((issue) => issue.path[0] === "type"));
  if (!matched) return `no chunk of the AI SDK has the type ${JSON.stringify(chunk?.type)}`;
  return matched.map((issue) => `${issue.path.join(".") || "chunk"}: ${issue.message}`).join("; ");
}

for await (const line of createInterface({ input: process.stdin })) {
  let verdict;
  try {
    const chunk = JSON.parse(line);
    const result = await schema.validate(chunk);
    verdict = result.success ? { ok: true } : { ok: false, error: summary(chunk, result.error) };
  } catch (error) {
    verdict = { ok: false, error: String(error) };
  }
  process.stdout.write(JSON.stringify(verdict) + "\n");
}
