using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Infrastructure.Health;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.OpenAI;

/// <summary>The health probe over HTTP against the simulator, for a dated and a v1 upstream alike: each upstream state
/// maps to its failure, using only operations the simulator's audit table marks as served by Azure
/// (src/Simulator/README.md): <c>GET /openai/models</c> or <c>GET /openai/v1/models</c> on every probe, and the chat
/// operation with <c>max_tokens: 1</c> at most once per deployment-check interval.</summary>
[TestFixture("2025-04-01-preview")]
[TestFixture("2024-10-21")]
[TestFixture("v1")]
public sealed class AzureOpenAIHealthProbeTests(string apiVersion)
{
    private SimulatorServer _sim = null!;

    private bool IsV1 => apiVersion == "v1";

    private string ModelsRoute => IsV1 ? "GET /openai/v1/models" : "GET /openai/models";

    private string ChatRoute => IsV1 ? "POST /openai/v1/chat/completions" : "POST /openai/deployments/{deployment}/chat/completions";

    [OneTimeSetUp]
    public async Task StartSimulator() =>
        _sim = await SimulatorServer.StartAsync(new SimulatorOptions { ApiKey = OpenAIAdapter.Key, Deployments = [OpenAIAdapter.Deployment] });

    [OneTimeTearDown]
    public async Task StopSimulator() => await _sim.DisposeAsync();

    [SetUp]
    public void ResetSimulator()
    {
        _sim.Faults.Clear();
        _sim.Counters.Reset();
    }

    private OpenAIAdapter Adapter(Action<Dictionary<string, string?>>? settings = null, Uri? endpoint = null) =>
        OpenAIAdapter.Create(endpoint ?? _sim.HttpAddress, s =>
        {
            s["OPENAI_API_VERSION"] = apiVersion;
            s["AzureOpenAI:MaxRetries"] = "0";
            settings?.Invoke(s);
        });

    /// <summary>True when the probe passed (it throws otherwise).</summary>
    private static async Task<bool> Probe(OpenAIAdapter adapter)
    {
        await adapter.Get<AzureOpenAIDeploymentProbe>().ProbeAsync(CancellationToken.None);
        return true;
    }

    private static UpstreamException ProbeFails(OpenAIAdapter adapter) =>
        Assert.ThrowsAsync<UpstreamException>(() => Probe(adapter))!;

    [TearDown]
    public void OnlyAuditedRoutesWereCalled() =>
        Assert.That(_sim.Counters.Snapshot().Keys, Is.SubsetOf(new[] { ModelsRoute, ChatRoute }),
            "the adapter called a route the audit table does not mark as served by Azure");

    [Test]
    public async Task AnAnsweringUpstreamIsHealthy()
    {
        await using var adapter = Adapter();

        Assert.Multiple(async () =>
        {
            Assert.That(await Probe(adapter), Is.True);
            Assert.That(_sim.Counters.Count(ModelsRoute, "200"), Is.EqualTo(1));
            Assert.That(_sim.Counters.Count(ChatRoute, "200"), Is.EqualTo(1), "one deployment check");
        });
    }

    [Test]
    public async Task AWrongKeyIsAnAuthenticationFailure()
    {
        await using var adapter = Adapter(s => s["OPENAI_API_KEY"] = "nope");

        var ex = ProbeFails(adapter);

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Authentication));
            Assert.That(ex.UpstreamStatus, Is.EqualTo(401));
            Assert.That(_sim.Counters.Count(ChatRoute), Is.Zero, "no completion for refused credentials");
        });
    }

    [Test]
    public async Task AForbiddenPrincipalIsAnAuthenticationFailure()
    {
        await using var adapter = Adapter();
        _sim.Faults.Add(new FaultSpec { Status = 403, Target = "openai" });

        var ex = ProbeFails(adapter);

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Authentication));
            Assert.That(ex.UpstreamStatus, Is.EqualTo(403));
        });
    }

    [Test]
    public async Task ThrottlingIsReportedWithItsRetryAfter()
    {
        await using var adapter = Adapter();
        _sim.Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 7, Target = "openai" });

        var ex = ProbeFails(adapter);

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(7)));
        });
    }

    [TestCase(500)]
    [TestCase(503)]
    public async Task AServerErrorIsUnavailable(int status)
    {
        await using var adapter = Adapter();
        _sim.Faults.Add(new FaultSpec { Status = status, Target = "openai" });

        var ex = ProbeFails(adapter);

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(ex.UpstreamStatus, Is.EqualTo(status));
        });
    }

    [Test]
    public async Task ARefusedConnectionIsUnavailable()
    {
        await using var adapter = Adapter(endpoint: ClosedPort());

        var ex = ProbeFails(adapter);

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(ex.UpstreamStatus, Is.Null);
        });
    }

    [Test]
    public async Task AMissingDeploymentIsNotFound()
    {
        await using var adapter = Adapter(s => s["OPENAI_MODEL_DEPLOYMENT_NAME"] = "missing");

        var ex = ProbeFails(adapter);

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.NotFound));
            Assert.That(ex.UpstreamStatus, Is.EqualTo(404));
            Assert.That(_sim.Counters.Count(ModelsRoute, "200"), Is.EqualTo(1), "the endpoint and key are fine");
            Assert.That(_sim.Counters.Count(ChatRoute, "404"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task TheDeploymentCheckRunsOncePerIntervalAndItsAnswerIsKept()
    {
        await using var adapter = Adapter(s => s["OPENAI_MODEL_DEPLOYMENT_NAME"] = "missing");

        for (var i = 0; i < 5; i++)
        {
            Assert.That(ProbeFails(adapter).Failure, Is.EqualTo(UpstreamFailure.NotFound));
        }

        Assert.Multiple(() =>
        {
            Assert.That(_sim.Counters.Count(ModelsRoute), Is.EqualTo(5), "the token-free operation runs on every probe");
            Assert.That(_sim.Counters.Count(ChatRoute), Is.EqualTo(1), "the completion runs once per interval");
        });
    }

    [Test]
    public async Task ConcurrentProbesShareOneDeploymentCheck()
    {
        await using var adapter = Adapter();
        _sim.Options.LatencyPerTokenMs = 0;

        var modes = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Probe(adapter)));

        Assert.Multiple(() =>
        {
            Assert.That(modes, Is.All.True);
            Assert.That(_sim.Counters.Count(ChatRoute), Is.EqualTo(1), "single flight");
        });
    }

    [Test]
    public async Task AnsweredChatsMakeTheDeploymentCheckFree()
    {
        await using var adapter = Adapter();
        await adapter.Chat.CompleteAsync([new Domain.Chat.ChatMessage(Domain.Chat.ChatRole.User, "Hello?")], CancellationToken.None);
        _sim.Counters.Reset();

        for (var i = 0; i < 3; i++)
        {
            Assert.That(await Probe(adapter), Is.True);
        }

        Assert.Multiple(() =>
        {
            Assert.That(_sim.Counters.Count(ModelsRoute, "200"), Is.EqualTo(3));
            Assert.That(_sim.Counters.Count(ChatRoute), Is.Zero, "the chat already proved the deployment");
        });
    }

    [Test]
    public async Task ADisabledDeploymentCheckSpendsNoTokensAndLearnsFromChats()
    {
        await using var adapter = Adapter(s =>
        {
            s["Health:DeploymentCheckMinutes"] = "0";
            s["OPENAI_MODEL_DEPLOYMENT_NAME"] = "missing";
        });

        var before = await Probe(adapter);
        Assert.ThrowsAsync<UpstreamException>(() =>
            adapter.Chat.CompleteAsync([new Domain.Chat.ChatMessage(Domain.Chat.ChatRole.User, "Hello?")], CancellationToken.None));
        var after = ProbeFails(adapter);

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.True, "nothing was known yet");
            Assert.That(after.Failure, Is.EqualTo(UpstreamFailure.NotFound), "the chat's 404 was remembered");
            Assert.That(_sim.Counters.Count(ChatRoute), Is.EqualTo(1), "only the chat itself");
        });
    }

    [Test]
    public async Task TheDeploymentCheckSpendsOneCompletionToken()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { ApiKey = OpenAIAdapter.Key, Deployments = [OpenAIAdapter.Deployment] });
        await using var adapter = Adapter(endpoint: sim.HttpAddress);
        using var http = new HttpClient { BaseAddress = sim.HttpAddress };

        await Probe(adapter);
        await Probe(adapter);

        using var state = JsonDocument.Parse(await http.GetStringAsync("_simulator/state"));
        var tokens = state.RootElement.GetProperty("deployments").GetProperty(OpenAIAdapter.Deployment).GetProperty("tokensInWindow").GetInt32();
        // One user message "ping": 3 + 1 (role) + 1 (text) + 3 (reply) prompt tokens, and max_tokens 1.
        Assert.That(tokens, Is.EqualTo(9));
    }

    private static Uri ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }
}
