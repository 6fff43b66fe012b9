using System.Diagnostics;
using Azure.Core;
using Azure.Identity;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Domain.Chat;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.OpenAI;

/// <summary>The Azure OpenAI adapter through the real SDK against the simulator over HTTP on 127.0.0.1.</summary>
[TestFixture]
public sealed class AzureOpenAIChatCompletionServiceTests
{
    private const string ChatRoute = "POST /openai/deployments/{deployment}/chat/completions";

    private static readonly ChatMessage[] Question =
        [ChatMessage.System("You are a helpful assistant."), ChatMessage.User("how are you?")];

    private SimulatorServer _sim = null!;

    [OneTimeSetUp]
    public async Task StartSimulator()
    {
        _sim = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            ApiKey = OpenAIAdapter.Key,
            Deployments = [OpenAIAdapter.Deployment],
            LatencyPerTokenMs = 0,
            TokensPerMinute = 0,
        });

        // One call before the tests (SDK JIT, the simulator's tokenizer), so that the deadline tests spend their short
        // budgets on the call they are about.
        await using var warmUp = OpenAIAdapter.Create(_sim.HttpAddress);
        await warmUp.Chat.CompleteAsync(Question, CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task StopSimulator() => await _sim.DisposeAsync();

    [SetUp]
    public void ResetSimulator()
    {
        _sim.Faults.Clear();
        _sim.Counters.Reset();
    }

    private long ChatRequests(string? outcome = null) => _sim.Counters.Count(ChatRoute, outcome);

    private static UpstreamException FailsWith(OpenAIAdapter adapter, UpstreamFailure failure, IReadOnlyList<ChatMessage>? messages = null)
    {
        var ex = Assert.ThrowsAsync<UpstreamException>(() => adapter.Chat.CompleteAsync(messages ?? Question, CancellationToken.None))!;
        Assert.That(ex.Failure, Is.EqualTo(failure), ex.Message);
        return ex;
    }

    [Test]
    public async Task ReturnsTheAnswerWithModelFinishReasonAndUsage()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);

        var completion = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(completion.Content, Is.Not.Empty);
            Assert.That(completion.Model, Is.EqualTo(OpenAIAdapter.Deployment));
            Assert.That(completion.FinishReason, Is.EqualTo("stop"));
            Assert.That(completion.Usage.PromptTokens, Is.GreaterThan(0));
            Assert.That(completion.Usage.CompletionTokens, Is.GreaterThan(0));
            Assert.That(ChatRequests("200"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task SendsTheWholeConversation()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);
        ChatMessage[] lastTurnOnly = [ChatMessage.User("and tomorrow?")];
        ChatMessage[] conversation =
        [
            ChatMessage.System("Be brief."),
            ChatMessage.User("what is the weather today?"),
            ChatMessage.Assistant("Sunny, 25 degrees."),
            ChatMessage.User("and tomorrow?"),
        ];

        var single = await adapter.Chat.CompleteAsync(lastTurnOnly, CancellationToken.None);
        var whole = await adapter.Chat.CompleteAsync(conversation, CancellationToken.None);

        Assert.That(whole.Usage.PromptTokens, Is.GreaterThan(single.Usage.PromptTokens + 10));
    }

    [Test]
    public async Task EarlierTurnsReachTheUpstream()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);
        ChatMessage[] conversation =
        [
            ChatMessage.User("hello"),
            ChatMessage.Assistant("I will now trigger-content-filter."),
            ChatMessage.User("go on"),
        ];

        FailsWith(adapter, UpstreamFailure.ContentFiltered, conversation);
    }

    [Test]
    public async Task WorksWithAnOlderSupportedApiVersion()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress, s => s["OPENAI_API_VERSION"] = "2024-10-21");

        var completion = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

        Assert.That(completion.Content, Is.Not.Empty);
    }

    [Test]
    public async Task WrongKeyIsAnAuthenticationFailureThatDoesNotLeakTheKey()
    {
        const string wrongKey = "wrong-secret-key-123";
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress, s => s["OPENAI_API_KEY"] = wrongKey);

        var ex = FailsWith(adapter, UpstreamFailure.Authentication);

        Assert.Multiple(() =>
        {
            Assert.That(ex.UpstreamStatus, Is.EqualTo(401));
            Assert.That(ex.Message, Does.Not.Contain(wrongKey));
            Assert.That(ex.Message, Does.Not.Contain("subscription key"), "the upstream's text is not passed on");
            Assert.That(ChatRequests(), Is.EqualTo(1), "401 is not retried");
        });
    }

    [Test]
    public async Task ForbiddenIsAnAuthenticationFailure()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);
        _sim.Faults.Add(new FaultSpec { Status = 403, Target = "openai" });

        var ex = FailsWith(adapter, UpstreamFailure.Authentication);

        Assert.That(ex.UpstreamStatus, Is.EqualTo(403));
    }

    [Test]
    public async Task UnknownDeploymentIsNotFoundNamingTheDeployment()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress, s => s["OPENAI_MODEL_DEPLOYMENT_NAME"] = "no-such-model");

        var ex = FailsWith(adapter, UpstreamFailure.NotFound);

        Assert.Multiple(() =>
        {
            Assert.That(ex.UpstreamStatus, Is.EqualTo(404));
            Assert.That(ex.Message, Does.Contain("deployment 'no-such-model' not found"));
            Assert.That(ex.Message, Does.Contain("DeploymentNotFound"));
            Assert.That(ChatRequests(), Is.EqualTo(1), "404 is not retried");
        });
    }

    [Test]
    public async Task ThrottlingWithALongRetryAfterIsNotRetriedSilently()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);
        _sim.Faults.Add(new FaultSpec { Status = 429, Count = 1, RetryAfterSeconds = 30, Target = "openai" });

        // Had the SDK retried, the second try would have succeeded (the fault applies once).
        var ex = FailsWith(adapter, UpstreamFailure.Throttled);

        Assert.Multiple(() =>
        {
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(ex.UpstreamStatus, Is.EqualTo(429));
            Assert.That(ex.Message, Does.Contain("retry after 30 s"));
            Assert.That(ChatRequests(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task ThrottlingWithAShortRetryAfterIsRetried()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);
        _sim.Faults.Add(new FaultSpec { Status = 429, Count = 1, RetryAfterSeconds = 0, Target = "openai" });

        var completion = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(completion.Content, Is.Not.Empty);
            Assert.That(ChatRequests("429"), Is.EqualTo(1));
            Assert.That(ChatRequests("200"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task ThrottlingByTheTokensPerMinuteLimitCarriesTheUpstreamsRetryAfter()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            ApiKey = OpenAIAdapter.Key,
            Deployments = [OpenAIAdapter.Deployment],
            TokensPerMinute = 100,
            AnswerTokens = 60,
        });
        await using var adapter = OpenAIAdapter.Create(sim.HttpAddress);

        await adapter.Chat.CompleteAsync(Question, CancellationToken.None);
        var ex = Assert.ThrowsAsync<UpstreamException>(() => adapter.Chat.CompleteAsync(Question, CancellationToken.None))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Throttled));
            // The window frees up one minute after the first call: far beyond what may be waited silently.
            Assert.That(ex.RetryAfter, Is.GreaterThan(TimeSpan.FromSeconds(30)).And.LessThanOrEqualTo(TimeSpan.FromSeconds(60)));
            Assert.That(sim.Counters.Count(ChatRoute, "429"), Is.EqualTo(1), "the 429 is not retried");
        });
    }

    // Issue 13: one status map for both upstreams; a 504 (the upstream's own gateway gave up waiting) is a timeout, as
    // the Agent Service's already was, no longer "unavailable".
    [TestCase(500, UpstreamFailure.Unavailable)]
    [TestCase(502, UpstreamFailure.Unavailable)]
    [TestCase(503, UpstreamFailure.Unavailable)]
    [TestCase(504, UpstreamFailure.Timeout)]
    public async Task PersistentServerErrorsAreRetriedMaxRetriesTimesThenFail(int status, UpstreamFailure expected)
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);
        _sim.Faults.Add(new FaultSpec { Status = status, Count = 5, Target = "openai" });

        var ex = FailsWith(adapter, expected);

        Assert.Multiple(() =>
        {
            Assert.That(ex.UpstreamStatus, Is.EqualTo(status));
            Assert.That(ChatRequests(status.ToString()), Is.EqualTo(3), "one try and MaxRetries (2) retries");
            Assert.That(_sim.Faults.Pending.Single().Count, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task TransientServerErrorsAreRetriedUntilTheAnswer()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);
        _sim.Faults.Add(new FaultSpec { Status = 503, Count = 2, Target = "openai" });

        var completion = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(completion.Content, Is.Not.Empty);
            Assert.That(ChatRequests("503"), Is.EqualTo(2));
            Assert.That(ChatRequests("200"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task NoRetriesWhenMaxRetriesIsZero()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress, s => s["AzureOpenAI:MaxRetries"] = "0");
        _sim.Faults.Add(new FaultSpec { Status = 503, Count = 1, Target = "openai" });

        FailsWith(adapter, UpstreamFailure.Unavailable);

        Assert.That(ChatRequests(), Is.EqualTo(1));
    }

    [Test]
    public async Task UnavailableWithALongRetryAfterIsNotRetriedAndCarriesIt()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);
        _sim.Faults.Add(new FaultSpec { Status = 503, Count = 1, RetryAfterSeconds = 20, Target = "openai" });

        var ex = FailsWith(adapter, UpstreamFailure.Unavailable);

        Assert.Multiple(() =>
        {
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(20)));
            Assert.That(ChatRequests(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task ARetryThatWouldOutlastTheDeadlineIsNotMade()
    {
        // retry-after 20 s is within a 30 s MaxRetryDelay, but not within a 10 s budget: far apart both ways, so a
        // busy machine cannot blur them.
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress, s =>
        {
            s["AzureOpenAI:RequestTimeoutSeconds"] = "10";
            s["AzureOpenAI:MaxRetryDelaySeconds"] = "30";
        });
        _sim.Faults.Add(new FaultSpec { Status = 503, Count = 1, RetryAfterSeconds = 20, Target = "openai" });

        var ex = FailsWith(adapter, UpstreamFailure.Unavailable);

        Assert.Multiple(() =>
        {
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(20)));
            Assert.That(ChatRequests(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task AnUpstreamSlowerThanTheRequestTimeoutIsATimeoutWithinTheDeadline()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress, s => s["AzureOpenAI:RequestTimeoutSeconds"] = "1");
        _sim.Faults.Add(new FaultSpec { LatencyMs = 30_000, Count = 5, Target = "openai" });

        var started = Stopwatch.GetTimestamp();
        var ex = FailsWith(adapter, UpstreamFailure.Timeout);
        var elapsed = Stopwatch.GetElapsedTime(started);

        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.Contain("within 1 s"));
            // Not a performance bound: without the deadline the call would wait out the 30 s latency.
            Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
            Assert.That(_sim.Faults.Pending.Single().Count, Is.EqualTo(4), "the timed-out try is not retried past the deadline");
        });
    }

    [Test]
    public async Task ADroppedConnectionIsUnavailableAfterTheRetries()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);
        _sim.Faults.Add(new FaultSpec { Drop = true, Count = 5, Target = "openai" });

        var ex = FailsWith(adapter, UpstreamFailure.Unavailable);

        Assert.Multiple(() =>
        {
            Assert.That(ex.UpstreamStatus, Is.Null);
            Assert.That(_sim.Faults.Pending.Single().Count, Is.EqualTo(2), "one try and MaxRetries (2) retries");
        });
    }

    [Test]
    public async Task ADroppedConnectionIsRetried()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);
        _sim.Faults.Add(new FaultSpec { Drop = true, Count = 1, Target = "openai" });

        var completion = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

        Assert.That(completion.Content, Is.Not.Empty);
    }

    [Test]
    public async Task ARefusedConnectionIsUnavailable()
    {
        // A port nothing listens on: bind one, note it, release it.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var adapter = OpenAIAdapter.Create(new Uri($"http://127.0.0.1:{port}/"));

        var ex = FailsWith(adapter, UpstreamFailure.Unavailable);

        Assert.That(ex.Message, Does.Contain("could not be reached"));
    }

    [Test]
    public async Task ABlockedPromptIsContentFiltered()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);

        var ex = FailsWith(adapter, UpstreamFailure.ContentFiltered,
            [ChatMessage.User("please trigger-content-filter now")]);

        Assert.Multiple(() =>
        {
            Assert.That(ex.UpstreamStatus, Is.EqualTo(400));
            Assert.That(ex.Message, Does.Contain("content_filter"));
            Assert.That(ex.Message, Does.Not.Contain("go.microsoft.com"), "the upstream's text is not passed on");
        });
    }

    [Test]
    public async Task AFilteredAnswerKeepsItsFinishReason()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);

        var completion = await adapter.Chat.CompleteAsync([ChatMessage.User("please trigger-completion-filter now")], CancellationToken.None);

        Assert.That(completion.FinishReason, Is.EqualTo("content_filter"));
    }

    [Test]
    public async Task AnInvalidRequestIsABadRequest()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);
        _sim.Faults.Add(new FaultSpec { Status = 400, Target = "openai" });

        var ex = FailsWith(adapter, UpstreamFailure.BadRequest);

        Assert.Multiple(() =>
        {
            Assert.That(ex.UpstreamStatus, Is.EqualTo(400));
            Assert.That(ex.Message, Does.Contain("code: BadRequest"));
        });
    }

    [Test]
    public async Task AnUnexpectedStatusIsABadResponse()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);
        _sim.Faults.Add(new FaultSpec { Status = 418, Target = "openai" });

        var ex = FailsWith(adapter, UpstreamFailure.BadResponse);

        Assert.Multiple(() =>
        {
            Assert.That(ex.UpstreamStatus, Is.EqualTo(418));
            Assert.That(ChatRequests(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task CallerCancellationIsOperationCanceledNotAnUpstreamFailure()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);
        _sim.Faults.Add(new FaultSpec { LatencyMs = 20_000, Target = "openai" });
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        Assert.That(async () => await adapter.Chat.CompleteAsync(Question, caller.Token),
            Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task AnAlreadyCancelledCallDoesNotReachTheUpstream()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpAddress);
        using var caller = new CancellationTokenSource();
        await caller.CancelAsync();

        Assert.That(async () => await adapter.Chat.CompleteAsync(Question, caller.Token),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(ChatRequests(), Is.Zero);
    }

    [Test]
    public async Task HttpsWithTheTrustedSimulatorCertificateWorks()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpsAddress, configure: o => o.TrustedCertificate = _sim.Certificate);

        var completion = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

        Assert.That(completion.Content, Is.Not.Empty);
    }

    [Test]
    public async Task HttpsWithAnUntrustedCertificateIsRefused()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpsAddress);

        FailsWith(adapter, UpstreamFailure.Unavailable);

        Assert.That(ChatRequests(), Is.Zero, "no request got past the TLS handshake");
    }

    [Test]
    public async Task WithoutAKeyAnEntraIdTokenIsSentAsBearer()
    {
        _sim.Options.OpenAIBearerToken = "entra-token";
        try
        {
            var credential = new RecordingCredential("entra-token");
            await using var adapter = OpenAIAdapter.Create(_sim.HttpsAddress, s => s.Remove("OPENAI_API_KEY"),
                o => o.TrustedCertificate = _sim.Certificate, credential);

            var completion = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

            Assert.Multiple(() =>
            {
                Assert.That(completion.Content, Is.Not.Empty);
                Assert.That(credential.Scopes, Does.Contain("https://cognitiveservices.azure.com/.default"));
            });
        }
        finally
        {
            _sim.Options.OpenAIBearerToken = null;
        }
    }

    [Test]
    public async Task ACredentialThatCannotGetATokenIsAnAuthenticationFailure()
    {
        await using var adapter = OpenAIAdapter.Create(_sim.HttpsAddress, s => s.Remove("OPENAI_API_KEY"),
            o => o.TrustedCertificate = _sim.Certificate, new RecordingCredential(token: null));

        var ex = FailsWith(adapter, UpstreamFailure.Authentication);

        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.Contain("Entra ID"));
            Assert.That(ChatRequests(), Is.Zero);
        });
    }

    /// <summary>A credential that hands out a fixed token (or fails like DefaultAzureCredential without any
    /// identity) and records the scopes asked for. The real DefaultAzureCredential is never used in tests: it would
    /// probe the network.</summary>
    private sealed class RecordingCredential(string? token) : TokenCredential
    {
        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            lock (Scopes)
            {
                Scopes.AddRange(requestContext.Scopes);
            }

            return token is null
                ? throw new CredentialUnavailableException("No identity is available here.")
                : new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
