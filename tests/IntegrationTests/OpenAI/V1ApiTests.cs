using Azure.Core;
using Azure.Identity;
using Wrapper.Application.Chat;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Domain.Chat;
using Wrapper.IntegrationTests.Resilience;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.OpenAI;

/// <summary>An upstream on the Azure OpenAI v1 API (<c>POST {resource}/openai/v1/chat/completions</c>, the deployment as
/// the body's <c>model</c>), called through the OpenAI package's ChatClient: chat, streaming, error mapping, retries,
/// deadlines, Entra ID and failover behave as on dated versions.</summary>
[TestFixture]
public sealed class V1ApiTests
{
    private const string V1ChatRoute = "POST /openai/v1/chat/completions";
    private const string DatedChatRoute = "POST /openai/deployments/{deployment}/chat/completions";

    private static readonly ChatMessage[] Question = [ChatMessage.System("Be brief."), ChatMessage.User("how are you?")];

    private SimulatorServer _sim = null!;

    [OneTimeSetUp]
    public async Task StartSimulator() => _sim = await SimulatorServer.StartAsync(new SimulatorOptions
    {
        ApiKey = OpenAIAdapter.Key,
        Deployments = [OpenAIAdapter.Deployment],
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

    private OpenAIAdapter V1(Action<Dictionary<string, string?>>? settings = null) =>
        OpenAIAdapter.Create(_sim.HttpAddress, s =>
        {
            s["OPENAI_API_VERSION"] = "v1";
            settings?.Invoke(s);
        });

    [Test]
    public async Task ChatGoesToTheV1Route()
    {
        await using var adapter = V1();

        var completion = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(completion.Content, Does.Contain("how are you?"));
            Assert.That(completion.Model, Is.EqualTo(OpenAIAdapter.Deployment));
            Assert.That(completion.Usage.TotalTokens, Is.GreaterThan(0));
            Assert.That(_sim.Counters.Count(V1ChatRoute, "200"), Is.EqualTo(1));
            Assert.That(_sim.Counters.Count(DatedChatRoute), Is.Zero);
        });
    }

    [Test]
    public async Task AnEndpointEndingInOpenAIV1IsCalledThere()
    {
        await using var adapter = OpenAIAdapter.Create(new Uri(_sim.HttpAddress, "openai/v1/"));

        var completion = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(completion.Content, Is.Not.Empty);
            Assert.That(_sim.Counters.Count(V1ChatRoute, "200"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task StreamingWorksOnV1()
    {
        await using var adapter = V1();

        var updates = new List<ChatStreamUpdate>();
        await foreach (var update in adapter.Chat.StreamAsync(Question, CancellationToken.None))
        {
            updates.Add(update);
        }

        var text = string.Concat(updates.OfType<ChatStreamDelta>().Select(d => d.Content));
        var end = updates.OfType<ChatStreamCompleted>().Single();
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Contain("how are you?"));
            Assert.That(end.FinishReason, Is.EqualTo("stop"));
            Assert.That(end.Usage.TotalTokens, Is.GreaterThan(0), "stream_options.include_usage travels on v1 too");
            Assert.That(_sim.Counters.Count(V1ChatRoute, "200"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task AWrongKeyIsAnAuthenticationFailure()
    {
        await using var adapter = V1(s => s["OPENAI_API_KEY"] = "wrong");

        var ex = Assert.ThrowsAsync<UpstreamException>(() => adapter.Chat.CompleteAsync(Question, CancellationToken.None))!;

        Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Authentication));
    }

    [Test]
    public async Task AMissingDeploymentIsNotFound()
    {
        await using var adapter = V1(s => s["OPENAI_MODEL_DEPLOYMENT_NAME"] = "missing");

        var ex = Assert.ThrowsAsync<UpstreamException>(() => adapter.Chat.CompleteAsync(Question, CancellationToken.None))!;

        Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.NotFound));
    }

    [Test]
    public async Task ALongRetryAfterIsHandedBackNotWaitedOut()
    {
        await using var adapter = V1();
        _sim.Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 30, Target = "openai" });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => adapter.Chat.CompleteAsync(Question, CancellationToken.None))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(_sim.Counters.Count(V1ChatRoute), Is.EqualTo(1), "not retried: the wait is longer than MaxRetryDelay");
        });
    }

    [Test]
    public async Task AShortOutageIsRetriedSilently()
    {
        await using var adapter = V1();
        _sim.Faults.Add(new FaultSpec { Status = 503, Target = "openai" });

        var completion = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(completion.Content, Is.Not.Empty);
            Assert.That(_sim.Counters.Count(V1ChatRoute, "503"), Is.EqualTo(1));
            Assert.That(_sim.Counters.Count(V1ChatRoute, "200"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task TheDeadlineHolds()
    {
        await using var adapter = V1(s =>
        {
            s["AzureOpenAI:RequestTimeoutSeconds"] = "0.5";
            s["AzureOpenAI:MaxRetries"] = "0";
        });
        _sim.Faults.Add(new FaultSpec { LatencyMs = 5000, Target = "openai" });

        var ex = Assert.ThrowsAsync<UpstreamException>(() => adapter.Chat.CompleteAsync(Question, CancellationToken.None))!;

        Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Timeout));
    }

    [Test]
    public async Task WithoutAKeyAnEntraIdTokenIsSentAsBearer()
    {
        _sim.Options.OpenAIBearerToken = "entra-token";
        try
        {
            var credential = new FixedCredential("entra-token");
            await using var adapter = OpenAIAdapter.Create(_sim.HttpsAddress, s =>
            {
                s.Remove("OPENAI_API_KEY");
                s["OPENAI_API_VERSION"] = "v1";
            }, o => o.TrustedCertificate = _sim.Certificate, credential);

            var completion = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

            Assert.Multiple(() =>
            {
                Assert.That(completion.Content, Is.Not.Empty);
                Assert.That(credential.Scopes, Does.Contain("https://cognitiveservices.azure.com/.default"));
                Assert.That(_sim.Counters.Count(V1ChatRoute, "200"), Is.EqualTo(1));
            });
        }
        finally
        {
            _sim.Options.OpenAIBearerToken = null;
        }
    }

    [Test]
    public async Task APoolOfV1UpstreamsFailsOver()
    {
        await using var pool = await SimulatorPool.StartAsync(2);
        pool.Reset();
        var settings = pool.Settings(1, 2);
        settings["OPENAI_API_VERSION"] = "v1";
        await using var adapter = PoolAdapter.Create(settings);
        pool[0].Faults.Add(new FaultSpec { Status = 503, Target = "openai", Count = 10 });

        var completion = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(completion.Content, Is.Not.Empty);
            Assert.That(pool[0].Counters.Count(V1ChatRoute, "503"), Is.GreaterThanOrEqualTo(1));
            Assert.That(pool[1].Counters.Count(V1ChatRoute, "200"), Is.EqualTo(1));
        });
    }

    /// <summary>Hands out a fixed token and records the scopes asked for (never the real DefaultAzureCredential).</summary>
    private sealed class FixedCredential(string token) : TokenCredential
    {
        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            lock (Scopes)
            {
                Scopes.AddRange(requestContext.Scopes);
            }

            return new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
