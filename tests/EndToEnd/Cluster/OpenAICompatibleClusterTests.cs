using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using OpenAI;
using OpenAI.Chat;

namespace Wrapper.EndToEndTests.Cluster;

/// <summary>
/// The OpenAI-compatible face behind the gateway, with real processes on 127.0.0.1: the simulator (streaming a delta
/// every few milliseconds), two API instances that accept only the gateway's backend key, and the gateway admitting a
/// subscriber. The official .NET <c>OpenAI</c> client, pointed at <c>&lt;gateway&gt;/openai/v1</c> with the subscriber's
/// key as its API key (sent as <c>Authorization: Bearer</c>), gets plain and streamed answers; the stream arrives as it
/// is produced, not buffered by the gateway. The instances never accept the subscriber's key itself, so every answer
/// proves the gateway replaced it with its own (the exact headers sent are checked in
/// <c>Gateway/BackendHeadersTests</c>).
/// </summary>
[TestFixture]
[Category("EndToEnd")]
[NonParallelizable]
public sealed class OpenAICompatibleClusterTests
{
    private const string BackendKey = "e2e-openai-gateway-backend-key-0123456789";
    private const string SubscriberKey = "e2e-openai-subscriber-key-0001";
    private const string Model = "gpt-4o-mini";
    private const int LatencyPerTokenMs = 15;
    private LocalCluster _cluster = null!;

    [OneTimeSetUp]
    public async Task StartClusterAsync() => _cluster = await LocalCluster.StartAsync(
        2,
        new Dictionary<string, string>
        {
            ["API_KEYS"] = "gateway[gateway]:" + BackendKey,
        },
        new Dictionary<string, string>
        {
            ["Gateway__Subscribers__0__Id"] = "sub-openai-team",
            ["Gateway__Subscribers__0__Key"] = SubscriberKey,
            ["Gateway__BackendApiKey"] = BackendKey,
        },
        new Dictionary<string, string>
        {
            ["Simulator__LatencyPerTokenMs"] = LatencyPerTokenMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

    [OneTimeTearDown]
    public async Task StopClusterAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [TearDown]
    public void ReportOnFailure()
    {
        if (_cluster is not null && TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(_cluster.Diagnostics());
        }
    }

    /// <summary>The three lines a team changes: the endpoint, the key, the model.</summary>
    private ChatClient Client(string key) => new(
        Model,
        new ApiKeyCredential(key),
        new OpenAIClientOptions
        {
            Endpoint = new Uri(_cluster.GatewayAddress, "openai/v1"),
            NetworkTimeout = TimeSpan.FromSeconds(30),
        });

    [Test]
    public async Task ThePlainAnswerShouldComeBackThroughTheGatewayWithTheSubscribersBearerKey()
    {
        ChatCompletion completion = await Client(SubscriberKey).CompleteChatAsync(
            [new UserChatMessage("Say hello through the gateway.")]);

        Assert.Multiple(() =>
        {
            Assert.That(completion.Content, Is.Not.Empty);
            Assert.That(completion.Content[0].Text, Is.Not.Empty);
            Assert.That(completion.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
            Assert.That(completion.Usage.OutputTokenCount, Is.GreaterThan(0));
        });
    }

    [Test]
    public async Task TheStreamShouldComeBackUnbufferedThroughTheGateway()
    {
        var text = new System.Text.StringBuilder();
        var clock = Stopwatch.StartNew();
        TimeSpan? first = null;
        var updates = 0;
        ChatTokenUsage? usage = null;
        await foreach (var update in Client(SubscriberKey).CompleteChatStreamingAsync(
            [new UserChatMessage("Tell me a long story about gateways, in many words.")]))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                first ??= clock.Elapsed;
                text.Append(part.Text);
            }

            usage = update.Usage ?? usage;
        }

        var total = clock.Elapsed;
        TestContext.Out.WriteLine($"{updates} updates, first text after {first?.TotalMilliseconds:0} ms, stream ended after {total.TotalMilliseconds:0} ms");
        Assert.Multiple(() =>
        {
            Assert.That(text.ToString(), Is.Not.Empty);
            Assert.That(updates, Is.GreaterThan(5), "the answer came as many events");
            Assert.That(usage, Is.Not.Null, "the usage chunk the service always asks for");
            Assert.That(first, Is.Not.Null);
            // The simulator waits LatencyPerTokenMs before each delta: a buffering gateway would hand the first text
            // over only when the whole stream had ended.
            Assert.That(total - first!.Value, Is.GreaterThan(TimeSpan.FromMilliseconds(LatencyPerTokenMs * 4)), "text arrived while the stream was still being produced");
        });
    }

    [Test]
    public async Task TheKeyInApiKeyAsBehindAPIMShouldWorkToo()
    {
        // API Management reads the subscription key from one header, api-key (deploy/README.md): an OpenAI client
        // adds it to every request with one more line, exactly as documented there.
        var options = new OpenAIClientOptions { Endpoint = new Uri(_cluster.GatewayAddress, "openai/v1"), NetworkTimeout = TimeSpan.FromSeconds(30) };
        options.AddPolicy(ApiKeyAuthenticationPolicy.CreateHeaderApiKeyPolicy(new ApiKeyCredential(SubscriberKey), "api-key"), PipelinePosition.PerCall);
        var client = new ChatClient(Model, new ApiKeyCredential("unused-behind-the-gateway"), options);

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("Hello through api-key.")]);

        Assert.That(completion.Content[0].Text, Is.Not.Empty);
    }

    [Test]
    public void AWrongKeyShouldBeRefusedByTheGatewayInOpenAIsErrorShape()
    {
        var ex = Assert.ThrowsAsync<ClientResultException>(async () =>
            await Client("not-the-subscriber-key-0000").CompleteChatAsync([new UserChatMessage("Hello")]));

        Assert.Multiple(() =>
        {
            Assert.That(ex!.Status, Is.EqualTo((int)HttpStatusCode.Unauthorized));
            Assert.That(ex.Message, Does.Contain("subscription key is not valid"), "the SDK read the error's message");
        });
    }

    [Test]
    public async Task TheSubscribersKeyAloneShouldNotOpenAnInstance()
    {
        // What a gateway that forwarded the caller's key would achieve: the instances know only the gateway's key.
        var instance = _cluster.InstanceNames[0];
        var address = (await _cluster.StatusOfAsync(instance)).Address;
        using var client = new HttpClient { BaseAddress = new Uri(address) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "openai/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = Model, messages = new[] { new { role = "user", content = "Hi" } } }),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", SubscriberKey);

        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }
}
