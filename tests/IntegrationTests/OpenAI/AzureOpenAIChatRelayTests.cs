using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using System.Text.Json;
using System.Text.Json.Nodes;
using Wrapper.Application.Chat;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.OpenAICompatible;
using Wrapper.Infrastructure.OpenAI;
using Wrapper.IntegrationTests.Upstream;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.OpenAI;

/// <summary>The relay adapter against the simulator over HTTP, on both upstream APIs: the deployment travels as the body's
/// <c>model</c> on v1 and in the path on dated versions; answers and streams come back byte for byte; the model map
/// chooses the deployment; upstream errors are typed.</summary>
[TestFixture]
public sealed class AzureOpenAIChatRelayTests
{
    private const string V1ChatRoute = "POST /openai/v1/chat/completions";
    private const string DatedChatRoute = "POST /openai/deployments/{deployment}/chat/completions";

    private SimulatorServer _sim = null!;

    [OneTimeSetUp]
    public async Task StartSimulator() => _sim = await SimulatorServer.StartAsync(new SimulatorOptions
    {
        ApiKey = OpenAIAdapter.Key,
        Deployments = [OpenAIAdapter.Deployment, "gpt-4o"],
        LatencyPerTokenMs = 0,
    });

    [OneTimeTearDown]
    public async Task StopSimulator() => await _sim.DisposeAsync();

    [SetUp]
    public void Reset()
    {
        _sim.Faults.Clear();
        _sim.Counters.Reset();
    }

    private OpenAIAdapter Adapter(string apiVersion) => OpenAIAdapter.Create(_sim.HttpAddress, s =>
    {
        s["OPENAI_API_VERSION"] = apiVersion;
        s["AzureOpenAI:MaxRetries"] = "0";
        s["OpenAICompatible:Models:small"] = OpenAIAdapter.Deployment;
        s["OpenAICompatible:Models:big"] = "gpt-4o";
    });

    private static JsonObject Body(bool stream = false) => new()
    {
        ["model"] = "big",
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Relay this." }),
        ["stream"] = stream,
    };

    [TestCase("v1", V1ChatRoute)]
    [TestCase("2024-10-21", DatedChatRoute)]
    public async Task AWholeAnswerComesBackAsTheUpstreamSentIt(string apiVersion, string route)
    {
        await using var adapter = Adapter(apiVersion);
        var relay = adapter.Get<IChatCompletionRelay>();

        var answer = await relay.CompleteAsync(new RelayCall(Body(), relay.Find("big")!), CancellationToken.None);
        var json = JsonDocument.Parse(answer.Json).RootElement;

        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("object").GetString(), Is.EqualTo("chat.completion"));
            Assert.That(json.GetProperty("model").GetString(), Is.EqualTo("gpt-4o"), "the mapped deployment answered");
            Assert.That(answer.Model, Is.EqualTo("gpt-4o"));
            Assert.That(answer.Usage.TotalTokens, Is.EqualTo(json.GetProperty("usage").GetProperty("total_tokens").GetInt32()));
            Assert.That(_sim.Counters.Count(route, "200"), Is.EqualTo(1));
        });
    }

    [TestCase("v1")]
    [TestCase("2025-04-01-preview")]
    public async Task AStreamComesBackEventByEventThenItsUsage(string apiVersion)
    {
        await using var adapter = Adapter(apiVersion);
        var relay = adapter.Get<IChatCompletionRelay>();

        var updates = new List<ChatStreamUpdate>();
        await foreach (var update in relay.StreamAsync(new RelayCall(Body(stream: true), relay.Find("small")!), CancellationToken.None))
        {
            updates.Add(update);
        }

        var chunks = updates.OfType<RelayedChunk>().Select(c => JsonDocument.Parse(c.Json).RootElement).ToList();
        var completed = (ChatStreamCompleted)updates[^1];
        var text = string.Concat(chunks.SelectMany(c => c.GetProperty("choices").EnumerateArray())
            .Select(c => c.GetProperty("delta").TryGetProperty("content", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : ""));
        Assert.Multiple(() =>
        {
            Assert.That(chunks, Has.All.Matches<JsonElement>(c => c.GetProperty("object").GetString() == "chat.completion.chunk"));
            Assert.That(text, Does.Contain("Relay this."));
            Assert.That(chunks[^1].GetProperty("usage").GetProperty("total_tokens").GetInt32(), Is.EqualTo(completed.Usage.TotalTokens),
                "include_usage was asked for: the usage chunk is relayed and counted");
            Assert.That(completed.FinishReason, Is.EqualTo("stop"));
            Assert.That(updates.OfType<RelayedChunk>().Count(c => c.HasOutput), Is.GreaterThan(3));
        });
    }

    [Test]
    public void TheBodyIsWrittenWithOnlyModelAndIncludeUsageChanged()
    {
        var body = JsonNode.Parse("""{"stream_options":{"x":1,"include_usage":false},"model":"public","a":[1,{"b":null}],"stream":true,"c":"é\u2028"}""")!.AsObject();

        var written = Encoding.UTF8.GetString(AzureOpenAIChatRelay.WriteBody(body, "deployment-1", stream: true).Span);
        var plain = Encoding.UTF8.GetString(AzureOpenAIChatRelay.WriteBody(JsonNode.Parse("""{"messages":[]}""")!.AsObject(), "d", stream: false).Span);

        Assert.Multiple(() =>
        {
            Assert.That(written, Is.EqualTo("""{"stream_options":{"x":1,"include_usage":true},"model":"deployment-1","a":[1,{"b":null}],"stream":true,"c":"é\u2028"}"""));
            Assert.That(plain, Is.EqualTo("""{"messages":[],"model":"d"}"""));
        });
    }

    [Test]
    public async Task AnUpstreamRefusalOfTheRequestKeepsItsMessage()
    {
        await using var adapter = Adapter("v1");
        var relay = adapter.Get<IChatCompletionRelay>();
        var body = Body();
        body["messages"] = new JsonArray(new JsonObject { ["role"] = "wizard", ["content"] = "hi" });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => relay.CompleteAsync(new RelayCall(body, relay.Find("small")!), CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.BadRequest));
            Assert.That(ex.Message, Does.Contain("Invalid value: 'wizard'"));
            Assert.That(ex.Message, Does.Not.Contain(_sim.HttpAddress.Authority));
        });
    }

    [Test]
    public async Task ThrottlingIsTypedWithItsRetryAfter()
    {
        await using var adapter = Adapter("v1");
        var relay = adapter.Get<IChatCompletionRelay>();
        _sim.Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 7, Target = "openai" });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => relay.CompleteAsync(new RelayCall(Body(), relay.Find("small")!), CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(7)));
        });
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task AWholeAnswerIsReadWithOrWithoutItsLength(bool withLength)
    {
        const string answer = """{"id":"c1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}""";
        await using var upstream = await ScriptedAnswerAsync(async context =>
        {
            var bytes = Encoding.UTF8.GetBytes(answer);
            context.Response.ContentType = "application/json";
            if (withLength)
            {
                context.Response.ContentLength = bytes.Length;
            }

            // In two parts, flushed apart: without a length the body is chunked.
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, 40));
            await context.Response.Body.FlushAsync();
            await context.Response.Body.WriteAsync(bytes.AsMemory(40));
        });
        await using var adapter = OpenAIAdapter.Create(upstream.Address, s => s["AzureOpenAI:MaxRetries"] = "0");
        var relay = adapter.Get<IChatCompletionRelay>();

        var completion = await relay.CompleteAsync(new RelayCall(Body(), relay.Models[0]), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(Encoding.UTF8.GetString(completion.Json.Span), Is.EqualTo(answer), "byte for byte");
            Assert.That(completion.Usage.TotalTokens, Is.EqualTo(4));
        });
    }

    [Test]
    public async Task AnAnswerCutShortOfItsLengthIsAFailedTryNotAnAnswer()
    {
        await using var upstream = await ScriptedAnswerAsync(async context =>
        {
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = 500;
            await context.Response.Body.WriteAsync("""{"id":"c1","object":"chat.completion","choices":["""u8.ToArray());
            await context.Response.Body.FlushAsync();
            context.Abort();
        });
        await using var adapter = OpenAIAdapter.Create(upstream.Address, s => s["AzureOpenAI:MaxRetries"] = "0");
        var relay = adapter.Get<IChatCompletionRelay>();

        var ex = Assert.ThrowsAsync<UpstreamException>(() => relay.CompleteAsync(new RelayCall(Body(), relay.Models[0]), CancellationToken.None));

        Assert.That(ex!.Failure, Is.AnyOf(UpstreamFailure.Unavailable, UpstreamFailure.BadResponse));
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task AnUpstreamThatNeverAnswersTimesOutAtTheRequestTimeout(bool stream)
    {
        await using var upstream = await ScriptedAnswerAsync(context => Task.Delay(Timeout.Infinite, context.RequestAborted));
        await using var adapter = OpenAIAdapter.Create(upstream.Address, s =>
        {
            s["AzureOpenAI:MaxRetries"] = "0";
            s["AzureOpenAI:RequestTimeoutSeconds"] = "1";
        });
        var relay = adapter.Get<IChatCompletionRelay>();
        var call = new RelayCall(Body(stream), relay.Models[0]);
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var ex = Assert.ThrowsAsync<UpstreamException>(async () =>
        {
            if (stream)
            {
                await foreach (var _ in relay.StreamAsync(call, CancellationToken.None))
                {
                }
            }
            else
            {
                await relay.CompleteAsync(call, CancellationToken.None);
            }
        });

        Assert.Multiple(() =>
        {
            Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Timeout));
            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "bounded by the request timeout, not the pipeline's");
        });
    }

    [Test]
    public async Task WithoutAMapTheConfiguredDeploymentIsServedUnderItsOwnName()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);

        Assert.That(adapter.Get<IChatCompletionRelay>().Models, Is.EqualTo(new[] { new ServedModel(OpenAIAdapter.Deployment, OpenAIAdapter.Deployment) }));
    }

    private static Task<LoopbackUpstream> ScriptedAnswerAsync(RequestDelegate answer) =>
        LoopbackUpstream.StartAsync(app => app.MapPost("/openai/deployments/{deployment}/chat/completions", answer));
}
