using System.Text.Json;
using Wrapper.Simulator;

namespace Wrapper.FoundryClientTests;

/// <summary>The official <c>@azure/ai-agents</c> npm client (1.1.0) streaming classic runs from the simulator over https
/// (<c>runs.create(...).stream()</c>, <c>runs.createThreadAndRun(...).stream()</c>). If the simulator's event names or
/// payloads drifted from what the real client parses, this fails.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ClassicRunStreamNodeTests
{
    private static readonly Wrapper.Tests.NodeProject Node = new("FoundryClient", "@azure/ai-agents");

    private SimulatorServer _sim = null!;
    private string _pemPath = null!;
    private JsonElement _result;

    [OneTimeSetUp]
    public async Task RunTheClient()
    {
        await Node.EnsurePackagesAsync();
        _sim = await SimulatorServer.StartAsync(new SimulatorOptions { AgentBearerToken = "classic-token" });
        _sim.Options.Agents.RunStepDelayMs = 10;
        _pemPath = Path.Combine(Path.GetTempPath(), $"wrapper-simulator-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(_pemPath, _sim.Certificate.ExportCertificatePem());
        var (exitCode, stdout, stderr) = await Node.RunAsync("node", ["classic-stream-e2e.mjs"], TimeSpan.FromMinutes(2), new Dictionary<string, string>
        {
            ["SIM_HTTPS_URL"] = _sim.HttpsAddress.ToString(),
            ["SIM_PROJECT"] = "classic-project",
            ["SIM_TOKEN"] = "classic-token",
            ["NODE_EXTRA_CA_CERTS"] = _pemPath,
        });
        Assert.That(exitCode, Is.Zero, $"node failed:\n{stdout}\n{stderr}");
        _result = JsonDocument.Parse(stdout.Trim().Split('\n').Last()).RootElement.Clone();
    }

    [OneTimeTearDown]
    public async Task StopSimulator()
    {
        await _sim.DisposeAsync();
        File.Delete(_pemPath);
    }

    [Test]
    public void AGroundedRunStreamsItsAnswerAndCitations()
    {
        var grounded = _result.GetProperty("grounded");
        var events = grounded.GetProperty("events").EnumerateArray().Select(e => e.GetString()).ToList();
        var annotations = grounded.GetProperty("annotations").EnumerateArray().ToList();

        Assert.Multiple(() =>
        {
            Assert.That(events[0], Is.EqualTo("thread.run.created"));
            Assert.That(events.TakeLast(2), Is.EqualTo(new[] { "thread.run.completed", "done" }));
            Assert.That(events, Does.Contain("thread.message.completed"));
            Assert.That(grounded.GetProperty("text").GetString(), Is.EqualTo(grounded.GetProperty("completedText").GetString()));
            Assert.That(grounded.GetProperty("run").GetProperty("status").GetString(), Is.EqualTo("completed"));
            Assert.That(grounded.GetProperty("run").GetProperty("totalTokens").GetInt32(), Is.GreaterThan(0));
            Assert.That(annotations, Has.Count.EqualTo(4));
            Assert.That(annotations.Select(a => a.GetProperty("withItsMarker").GetBoolean()), Is.All.True);
            Assert.That(annotations.Select(a => a.GetProperty("marker").GetBoolean()), Is.All.True);
            Assert.That(annotations.Select(a => a.GetProperty("index").GetInt32()), Is.EqualTo(new[] { 0, 1, 2, 3 }));
            Assert.That(_result.GetProperty("messages").EnumerateArray().Select(m => m.GetString()), Is.EqualTo(new[] { "user", "assistant" }));
        });
    }

    [Test]
    public void AFailingThreadAndRunStreamsItsFailure()
    {
        var failed = _result.GetProperty("failed");

        Assert.Multiple(() =>
        {
            Assert.That(failed.GetProperty("events").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[]
            {
                "thread.created", "thread.run.created", "thread.run.queued", "thread.run.in_progress", "thread.run.failed", "done",
            }));
            Assert.That(failed.GetProperty("run").GetProperty("lastError").GetString(), Is.EqualTo("server_error"));
        });
    }
}
