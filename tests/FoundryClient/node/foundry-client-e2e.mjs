// Drives the simulator's new Foundry Agent Service routes with the official openai npm client, the way Microsoft's
// docs show it: an OpenAI client on '<project endpoint>/openai/v1/' with an Entra ID bearer token, conversations.create
// with metadata, responses.create with the extra body field agent_reference (plain and stream: true),
// conversations.items.list and conversations.delete. Agent versions are created with fetch on
// '<project endpoint>/agents/{name}/versions?api-version=v1' (the openai client has no agents resource).
// Reads SIM_URL (simulator root), SIM_PROJECT (project name) and SIM_TOKEN; prints one JSON object with what it saw;
// exits non-zero on any failure (tests/FoundryClient runs it and checks the output and the simulator's counters).
import OpenAI from 'openai';

const root = process.env.SIM_URL.replace(/\/+$/, '');
const project = `${root}/api/projects/${process.env.SIM_PROJECT}`;
const token = process.env.SIM_TOKEN;
const marker = /^【\d+:\d+†source】$/;

const client = new OpenAI({ baseURL: `${project}/openai/v1/`, apiKey: token, maxRetries: 0 });
const agentReference = (name, version) => ({ type: 'agent_reference', name, ...(version ? { version } : {}) });

// Every url_citation annotation must cover exactly one marker of the text.
function citations(text, annotations) {
  return annotations.map((a) => ({
    type: a.type,
    url: a.url,
    title: a.title,
    startIndex: a.start_index,
    endIndex: a.end_index,
    marker: text.slice(a.start_index, a.end_index),
    markerMatches: marker.test(text.slice(a.start_index, a.end_index)),
  }));
}

function messageOf(response) {
  const message = response.output.find((item) => item.type === 'message');
  const part = message?.content.find((c) => c.type === 'output_text');
  return { text: part?.text ?? '', annotations: part?.annotations ?? [] };
}

async function createAgentVersion(name) {
  const reply = await fetch(`${project}/agents/${name}/versions?api-version=v1`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      definition: { kind: 'prompt', model: 'gpt-4o', instructions: 'Answer with Bing.', tools: [{ type: 'bing_grounding' }] },
    }),
  });
  if (!reply.ok) {
    throw new Error(`create version: ${reply.status} ${await reply.text()}`);
  }
  return (await reply.json()).version;
}

async function plain(conversation) {
  const response = await client.responses.create({
    agent_reference: agentReference('bing-grounding'),
    input: 'What happened in Oslo this week?',
    conversation: conversation.id,
  });
  const { text, annotations } = messageOf(response);
  return {
    id: response.id,
    status: response.status,
    outputText: response.output_text,
    messageText: text,
    conversationId: response.conversation?.id ?? null,
    agent: response.agent ?? null,
    citations: citations(response.output_text, annotations),
  };
}

async function streamed(conversation, name, version) {
  const events = await client.responses.create({
    agent_reference: agentReference(name, version),
    input: 'And in Bergen?',
    conversation: conversation.id,
    stream: true,
  });
  const types = [];
  let text = '';
  const announced = [];
  let completed = null;
  for await (const event of events) {
    types.push(event.type);
    if (event.type === 'response.output_text.delta') {
      text += event.delta;
    } else if (event.type === 'response.output_text.annotation.added') {
      announced.push({ ...event.annotation, streamedLength: text.length });
    } else if (event.type === 'response.completed') {
      completed = event.response;
    }
  }
  const final = messageOf(completed);
  return {
    types,
    text,
    finalText: final.text,
    announcedAfterMarker: announced.every((a) => a.end_index === a.streamedLength),
    citations: citations(text, announced),
    finalAnnotations: final.annotations.length,
    agentVersion: completed.agent?.version ?? null,
  };
}

async function failure(call) {
  try {
    await call();
    return null;
  } catch (error) {
    return {
      status: error.status ?? null,
      code: error.code ?? error.error?.code ?? null,
      retryAfter: error.headers?.get?.('retry-after') ?? null,
    };
  }
}

async function injectFault(fault) {
  const reply = await fetch(`${root}/_simulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ target: 'agents', ...fault }),
  });
  if (reply.status !== 201) {
    throw new Error(`fault: ${reply.status}`);
  }
}

const conversation = await client.conversations.create({
  metadata: { wrapper_owner: 'node-client' },
  items: [{ type: 'message', role: 'user', content: 'Hello, I plan a trip to Norway.' }],
});
const retrieved = await client.conversations.retrieve(conversation.id);

const version = await createAgentVersion('node-bing');
const plainResult = await plain(conversation);
const streamResult = await streamed(conversation, 'node-bing', version);

const items = [];
for await (const item of client.conversations.items.list(conversation.id, { order: 'asc' })) {
  items.push({ role: item.role, type: item.type, contentType: item.content?.[0]?.type ?? null });
}

const unknownAgent = await failure(() =>
  client.responses.create({ agent_reference: agentReference('no-such-agent'), input: 'Hi?' }));

await injectFault({ status: 429, retryAfterSeconds: 2 });
const rateLimited = await failure(() =>
  client.responses.create({ agent_reference: agentReference('plain'), input: 'Hi?' }));

// The official client honours retry-after on its own when retries are allowed.
await injectFault({ status: 429, retryAfterSeconds: 1 });
const retrying = new OpenAI({ baseURL: `${project}/openai/v1/`, apiKey: token, maxRetries: 2 });
const started = Date.now();
const retried = await retrying.responses.create({ agent_reference: agentReference('plain'), input: 'Hi after a retry?' });
const retriedAfterMs = Date.now() - started;

const deleted = await client.conversations.delete(conversation.id);
const afterDelete = await failure(() => client.conversations.retrieve(conversation.id));

console.log(JSON.stringify({
  conversation: { id: conversation.id, object: conversation.object, metadata: retrieved.metadata },
  version,
  plain: plainResult,
  stream: streamResult,
  items,
  unknownAgent,
  rateLimited,
  retried: { status: retried.status, afterMs: retriedAfterMs },
  deleted: { id: deleted.id, deleted: deleted.deleted, object: deleted.object },
  afterDelete,
}));
