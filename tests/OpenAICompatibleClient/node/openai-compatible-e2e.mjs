// Drives the service's OpenAI-compatible routes with the official openai npm client, the way a team points its
// existing code at the service by changing three lines (endpoint, key, model):
//   - new OpenAI({ baseURL: '<service>/openai/v1', apiKey: <client key> })
//   - new AzureOpenAI({ endpoint: '<service>', apiKey: <client key>, apiVersion, deployment: <public model> })
// For each: a plain chat, a stream with usage, a tools round trip (plain and streamed), and a wrong key; then a 429
// the client retries after the Retry-After it was given, and a client over its own request quota.
// Reads SVC_URL, SVC_KEY, SVC_LIMITED_KEY, SVC_MODEL, SIM_URL (the upstream simulator, to inject one throttling
// fault); prints one JSON object with what it saw; exits non-zero on any failure.
import OpenAI, { AzureOpenAI } from 'openai';

const service = process.env.SVC_URL.replace(/\/+$/, '');
const simulator = process.env.SIM_URL.replace(/\/+$/, '');
const apiKey = process.env.SVC_KEY;
const limitedKey = process.env.SVC_LIMITED_KEY;
const model = process.env.SVC_MODEL;
const apiVersion = '2024-10-21';
const messages = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Hello from the openai npm client through the service?' },
];
const tools = [{
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city.',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}];

async function chat(client) {
  const completion = await client.chat.completions.create({ model, messages, max_tokens: 40, seed: 7 });
  return {
    content: completion.choices[0].message.content,
    finishReason: completion.choices[0].finish_reason,
    totalTokens: completion.usage.total_tokens,
  };
}

async function stream(client) {
  const events = await client.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } });
  let content = '';
  let finishReason = null;
  let chunks = 0;
  let totalTokens = null;
  for await (const chunk of events) {
    chunks++;
    for (const choice of chunk.choices) {
      content += choice.delta?.content ?? '';
      finishReason = choice.finish_reason ?? finishReason;
    }
    if (chunk.usage) {
      totalTokens = chunk.usage.total_tokens;
    }
  }
  return { content, finishReason, chunks, totalTokens };
}

// Ask, receive a tool call, run the "tool", send its result back, receive the answer in text.
async function toolsRoundTrip(client, streamed) {
  const conversation = [{ role: 'user', content: 'What is the weather in Paris?' }];
  let call;
  let firstFinish;
  if (streamed) {
    const events = await client.chat.completions.create({ model, messages: conversation, tools, stream: true });
    const calls = [];
    for await (const chunk of events) {
      for (const choice of chunk.choices) {
        for (const delta of choice.delta?.tool_calls ?? []) {
          calls[delta.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } };
          const target = calls[delta.index];
          target.id += delta.id ?? '';
          target.function.name += delta.function?.name ?? '';
          target.function.arguments += delta.function?.arguments ?? '';
        }
        firstFinish = choice.finish_reason ?? firstFinish;
      }
    }
    call = calls[0];
  } else {
    const first = await client.chat.completions.create({ model, messages: conversation, tools });
    call = first.choices[0].message.tool_calls[0];
    firstFinish = first.choices[0].finish_reason;
  }

  const args = JSON.parse(call.function.arguments);
  conversation.push({ role: 'assistant', content: null, tool_calls: [call] });
  conversation.push({ role: 'tool', tool_call_id: call.id, content: `18 degrees and sunny in ${args.city}` });
  const second = await client.chat.completions.create({ model, messages: conversation, tools });
  return {
    firstFinish,
    toolName: call.function.name,
    callId: call.id,
    arguments: args,
    answer: second.choices[0].message.content,
    secondFinish: second.choices[0].finish_reason,
  };
}

async function failure(promise) {
  try {
    await promise;
    return null;
  } catch (error) {
    return {
      status: error.status ?? null,
      code: error.code ?? null,
      type: error.type ?? null,
      param: error.param ?? null,
      message: error.message,
      retryAfter: error.headers?.get?.('retry-after') ?? null,
      retryAfterMs: error.headers?.get?.('retry-after-ms') ?? null,
      refusal: error.headers?.get?.('x-wrapper-refusal') ?? null,
      remainingRequests: error.headers?.get?.('x-ratelimit-remaining-requests') ?? null,
    };
  }
}

// A fetch that records what the client saw: each response's status, its Retry-After, and when it came.
function recordingFetch(log) {
  return async (url, init) => {
    const response = await fetch(url, init);
    log.push({ status: response.status, retryAfter: response.headers.get('retry-after'), at: Date.now() });
    return response;
  };
}

const v1 = new OpenAI({ baseURL: `${service}/openai/v1`, apiKey, maxRetries: 0 });
const azure = new AzureOpenAI({ endpoint: service, apiKey, apiVersion, deployment: model, maxRetries: 0 });

const models = [];
for await (const m of v1.models.list()) {
  models.push(m.id);
}

const result = {
  models,
  v1: {
    chat: await chat(v1),
    stream: await stream(v1),
    tools: await toolsRoundTrip(v1, false),
    toolsStreamed: await toolsRoundTrip(v1, true),
    wrongKey: await failure(new OpenAI({ baseURL: `${service}/openai/v1`, apiKey: 'not-a-key-of-this-service-0123456789', maxRetries: 0 })
      .chat.completions.create({ model, messages })),
    unknownModel: await failure(v1.chat.completions.create({ model: 'no-such-model', messages })),
  },
  azure: {
    chat: await chat(azure),
    stream: await stream(azure),
    tools: await toolsRoundTrip(azure, false),
    toolsStreamed: await toolsRoundTrip(azure, true),
    wrongKey: await failure(new AzureOpenAI({ endpoint: service, apiKey: 'not-a-key-of-this-service-0123456789', apiVersion, deployment: model, maxRetries: 0 })
      .chat.completions.create({ model, messages })),
  },
};

// The upstream throttles the next chat once (429, retry-after 1 s). The service passes the 429 on with Retry-After; the
// client, allowed one retry, waits what it was told and then succeeds.
const fault = await fetch(`${simulator}/_simulator/faults`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ status: 429, count: 1, retryAfterSeconds: 1, target: 'openai' }),
});
if (!fault.ok) {
  throw new Error(`could not inject the fault: ${fault.status} ${await fault.text()}`);
}
const log = [];
const retrying = new OpenAI({ baseURL: `${service}/openai/v1`, apiKey, maxRetries: 1, fetch: recordingFetch(log) });
const started = Date.now();
const retried = await retrying.chat.completions.create({ model, messages });
result.throttled = {
  statuses: log.map(l => l.status),
  retryAfter: log[0]?.retryAfter ?? null,
  waitedMs: log.length > 1 ? log[1].at - log[0].at : null,
  totalMs: Date.now() - started,
  content: retried.choices[0].message.content,
};

// A client with a quota of one request a minute: the second request is refused by the service itself.
const limited = new OpenAI({ baseURL: `${service}/openai/v1`, apiKey: limitedKey, maxRetries: 0 });
await limited.chat.completions.create({ model, messages });
result.quota = await failure(limited.chat.completions.create({ model, messages }));

console.log(JSON.stringify(result));
