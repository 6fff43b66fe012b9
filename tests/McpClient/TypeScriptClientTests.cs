using System.Text.Json;

namespace Wrapper.McpClientTests;

/// <summary>The service started as a process on 127.0.0.1, driven over /mcp by the official TypeScript MCP client
/// (<c>node tests/McpClient/node/mcp-e2e.mjs &lt;url&gt; &lt;key&gt;</c>).</summary>
public sealed class TypeScriptClientTests
{
    private static readonly Wrapper.Tests.NodeProject Node = new("McpClient", "@modelcontextprotocol/sdk");

    private const string ApiKey = "e2e-client-key-4f1c2b9a-0d7e6f5a4b3c2d1e"; // at least 32 characters

    private ApiProcess _api = null!;
    private JsonElement _report;
    private int _exitCode;
    private string _stderr = string.Empty;

    [OneTimeSetUp]
    public async Task RunClient()
    {
        await Node.EnsurePackagesAsync();
        _api = await ApiProcess.StartAsync(ApiKey, TimeSpan.FromSeconds(60));
        var (exitCode, stdout, stderr) = await Node.RunAsync(
            "node", ["mcp-e2e.mjs", new Uri(_api.BaseAddress, "mcp").ToString(), ApiKey], TimeSpan.FromMinutes(2));
        _exitCode = exitCode;
        _stderr = stderr;
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()
            ?? throw new InvalidOperationException($"The client printed nothing (exit {exitCode}):\n{stderr}\n{_api.Output}");
        _report = JsonDocument.Parse(line).RootElement.Clone();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }
    }

    [Test]
    public void ShouldCompleteEveryStep()
    {
        var failures = _report.GetProperty("failures").EnumerateArray().Select(f => f.GetString()).ToList();
        Assert.That(failures, Is.Empty, _stderr);
        Assert.That(_exitCode, Is.Zero);
    }

    [Test]
    public void ShouldInitializeWithTheServersIdentity() =>
        Assert.That(_report.GetProperty("server").GetProperty("name").GetString(), Is.EqualTo("wrapper"));

    [Test]
    public void ShouldListEveryTool()
    {
        var tools = _report.GetProperty("tools").EnumerateArray().Select(t => t.GetString()).ToList();
        Assert.That(tools, Is.SupersetOf(new[] { "chat", "complete", "bing_grounding", "health", "ask_agent_plain", "ask_agent_bing_grounding" }));
    }

    [Test]
    public void ShouldCallEachToolWithStructuredResults()
    {
        var calls = _report.GetProperty("calls");
        Assert.Multiple(() =>
        {
            Assert.That(calls.GetProperty("chat").GetProperty("structured").GetProperty("content").GetString(), Is.Not.Empty);
            Assert.That(calls.GetProperty("chat").GetProperty("structured").GetProperty("usage").GetProperty("total_tokens").GetInt32(), Is.GreaterThan(0));
            Assert.That(calls.GetProperty("complete").GetProperty("structured").GetProperty("content").GetString(), Is.Not.Empty);
            Assert.That(calls.GetProperty("bing_grounding").GetProperty("structured").GetProperty("citations").ValueKind, Is.EqualTo(JsonValueKind.Array));
            Assert.That(calls.GetProperty("health").GetProperty("structured").GetProperty("azure_openai").GetString(), Is.EqualTo("simulated"));
            Assert.That(calls.GetProperty("ask_agent_plain").GetProperty("isError").GetBoolean(), Is.False);
        });
    }

    [Test]
    public void ShouldRefuseBadArgumentsWithTheMappedReason()
    {
        var bad = _report.GetProperty("badArguments");
        Assert.Multiple(() =>
        {
            foreach (var entry in bad.EnumerateObject())
            {
                Assert.That(entry.Value.GetProperty("isError").GetBoolean(), Is.True, entry.Name);
            }

            Assert.That(bad.GetProperty("chat-invalid-role").GetProperty("text").GetString(), Does.StartWith("validation_failed (400)").And.Contain("messages[0].role"));
            Assert.That(bad.GetProperty("complete-blank-query").GetProperty("text").GetString(), Does.StartWith("validation_failed (400)"));
            Assert.That(bad.GetProperty("chat-wrong-type").GetProperty("text").GetString(), Does.StartWith("invalid_arguments (400)"));
            Assert.That(bad.GetProperty("complete-missing-query").GetProperty("text").GetString(), Does.StartWith("invalid_arguments (400)").And.Contain("query"));
        });
    }

    [Test]
    public void ShouldRefuseAWrongKey() => Assert.That(_report.GetProperty("unauthorized").GetBoolean(), Is.True);

    [Test]
    public void ShouldNotLogTheClientKey() => Assert.That(_api.Output, Does.Not.Contain(ApiKey));
}
