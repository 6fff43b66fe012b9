extern alias simulator;

using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using simulator::Wrapper.Simulator;

namespace Wrapper.OpenAICompatibleClientTests;

/// <summary>The official <c>openai</c> npm client (7.55.0) pointed at this service over HTTP, as a team would point its
/// existing code: <c>OpenAI</c> with <c>baseURL: &lt;service&gt;/openai/v1</c> and <c>AzureOpenAI</c> with
/// <c>endpoint: &lt;service&gt;</c>, each with a client key of this service and a public model name. The service runs on
/// Kestrel (127.0.0.1) in front of the simulator as its Azure OpenAI upstream (v1 API), with its own upstream key.</summary>
[TestFixture]
[NonParallelizable]
public sealed class OpenAICompatibleNodeClientTests
{
    private static readonly Wrapper.Tests.NodeProject Node = new("OpenAICompatibleClient", "openai");

    private const string UpstreamKey = "upstream-secret-key-7a1c9e3b5d2f4a6c8e0b";
    private const string ClientKey = "node-team-client-key-0123456789abcdef";
    private const string LimitedKey = "node-limited-client-key-0123456789abcdef";
    private const string Deployment = "gpt-4o-mini";
    private const string PublicModel = "team-chat";

    private SimulatorServer _sim = null!;
    private ServiceFactory _service = null!;
    private JsonElement _result;
    private string _stderr = string.Empty;

    [OneTimeSetUp]
    public async Task RunTheClient()
    {
        await Node.EnsurePackagesAsync();
        _sim = await SimulatorServer.StartAsync(new SimulatorOptions { ApiKey = UpstreamKey, Deployments = [Deployment], LatencyPerTokenMs = 0 });
        _service = new ServiceFactory(_sim.HttpAddress);
        _service.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        _service.StartServer();
        var address = _service.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        var (exitCode, stdout, stderr) = await Node.RunAsync("node", ["openai-compatible-e2e.mjs"], TimeSpan.FromMinutes(3), new Dictionary<string, string>
        {
            ["SVC_URL"] = address,
            ["SVC_KEY"] = ClientKey,
            ["SVC_LIMITED_KEY"] = LimitedKey,
            ["SVC_MODEL"] = PublicModel,
            ["SIM_URL"] = _sim.HttpAddress.ToString(),
        });
        _stderr = stderr;
        Assert.That(exitCode, Is.Zero, $"node failed:\n{stdout}\n{stderr}");
        _result = JsonDocument.Parse(stdout.Trim().Split('\n').Last()).RootElement.Clone();
        await TestContext.Progress.WriteLineAsync("openai npm client saw: " + _result.GetProperty("throttled"));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _service.DisposeAsync();
        await _sim.DisposeAsync();
    }

    private JsonElement Face(string face) => _result.GetProperty(face);

    [TestCase("v1")]
    [TestCase("azure")]
    public void PlainChatAnswers(string face)
    {
        var chat = Face(face).GetProperty("chat");

        Assert.Multiple(() =>
        {
            Assert.That(chat.GetProperty("content").GetString(), Does.Contain("Hello from the openai npm client through the service?"));
            Assert.That(chat.GetProperty("finishReason").GetString(), Is.AnyOf("stop", "length"));
            Assert.That(chat.GetProperty("totalTokens").GetInt32(), Is.GreaterThan(0));
        });
    }

    [TestCase("v1")]
    [TestCase("azure")]
    public void StreamAnswersInPiecesWithUsage(string face)
    {
        var stream = Face(face).GetProperty("stream");

        Assert.Multiple(() =>
        {
            Assert.That(stream.GetProperty("content").GetString(), Does.Contain("Hello from the openai npm client through the service?"));
            Assert.That(stream.GetProperty("chunks").GetInt32(), Is.GreaterThan(3));
            Assert.That(stream.GetProperty("finishReason").GetString(), Is.EqualTo("stop"));
            Assert.That(stream.GetProperty("totalTokens").GetInt32(), Is.GreaterThan(0));
        });
    }

    [TestCase("v1", "tools")]
    [TestCase("v1", "toolsStreamed")]
    [TestCase("azure", "tools")]
    [TestCase("azure", "toolsStreamed")]
    public void ToolsRoundTrip(string face, string mode)
    {
        var tools = Face(face).GetProperty(mode);

        Assert.Multiple(() =>
        {
            Assert.That(tools.GetProperty("firstFinish").GetString(), Is.EqualTo("tool_calls"));
            Assert.That(tools.GetProperty("toolName").GetString(), Is.EqualTo("get_weather"));
            Assert.That(tools.GetProperty("callId").GetString(), Does.StartWith("call_"));
            Assert.That(tools.GetProperty("arguments").GetProperty("city").GetString(), Is.EqualTo("What is the weather in Paris?"));
            Assert.That(tools.GetProperty("answer").GetString(), Does.Contain("18 degrees and sunny"));
            Assert.That(tools.GetProperty("secondFinish").GetString(), Is.EqualTo("stop"));
        });
    }

    [TestCase("v1")]
    [TestCase("azure")]
    public void WrongKeyIsA401(string face)
    {
        var wrongKey = Face(face).GetProperty("wrongKey");

        Assert.Multiple(() =>
        {
            Assert.That(wrongKey.GetProperty("status").GetInt32(), Is.EqualTo(401));
            Assert.That(wrongKey.GetProperty("code").GetString(), Is.EqualTo("invalid_api_key"));
            Assert.That(wrongKey.GetProperty("refusal").GetString(), Is.EqualTo("client"));
        });
    }

    [Test]
    public void UnknownModelIsA404ModelNotFound()
    {
        var unknown = Face("v1").GetProperty("unknownModel");

        Assert.Multiple(() =>
        {
            Assert.That(unknown.GetProperty("status").GetInt32(), Is.EqualTo(404));
            Assert.That(unknown.GetProperty("code").GetString(), Is.EqualTo("model_not_found"));
            Assert.That(unknown.GetProperty("param").GetString(), Is.EqualTo("model"));
        });
    }

    [Test]
    public void ModelsListsThePublicName() =>
        Assert.That(_result.GetProperty("models").EnumerateArray().Select(m => m.GetString()), Is.EqualTo(new[] { PublicModel }));

    [Test]
    public void AThrottled429IsRetriedAfterItsRetryAfter()
    {
        var throttled = _result.GetProperty("throttled");

        Assert.Multiple(() =>
        {
            Assert.That(throttled.GetProperty("statuses").EnumerateArray().Select(s => s.GetInt32()), Is.EqualTo(new[] { 429, 200 }));
            Assert.That(throttled.GetProperty("retryAfter").GetString(), Is.EqualTo("1"));
            // The client waited what it was told (its own jitter may shorten the wait by at most a quarter).
            Assert.That(throttled.GetProperty("waitedMs").GetInt32(), Is.GreaterThanOrEqualTo(750));
            Assert.That(throttled.GetProperty("content").GetString(), Does.Contain("Hello from the openai npm client through the service?"));
            Assert.That(_sim.Counters.Count("POST /openai/v1/chat/completions", "429"), Is.EqualTo(1));
        });
    }

    [Test]
    public void AClientOverItsQuotaGetsA429WithRetryAfterMarkedAsItsOwn()
    {
        var quota = _result.GetProperty("quota");

        Assert.Multiple(() =>
        {
            Assert.That(quota.GetProperty("status").GetInt32(), Is.EqualTo(429));
            Assert.That(quota.GetProperty("code").GetString(), Is.EqualTo("client_rate_limited"));
            Assert.That(quota.GetProperty("type").GetString(), Is.EqualTo("requests"));
            Assert.That(int.Parse(quota.GetProperty("retryAfter").GetString()!, System.Globalization.CultureInfo.InvariantCulture), Is.InRange(1, 60));
            Assert.That(quota.GetProperty("retryAfterMs").GetString(), Is.EqualTo(quota.GetProperty("retryAfter").GetString() + "000"));
            Assert.That(quota.GetProperty("refusal").GetString(), Is.EqualTo("client"));
            Assert.That(quota.GetProperty("remainingRequests").GetString(), Is.EqualTo("0"));
        });
    }

    [Test]
    public void TheClientKeyNeverReachedTheUpstream() =>
        // The simulator accepts only the upstream key: a client key sent upstream would have been answered 401.
        Assert.That(_sim.Counters.Snapshot().Values.SelectMany(outcomes => outcomes.Keys), Has.None.EqualTo("401"), _stderr);

    /// <summary>The service with two client keys (one limited to one request a minute), the public model name
    /// <see cref="PublicModel"/> mapped to the simulator's deployment, and no silent retries (the client sees the 429).</summary>
    private sealed class ServiceFactory(Uri upstream) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("urls", "http://127.0.0.1:0");
            builder.UseSetting("WRAPPER_ALLOW_SIMULATOR", "true");
            builder.UseSetting("OPENAI_ENDPOINT", upstream.ToString());
            builder.UseSetting("OPENAI_API_KEY", UpstreamKey);
            builder.UseSetting("OPENAI_MODEL_DEPLOYMENT_NAME", Deployment);
            builder.UseSetting("OPENAI_API_VERSION", string.Empty);
            builder.UseSetting("OPENAI_SIMULATED", string.Empty);
            builder.UseSetting("AzureOpenAI:MaxRetries", "0");
            builder.UseSetting("API_KEYS", $"team:{ClientKey},limited:{LimitedKey}");
            builder.UseSetting("RateLimiting:PermitLimit", "0");
            builder.UseSetting("Quotas:Clients:limited:RequestsPerMinute", "1");
            builder.UseSetting($"OpenAICompatible:Models:{PublicModel}", Deployment);
            builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        }
    }
}
