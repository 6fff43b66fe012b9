// Drives the simulator's streamed classic runs with the official @azure/ai-agents client (1.1.0):
// runs.create(threadId, agentId).stream() and runs.createThreadAndRun(agentId, { thread }).stream(), over https (the
// client's bearer-token policy refuses plain http; node trusts the simulator's certificate through NODE_EXTRA_CA_CERTS).
// Reads SIM_HTTPS_URL (simulator root), SIM_PROJECT and SIM_TOKEN; prints one JSON object with what it saw; exits
// non-zero on any failure (tests/FoundryClient runs it).
import { AgentsClient } from '@azure/ai-agents';

const root = process.env.SIM_HTTPS_URL.replace(/\/+$/, '');
const token = process.env.SIM_TOKEN;
const credential = { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
const client = new AgentsClient(`${root}/api/projects/${process.env.SIM_PROJECT}`, credential);
const marker = /^【\d+:\d+†source】$/;

async function collect(stream) {
  const events = [];
  let text = '';
  const annotations = [];
  let completedText = null;
  let run = null;
  for await (const event of stream) {
    events.push(event.event);
    if (event.event === 'thread.message.delta') {
      for (const part of event.data.delta.content) {
        const before = text.length;
        text += part.text?.value ?? '';
        for (const a of part.text?.annotations ?? []) {
          annotations.push({
            index: a.index,
            url: a.urlCitation?.url ?? null,
            withItsMarker: a.startIndex === before,
            marker: marker.test(text.slice(a.startIndex, a.endIndex)),
          });
        }
      }
    } else if (event.event === 'thread.message.completed') {
      completedText = event.data.content[0].text.value;
    } else if (event.event.startsWith('thread.run.') && !event.event.startsWith('thread.run.step.')) {
      run = { status: event.data.status, lastError: event.data.lastError?.code ?? null, totalTokens: event.data.usage?.totalTokens ?? null };
    }
  }
  return { events, text, completedText, annotations, run };
}

const thread = await client.threads.create();
await client.messages.create(thread.id, 'user', 'What is new in Oslo?');
const grounded = await collect(await client.runs.create(thread.id, 'asst_bing').stream());
const messages = [];
for await (const message of client.messages.list(thread.id, { order: 'asc' })) {
  messages.push(message.role);
}

const failed = await collect(await client.runs.createThreadAndRun('asst_plain', {
  thread: { messages: [{ role: 'user', content: 'Hello [simulate:fail]' }] },
}).stream());

console.log(JSON.stringify({ grounded, messages, failed }));
