// Drives the Wrapper's /mcp endpoint with the official TypeScript MCP client and prints one JSON report.
// Usage: node mcp-e2e.mjs <mcp-url> <api-key>
// Exit code 0 when every step behaved as expected, 1 otherwise (the report says which step failed).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, key] = process.argv.slice(2);
if (!url || !key) {
  console.error("usage: node mcp-e2e.mjs <mcp-url> <api-key>");
  process.exit(2);
}

const report = { server: null, tools: [], calls: {}, badArguments: {}, unauthorized: null, failures: [] };
const fail = (message) => report.failures.push(message);
const text = (result) => (result.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("");

async function connect(apiKey) {
  const client = new Client({ name: "wrapper-mcp-e2e", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { "api-key": apiKey } },
  });
  await client.connect(transport);
  return client;
}

try {
  const client = await connect(key);
  report.server = client.getServerVersion();

  const { tools } = await client.listTools();
  report.tools = tools.map((t) => t.name).sort();
  for (const tool of tools) {
    if (!tool.description) fail(`tool ${tool.name} has no description`);
    if (tool.inputSchema?.type !== "object") fail(`tool ${tool.name} has no object input schema`);
  }

  const calls = {
    chat: { messages: [{ role: "user", content: "What is the capital of France?" }] },
    complete: { query: "hello" },
    bing_grounding: { query: "What happened in finance today?" },
    health: {},
  };
  for (const tool of tools.filter((t) => t.name.startsWith("ask_agent_"))) {
    calls[tool.name] = { query: "hello" };
  }

  for (const [name, args] of Object.entries(calls)) {
    const result = await client.callTool({ name, arguments: args });
    report.calls[name] = { isError: result.isError === true, structured: result.structuredContent ?? null };
    if (result.isError) fail(`${name} failed: ${text(result)}`);
    else if (!result.structuredContent) fail(`${name} returned no structured content`);
  }

  const bad = {
    "chat-invalid-role": { name: "chat", arguments: { messages: [{ role: "wizard", content: "hi" }] } },
    "complete-blank-query": { name: "complete", arguments: { query: "   " } },
    "chat-wrong-type": { name: "chat", arguments: { messages: "not a list" } },
    "complete-missing-query": { name: "complete", arguments: {} },
  };
  for (const [label, request] of Object.entries(bad)) {
    try {
      const result = await client.callTool(request);
      report.badArguments[label] = { isError: result.isError === true, text: text(result) };
      if (!result.isError) fail(`${label} was accepted`);
    } catch (error) {
      // A JSON-RPC error (e.g. invalid params) is also a refusal.
      report.badArguments[label] = { isError: true, protocolError: error.code ?? null, text: String(error.message) };
    }
  }

  await client.close();

  try {
    const intruder = await connect("not-the-key");
    await intruder.listTools();
    fail("a wrong key was accepted");
    report.unauthorized = false;
  } catch (error) {
    report.unauthorized = /401|unauthori[sz]ed/i.test(String(error?.message ?? error)) || error?.code === 401;
    if (!report.unauthorized) fail(`a wrong key failed without 401: ${error?.message ?? error}`);
  }
} catch (error) {
  fail(`unexpected: ${error?.stack ?? error}`);
}

console.log(JSON.stringify(report));
process.exit(report.failures.length === 0 ? 0 : 1);
