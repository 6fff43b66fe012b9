using System.Text.Json;
using Wrapper.Simulator;

namespace Wrapper.OpenAIClientTests;

/// <summary>The official <c>openai</c> npm client (7.55.0) against the simulator over HTTP: the v1 API the way Azure's
/// docs show it (<c>new OpenAI({ baseURL: '&lt;resource&gt;/openai/v1/', apiKey })</c>), plain and streamed, and
/// <c>AzureOpenAI</c> on a dated api-version. If the simulator's v1 routes drifted from what the real client sends
/// (path, key header, body, event stream), this fails.</summary>
[TestFixture]
[NonParallelizable]
public sealed class OpenAINodeClientTests
{
    private static readonly Wrapper.Tests.NodeProject Node = new("OpenAIClient", "openai");

    private const string Key = "node-client-key";
    private const string Deployment = "gpt-4o-mini";
    private const string DatedVersion = "2024-10-21";

    private SimulatorServer _sim = null!;
    private JsonElement _result;
    private string _stderr = string.Empty;

    [OneTimeSetUp]
    public async Task RunTheClient()
    {
        await Node.EnsurePackagesAsync();
        _sim = await SimulatorServer.StartAsync(new SimulatorOptions { ApiKey = Key, Deployments = [Deployment], LatencyPerTokenMs = 0 });
        var (exitCode, stdout, stderr) = await Node.RunAsync("node", ["openai-client-e2e.mjs"], TimeSpan.FromMinutes(2), new Dictionary<string, string>
        {
            ["SIM_URL"] = _sim.HttpAddress.ToString(),
            ["SIM_KEY"] = Key,
            ["SIM_DEPLOYMENT"] = Deployment,
            ["SIM_API_VERSION"] = DatedVersion,
        });
        _stderr = stderr;
        Assert.That(exitCode, Is.Zero, $"node failed:\n{stdout}\n{stderr}");
        _result = JsonDocument.Parse(stdout.Trim().Split('\n').Last()).RootElement.Clone();
    }

    [OneTimeTearDown]
    public async Task StopSimulator() => await _sim.DisposeAsync();

    [Test]
    public void V1ChatAnswers()
    {
        var chat = _result.GetProperty("v1").GetProperty("chat");

        Assert.Multiple(() =>
        {
            Assert.That(chat.GetProperty("content").GetString(), Does.Contain("Hello from the openai npm client?"));
            Assert.That(chat.GetProperty("model").GetString(), Is.EqualTo(Deployment));
            Assert.That(chat.GetProperty("totalTokens").GetInt32(), Is.GreaterThan(0));
            Assert.That(_sim.Counters.Count("POST /openai/v1/chat/completions", "200"), Is.GreaterThanOrEqualTo(2));
        });
    }

    [Test]
    public void V1StreamAnswersInPiecesWithUsage()
    {
        var stream = _result.GetProperty("v1").GetProperty("stream");

        Assert.Multiple(() =>
        {
            Assert.That(stream.GetProperty("content").GetString(), Does.Contain("Hello from the openai npm client?"));
            Assert.That(stream.GetProperty("chunks").GetInt32(), Is.GreaterThan(2));
            Assert.That(stream.GetProperty("finishReason").GetString(), Is.EqualTo("stop"));
            Assert.That(stream.GetProperty("totalTokens").GetInt32(), Is.GreaterThan(0));
        });
    }

    [Test]
    public void V1ModelsAreListed()
    {
        var models = _result.GetProperty("v1").GetProperty("models").EnumerateArray().Select(m => m.GetString());

        Assert.Multiple(() =>
        {
            Assert.That(models, Does.Contain(Deployment));
            Assert.That(_sim.Counters.Count("GET /openai/v1/models", "200"), Is.EqualTo(1));
        });
    }

    [Test]
    public void V1UnknownDeploymentIsA404DeploymentNotFound()
    {
        var notFound = _result.GetProperty("v1").GetProperty("notFound");

        Assert.Multiple(() =>
        {
            Assert.That(notFound.GetProperty("status").GetInt32(), Is.EqualTo(404));
            Assert.That(notFound.GetProperty("code").GetString(), Is.EqualTo("DeploymentNotFound"));
        });
    }

    [Test]
    public void AzureOpenAIOnADatedVersionUsesTheDeploymentRoute()
    {
        var dated = _result.GetProperty("dated");

        Assert.Multiple(() =>
        {
            Assert.That(dated.GetProperty("chat").GetProperty("content").GetString(), Does.Contain("Hello from the openai npm client?"));
            Assert.That(dated.GetProperty("stream").GetProperty("content").GetString(), Does.Contain("Hello from the openai npm client?"));
            Assert.That(dated.GetProperty("stream").GetProperty("finishReason").GetString(), Is.EqualTo("stop"));
            Assert.That(_sim.Counters.Count("POST /openai/deployments/{deployment}/chat/completions", "200"), Is.EqualTo(2));
        });
    }

    [Test]
    public void OnlyAuditedRoutesWereCalled() =>
        Assert.That(_sim.Counters.Snapshot().Keys, Is.SubsetOf(new[]
        {
            "POST /openai/v1/chat/completions", "GET /openai/v1/models", "POST /openai/deployments/{deployment}/chat/completions",
        }), _stderr);
}
