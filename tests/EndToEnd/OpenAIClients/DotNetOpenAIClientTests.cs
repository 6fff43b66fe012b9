using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure.AI.OpenAI;
using OpenAI;
using OpenAI.Chat;
using Wrapper.EndToEndTests.Cluster;

namespace Wrapper.EndToEndTests.OpenAIClients;

/// <summary>
/// The official .NET clients — <c>OpenAI</c> (<see cref="ChatClient"/> with an <see cref="OpenAIClientOptions.Endpoint"/>
/// at <c>/openai/v1/</c>, the key as a bearer token) and <c>Azure.AI.OpenAI</c> (<see cref="AzureOpenAIClient"/> with the
/// service as its endpoint, the key as <c>api-key</c>, its default api-version) — pointed at this service (a real API
/// process on 127.0.0.1, over HTTP, in front of the simulator process), exactly as a team's code would be after
/// changing its endpoint and key: a plain answer, a stream with usage, a tools round trip, a 429 whose Retry-After the
/// client waits for before it retries by itself, and a wrong key answered 401 (not retried). Every try the client makes
/// is recorded just before its transport, so the tests see the wire: path, key header, statuses, timing.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DotNetOpenAIClientTests
{
    private const string SimulatorKey = "dotnet-clients-simulator-key";
    private const string Model = "gpt-4o-mini";

    /// <summary>Per client, this many requests per window; each test has keys of its own, so only the 429 test meets it.</summary>
    private const int PermitLimit = 3;
    private const int WindowSeconds = 4;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    /// <summary>One client key per test and client kind (a client is its key's name: separate limits).</summary>
    private static readonly string[] KeyNames =
        ["models-openai", .. new[] { "plain", "stream", "tools", "limited" }.SelectMany(n => new[] { n + "-openai", n + "-azure" })];

    private ChildProcess? _simulator;
    private ChildProcess? _api;

    public enum Kind
    {
        OpenAI,
        Azure,
    }

    [OneTimeSetUp]
    public async Task StartSimulatorAndService()
    {
        _simulator = await ChildProcess.StartAsync("simulator", BuildOutput.Dll("Simulator"), ChildProcess.FreePort(),
            new Dictionary<string, string>
            {
                ["Simulator__ApiKey"] = SimulatorKey,
                ["Logging__LogLevel__Default"] = "Warning",
            },
            StartTimeout);
        _api = await ChildProcess.StartAsync("api", BuildOutput.Dll("Api"), ChildProcess.FreePort(), new Dictionary<string, string>
        {
            ["OPENAI_ENDPOINT"] = _simulator.Address.ToString(),
            ["OPENAI_API_KEY"] = SimulatorKey,
            ["OPENAI_SIMULATED"] = "true",
            ["WRAPPER_ALLOW_SIMULATOR"] = "true",
            ["OPENAI_MODEL_DEPLOYMENT_NAME"] = Model,
            ["SIMULATOR_LATENCY_PER_TOKEN_MS"] = "0",
            ["AzureOpenAI__MaxRetries"] = "0",
            ["Serilog__MinimumLevel__Default"] = "Warning",
            ["API_KEYS"] = string.Join(",", KeyNames.Select(n => n + ":" + KeyOf(n))),
            ["RateLimiting__PermitLimit"] = PermitLimit.ToString(CultureInfo.InvariantCulture),
            ["RateLimiting__WindowSeconds"] = WindowSeconds.ToString(CultureInfo.InvariantCulture),
        }, StartTimeout);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }
    }

    /// <summary>A client key of 40 characters named <paramref name="name"/> (keys must be long).</summary>
    private static string KeyOf(string name) => (name + "-key-").PadRight(40, 'x');

    private static string KeyName(string test, Kind kind) => test + (kind == Kind.OpenAI ? "-openai" : "-azure");

    /// <summary>The chat client of <paramref name="kind"/> for this service, with a recorder of its tries.</summary>
    private ChatClient Client(Kind kind, string key, WireRecorder recorder)
    {
        if (kind == Kind.OpenAI)
        {
            var options = new OpenAIClientOptions { Endpoint = new Uri(_api!.Address, "openai/v1/") };
            options.AddPolicy(recorder, PipelinePosition.BeforeTransport);
            return new ChatClient(Model, new ApiKeyCredential(key), options);
        }

        var azureOptions = new AzureOpenAIClientOptions();
        azureOptions.AddPolicy(recorder, PipelinePosition.BeforeTransport);
        return new AzureOpenAIClient(_api!.Address, new ApiKeyCredential(key), azureOptions).GetChatClient(Model);
    }

    private static void AssertWire(WireRecorder recorder, Kind kind, string key)
    {
        var first = recorder.Tries[0];
        if (kind == Kind.OpenAI)
        {
            Assert.Multiple(() =>
            {
                Assert.That(first.Path, Is.EqualTo("/openai/v1/chat/completions"), "OpenAI's v1 route under the base URL");
                Assert.That(first.Authorization, Is.EqualTo("Bearer " + key));
            });
        }
        else
        {
            Assert.Multiple(() =>
            {
                Assert.That(first.Path, Is.EqualTo($"/openai/deployments/{Model}/chat/completions"), "Azure's deployments route");
                Assert.That(first.Query, Does.Match("api-version=\\d{4}-\\d{2}-\\d{2}"), "a dated api-version");
                Assert.That(first.ApiKey, Is.EqualTo(key));
            });
        }
    }

    [TestCase(Kind.OpenAI)]
    [TestCase(Kind.Azure)]
    public async Task ShouldAnswerAPlainChatCompletion(Kind kind)
    {
        var key = KeyOf(KeyName("plain", kind));
        var recorder = new WireRecorder();
        var client = Client(kind, key, recorder);

        ChatCompletion completion = await client.CompleteChatAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage($"Hello from the .NET {kind} client?")]);

        AssertWire(recorder, kind, key);
        Assert.Multiple(() =>
        {
            Assert.That(completion.Content[0].Text, Does.Contain($"Hello from the .NET {kind} client?"));
            Assert.That(completion.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
            Assert.That(completion.Model, Is.Not.Empty);
            Assert.That(completion.Usage.InputTokenCount, Is.GreaterThan(0));
            Assert.That(completion.Usage.OutputTokenCount, Is.GreaterThan(0));
            Assert.That(completion.Usage.TotalTokenCount, Is.EqualTo(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount));
            Assert.That(recorder.Tries.Select(t => t.Status), Is.EqualTo(new[] { 200 }));
        });
    }

    [TestCase(Kind.OpenAI)]
    [TestCase(Kind.Azure)]
    public async Task ShouldStreamTheAnswerInPiecesAndEndWithItsUsage(Kind kind)
    {
        var key = KeyOf(KeyName("stream", kind));
        var recorder = new WireRecorder();
        var client = Client(kind, key, recorder);
        var text = new StringBuilder();
        var pieces = 0;
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;

        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage($"Stream to the .NET {kind} client, please.")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
                pieces++;
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        AssertWire(recorder, kind, key);
        Assert.Multiple(() =>
        {
            Assert.That(text.ToString(), Does.Contain($"Stream to the .NET {kind} client, please."));
            Assert.That(pieces, Is.GreaterThan(2), "the answer came in pieces");
            Assert.That(finish, Is.EqualTo(ChatFinishReason.Stop));
            Assert.That(usage, Is.Not.Null, "the stream ended with a usage chunk");
            Assert.That(usage!.OutputTokenCount, Is.GreaterThan(0));
            Assert.That(usage.TotalTokenCount, Is.EqualTo(usage.InputTokenCount + usage.OutputTokenCount));
            Assert.That(recorder.Tries.Single().ContentType, Does.StartWith("text/event-stream"));
        });
    }

    [TestCase(Kind.OpenAI)]
    [TestCase(Kind.Azure)]
    public async Task ShouldCallAToolAndAnswerFromItsResult(Kind kind)
    {
        var key = KeyOf(KeyName("tools", kind));
        var recorder = new WireRecorder();
        var client = Client(kind, key, recorder);
        var options = new ChatCompletionOptions
        {
            Tools =
            {
                ChatTool.CreateFunctionTool("get_weather", "The current weather in a city.", BinaryData.FromString(
                    """{"type":"object","properties":{"city":{"type":"string","description":"The city"}},"required":["city"]}""")),
            },
        };
        List<ChatMessage> messages = [new UserChatMessage("What is the weather in Paris?")];

        ChatCompletion call = await client.CompleteChatAsync(messages, options);

        Assert.Multiple(() =>
        {
            Assert.That(call.FinishReason, Is.EqualTo(ChatFinishReason.ToolCalls));
            Assert.That(call.ToolCalls, Has.Count.EqualTo(1));
        });
        var toolCall = call.ToolCalls[0];
        using var arguments = JsonDocument.Parse(toolCall.FunctionArguments);
        Assert.Multiple(() =>
        {
            Assert.That(toolCall.FunctionName, Is.EqualTo("get_weather"));
            Assert.That(toolCall.Id, Is.Not.Empty);
            Assert.That(arguments.RootElement.GetProperty("city").ValueKind, Is.EqualTo(JsonValueKind.String), "arguments follow the schema");
        });

        messages.Add(new AssistantChatMessage(call));
        messages.Add(new ToolChatMessage(toolCall.Id, """{"city":"Paris","temperature_c":21,"sky":"clear"}"""));
        ChatCompletion answer = await client.CompleteChatAsync(messages, options);

        AssertWire(recorder, kind, key);
        Assert.Multiple(() =>
        {
            Assert.That(answer.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
            Assert.That(answer.ToolCalls, Is.Empty);
            Assert.That(answer.Content[0].Text, Does.Contain("temperature_c"), "the answer comes from the tool's result");
            Assert.That(recorder.Tries.Select(t => t.Status), Is.EqualTo(new[] { 200, 200 }));
            Assert.That(recorder.Tries[1].Body, Does.Contain("\"tool_call_id\":\"" + toolCall.Id + "\""), "the tool result went back with its call's id");
        });
    }

    [TestCase(Kind.OpenAI)]
    [TestCase(Kind.Azure)]
    public async Task ShouldWaitForTheRetryAfterOfA429AndThenSucceed(Kind kind)
    {
        var key = KeyOf(KeyName("limited", kind));
        using var http = new HttpClient { BaseAddress = _api!.Address };

        // Use up this client's window with plain requests, then let the SDK ask within the same window. If the window
        // happens to turn between the two, the SDK is not refused: then the scenario runs again, in the next window.
        WireRecorder? recorder = null;
        ChatCompletion? completion = null;
        for (var round = 0; round < 3 && recorder is null; round++)
        {
            await UseUpWindowAsync(http, key);
            var attempt = new WireRecorder();
            completion = await Client(kind, key, attempt).CompleteChatAsync([new UserChatMessage("Am I throttled?")]);
            if (attempt.Tries[0].Status == 429)
            {
                recorder = attempt;
            }
        }

        Assert.That(recorder, Is.Not.Null, "the SDK's request was refused with 429 in one of three windows");
        TestContext.Progress.WriteLine(string.Join(Environment.NewLine, recorder!.Tries.Select(t =>
            $"{t.SentAt:HH:mm:ss.fff} -> {t.ReceivedAt:HH:mm:ss.fff} {t.Status} Retry-After {t.RetryAfterSeconds} retry-after-ms {t.RetryAfterMs}")));
        // The limiter's windows turn on a timer: on a busy machine a retry on time can still meet the old window and be
        // refused once more, which the client must then also wait out. What must hold: every retry after a 429 waited
        // for that 429's Retry-After, and the last try succeeded.
        var tries = recorder.Tries;
        Assert.Multiple(() =>
        {
            Assert.That(tries.Select(t => t.Status), Is.EqualTo(Enumerable.Repeat(429, tries.Count - 1).Append(200)), "429s, then the client's own retry succeeded");
            Assert.That(tries, Has.Count.InRange(2, 4), "within the client's default of 3 retries");
            foreach (var (refused, retried) in tries.Zip(tries.Skip(1)))
            {
                Assert.That(refused.RetryAfterSeconds, Is.InRange(1, WindowSeconds), "Retry-After in seconds");
                Assert.That(refused.RetryAfterMs, Is.EqualTo(refused.RetryAfterSeconds * 1000), "retry-after-ms, which the SDKs read first");
                Assert.That(retried.SentAt - refused.ReceivedAt, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(refused.RetryAfterMs!.Value - 50)),
                    "the client waited for the Retry-After before retrying");
            }

            Assert.That(completion!.Content[0].Text, Does.Contain("Am I throttled?"));
        });
    }

    [TestCase(Kind.OpenAI)]
    [TestCase(Kind.Azure)]
    public void ShouldAnswerAWrongKeyWith401AndNotRetry(Kind kind)
    {
        var recorder = new WireRecorder();
        var client = Client(kind, KeyOf("nobody-" + kind), recorder);

        var error = Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("Let me in?")]));

        Assert.Multiple(() =>
        {
            Assert.That(error!.Status, Is.EqualTo(401), error.Message);
            Assert.That(recorder.Tries.Select(t => t.Status), Is.EqualTo(new[] { 401 }), "a 401 is not retried");
            Assert.That(recorder.Tries[0].ErrorCode, Is.EqualTo("invalid_api_key"), "OpenAI's error shape: error.code");
            Assert.That(recorder.Tries[0].ResponseBody, Does.Not.Contain(SimulatorKey), "no upstream key leaks");
        });
    }

    [Test]
    public async Task ShouldListTheServedModelsToTheOpenAIClient()
    {
        var key = KeyOf("models-openai");
        var recorder = new WireRecorder();
        var options = new OpenAIClientOptions { Endpoint = new Uri(_api!.Address, "openai/v1/") };
        options.AddPolicy(recorder, PipelinePosition.BeforeTransport);

        var models = (await new OpenAI.Models.OpenAIModelClient(new ApiKeyCredential(key), options).GetModelsAsync()).Value;

        Assert.Multiple(() =>
        {
            Assert.That(models.Select(m => m.Id), Does.Contain(Model));
            Assert.That(recorder.Tries.Single().Path, Is.EqualTo("/openai/v1/models"));
            Assert.That(recorder.Tries.Single().Status, Is.EqualTo(200));
        });
    }

    /// <summary>Plain requests with <paramref name="key"/> until one is refused (the window is used up).</summary>
    private static async Task UseUpWindowAsync(HttpClient http, string key)
    {
        for (var i = 0; i <= PermitLimit * 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "openai/v1/chat/completions")
            {
                Content = new StringContent($$"""{"model":"{{Model}}","messages":[{"role":"user","content":"filler"}]}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            using var response = await http.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                return;
            }

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        }

        Assert.Fail($"no 429 after {(PermitLimit * 2) + 1} requests in a window of {PermitLimit}");
    }

    /// <summary>One try the client made, as it left and came back.</summary>
    private sealed record WireTry(
        string Path,
        string Query,
        string? Authorization,
        string? ApiKey,
        string Body,
        int Status,
        string? ContentType,
        int? RetryAfterSeconds,
        int? RetryAfterMs,
        string? ErrorCode,
        string ResponseBody,
        DateTime SentAt,
        DateTime ReceivedAt);

    /// <summary>Records every try, just before the transport (after the client's own key policy, inside its retries).</summary>
    private sealed class WireRecorder : PipelinePolicy
    {
        private readonly List<WireTry> _tries = [];

        public IReadOnlyList<WireTry> Tries
        {
            get
            {
                lock (_tries)
                {
                    return _tries.ToList();
                }
            }
        }

        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            var sent = DateTime.UtcNow;
            ProcessNext(message, pipeline, currentIndex);
            Record(message, sent);
        }

        public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            var sent = DateTime.UtcNow;
            await ProcessNextAsync(message, pipeline, currentIndex);
            Record(message, sent);
        }

        private void Record(PipelineMessage message, DateTime sent)
        {
            var received = DateTime.UtcNow;
            var request = message.Request;
            var response = message.Response;
            var body = string.Empty;
            if (request.Content is { } content)
            {
                using var buffer = new MemoryStream();
                content.WriteTo(buffer);
                body = Encoding.UTF8.GetString(buffer.ToArray());
            }

            string? Header(string name) => response is not null && response.Headers.TryGetValue(name, out var value) ? value : null;
            int? Number(string name) => int.TryParse(Header(name), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

            var status = response?.Status ?? 0;
            var responseBody = string.Empty;
            string? errorCode = null;
            if (response is not null && status >= 400)
            {
                try
                {
                    // Error answers are buffered by the client (a stream's are not, and are not read here).
                    responseBody = response.Content.ToString();
                    using var error = JsonDocument.Parse(responseBody);
                    errorCode = error.RootElement.GetProperty("error").GetProperty("code").GetString();
                }
                catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    errorCode = null;
                }
            }

            var uri = request.Uri!;
            var tried = new WireTry(uri.AbsolutePath, uri.Query, request.Headers.TryGetValue("Authorization", out var auth) ? auth : null,
                request.Headers.TryGetValue("api-key", out var apiKey) ? apiKey : null, body, status, Header("Content-Type"),
                Number("Retry-After"), Number("retry-after-ms"), errorCode, responseBody, sent, received);
            lock (_tries)
            {
                _tries.Add(tried);
            }
        }
    }
}
