// Drives the simulator's Azure OpenAI routes with the official openai npm client, the way Azure's docs show it:
//   - the v1 API: new OpenAI({ baseURL: '<resource>/openai/v1/', apiKey }) — plain and streamed chat, and models.list();
//   - a dated api-version: new AzureOpenAI({ endpoint, apiKey, apiVersion, deployment }) — plain and streamed chat.
// Reads SIM_URL, SIM_KEY, SIM_DEPLOYMENT and SIM_API_VERSION; prints one JSON object with what it saw; exits non-zero
// on any failure (tests/OpenAIClient runs it and checks the output and the simulator's counters).
import OpenAI, { AzureOpenAI } from 'openai';

const baseUrl = process.env.SIM_URL.replace(/\/+$/, '');
const apiKey = process.env.SIM_KEY;
const deployment = process.env.SIM_DEPLOYMENT;
const apiVersion = process.env.SIM_API_VERSION;
const messages = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Hello from the openai npm client?' },
];

async function chat(client, model) {
  const completion = await client.chat.completions.create({ model, messages, max_tokens: 20 });
  return {
    content: completion.choices[0].message.content,
    finishReason: completion.choices[0].finish_reason,
    model: completion.model,
    totalTokens: completion.usage.total_tokens,
  };
}

async function stream(client, model) {
  const events = await client.chat.completions.create({
    model, messages, stream: true, stream_options: { include_usage: true },
  });
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

const v1 = new OpenAI({ baseURL: `${baseUrl}/openai/v1/`, apiKey, maxRetries: 0 });
const dated = new AzureOpenAI({ endpoint: baseUrl, apiKey, apiVersion, deployment, maxRetries: 0 });

const models = [];
for await (const model of v1.models.list()) {
  models.push(model.id);
}

let notFound = null;
try {
  await v1.chat.completions.create({ model: 'no-such-deployment', messages });
} catch (error) {
  notFound = { status: error.status, code: error.code ?? error.error?.code ?? null };
}

const result = {
  v1: { chat: await chat(v1, deployment), stream: await stream(v1, deployment), models, notFound },
  dated: { chat: await chat(dated, deployment), stream: await stream(dated, deployment) },
};
console.log(JSON.stringify(result));
