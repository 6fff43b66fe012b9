using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Wrapper.Simulator;
using Wrapper.Simulator.Foundry;

namespace Wrapper.FoundryClientTests;

/// <summary>The official <c>openai</c> npm client (7.55.0) against the simulator's new Foundry Agent Service routes over
/// HTTP, the way Microsoft's docs use it: an OpenAI client on <c>{project}/openai/v1/</c> with a bearer token,
/// <c>conversations.create</c> with metadata, <c>responses.create</c> with the extra body field <c>agent_reference</c>
/// (plain and streamed), <c>conversations.items.list</c>, <c>conversations.delete</c>, an unknown agent and an injected
/// 429. If the simulator's routes drifted from what the real client sends and parses (paths, body, event stream, error
/// shape, retry-after), this fails.</summary>
[TestFixture]
[NonParallelizable]
public sealed class FoundryNodeClientTests
{
    private static readonly Wrapper.Tests.NodeProject Node = new("FoundryClient", "openai");

    private const string Token = "node-foundry-token";
    private const string Project = "node-project";

    private SimulatorServer _sim = null!;
    private JsonElement _result;
    private string _stderr = string.Empty;

    [OneTimeSetUp]
    public async Task RunTheClient()
    {
        await Node.EnsurePackagesAsync();
        _sim = await SimulatorServer.StartAsync(new SimulatorOptions { AgentBearerToken = Token, LatencyPerTokenMs = 0 });
        var (exitCode, stdout, stderr) = await Node.RunAsync("node", ["foundry-client-e2e.mjs"], TimeSpan.FromMinutes(2), new Dictionary<string, string>
        {
            ["SIM_URL"] = _sim.HttpAddress.ToString(),
            ["SIM_PROJECT"] = Project,
            ["SIM_TOKEN"] = Token,
        });
        _stderr = stderr;
        Assert.That(exitCode, Is.Zero, $"node failed:\n{stdout}\n{stderr}");
        _result = JsonDocument.Parse(stdout.Trim().Split('\n').Last()).RootElement.Clone();
    }

    [OneTimeTearDown]
    public async Task StopSimulator() => await _sim.DisposeAsync();

    [Test]
    public void ConversationIsCreatedWithItsMetadata()
    {
        var conversation = _result.GetProperty("conversation");

        Assert.Multiple(() =>
        {
            Assert.That(conversation.GetProperty("id").GetString(), Does.StartWith("conv_"));
            Assert.That(conversation.GetProperty("object").GetString(), Is.EqualTo("conversation"));
            Assert.That(conversation.GetProperty("metadata").GetProperty("wrapper_owner").GetString(), Is.EqualTo("node-client"));
        });
    }

    [Test]
    public void PlainResponse_ReadsOutputTextAndCitationsWhoseIndexesAreTheMarkers()
    {
        var plain = _result.GetProperty("plain");
        var citations = plain.GetProperty("citations").EnumerateArray().ToList();

        Assert.Multiple(() =>
        {
            Assert.That(plain.GetProperty("status").GetString(), Is.EqualTo("completed"));
            Assert.That(plain.GetProperty("outputText").GetString(), Is.EqualTo(plain.GetProperty("messageText").GetString()),
                "the SDK's output_text is the message's output_text");
            Assert.That(plain.GetProperty("outputText").GetString(), Does.Contain("Oslo"));
            Assert.That(plain.GetProperty("conversationId").GetString(), Is.EqualTo(_result.GetProperty("conversation").GetProperty("id").GetString()));
            Assert.That(plain.GetProperty("agent").GetProperty("name").GetString(), Is.EqualTo("bing-grounding"));
            Assert.That(citations, Has.Count.EqualTo(4));
            Assert.That(citations.Select(c => c.GetProperty("type").GetString()), Is.All.EqualTo("url_citation"));
            Assert.That(citations.Select(c => c.GetProperty("markerMatches").GetBoolean()), Is.All.True);
            Assert.That(citations.Select(c => c.GetProperty("url").GetString()), Is.All.StartWith("https://"));
        });
    }

    [Test]
    public void StreamedResponse_OfACreatedVersion_DeliversDeltasAndAnnotationsTheClientUnderstands()
    {
        var stream = _result.GetProperty("stream");
        var types = stream.GetProperty("types").EnumerateArray().Select(t => t.GetString()).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(types[0], Is.EqualTo("response.created"));
            Assert.That(types[^1], Is.EqualTo("response.completed"));
            Assert.That(types.Count(t => t == "response.output_text.delta"), Is.GreaterThan(5));
            Assert.That(types.Count(t => t == "response.output_text.annotation.added"), Is.EqualTo(4));
            Assert.That(stream.GetProperty("text").GetString(), Is.EqualTo(stream.GetProperty("finalText").GetString()));
            Assert.That(stream.GetProperty("announcedAfterMarker").GetBoolean(), Is.True);
            Assert.That(stream.GetProperty("citations").EnumerateArray().Select(c => c.GetProperty("markerMatches").GetBoolean()), Is.All.True);
            Assert.That(stream.GetProperty("finalAnnotations").GetInt32(), Is.EqualTo(4));
            Assert.That(stream.GetProperty("agentVersion").GetString(), Is.EqualTo(_result.GetProperty("version").GetString()));
        });
    }

    [Test]
    public void ConversationItems_HoldTheSeedItemAndBothTurns()
    {
        var items = _result.GetProperty("items").EnumerateArray().ToList();

        Assert.Multiple(() =>
        {
            Assert.That(items.Select(i => i.GetProperty("role").GetString()), Is.EqualTo(new[] { "user", "user", "assistant", "user", "assistant" }));
            Assert.That(items.Select(i => i.GetProperty("type").GetString()), Is.All.EqualTo("message"));
            Assert.That(items[2].GetProperty("contentType").GetString(), Is.EqualTo("output_text"));
        });
    }

    [Test]
    public void UnknownAgent_IsA404NotFound()
    {
        var unknown = _result.GetProperty("unknownAgent");

        Assert.Multiple(() =>
        {
            Assert.That(unknown.GetProperty("status").GetInt32(), Is.EqualTo(404));
            Assert.That(unknown.GetProperty("code").GetString(), Is.EqualTo("not_found"));
        });
    }

    [Test]
    public void InjectedRateLimit_Is429WithRetryAfter_WhichTheClientHonoursWhenItRetries()
    {
        var limited = _result.GetProperty("rateLimited");
        var retried = _result.GetProperty("retried");

        Assert.Multiple(() =>
        {
            Assert.That(limited.GetProperty("status").GetInt32(), Is.EqualTo(429));
            Assert.That(limited.GetProperty("code").GetString(), Is.EqualTo("rate_limit_exceeded"));
            Assert.That(limited.GetProperty("retryAfter").GetString(), Is.EqualTo("2"));
            Assert.That(retried.GetProperty("status").GetString(), Is.EqualTo("completed"));
            Assert.That(retried.GetProperty("afterMs").GetInt64(), Is.GreaterThanOrEqualTo(900), "the client waited the retry-after second");
            Assert.That(_sim.Counters.Count("POST /api/projects/{project}/openai/v1/responses", "429"), Is.EqualTo(2));
        });
    }

    [Test]
    public void DeletedConversation_IsGone()
    {
        var deleted = _result.GetProperty("deleted");

        Assert.Multiple(() =>
        {
            Assert.That(deleted.GetProperty("deleted").GetBoolean(), Is.True);
            Assert.That(deleted.GetProperty("object").GetString(), Is.EqualTo("conversation.deleted"));
            Assert.That(_result.GetProperty("afterDelete").GetProperty("status").GetInt32(), Is.EqualTo(404));
            Assert.That(_sim.Services.GetRequiredService<FoundryStore>().FindConversation(deleted.GetProperty("id").GetString()!)!.Deleted, Is.True);
        });
    }

    [Test]
    public void OnlyAuditedRoutesWereCalled() =>
        Assert.That(_sim.Counters.Snapshot().Keys, Is.SubsetOf(new[]
        {
            "POST /api/projects/{project}/openai/v1/conversations",
            "GET /api/projects/{project}/openai/v1/conversations/{conversation_id}",
            "DELETE /api/projects/{project}/openai/v1/conversations/{conversation_id}",
            "GET /api/projects/{project}/openai/v1/conversations/{conversation_id}/items",
            "POST /api/projects/{project}/openai/v1/responses",
            "POST /api/projects/{project}/agents/{agent_name}/versions",
        }), _stderr);
}
