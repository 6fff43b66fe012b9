extern alias simulator;

using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Wrapper.FunctionalTests.Infrastructure;
using simulator::Wrapper.Simulator.Foundry;

namespace Wrapper.FunctionalTests.Agents;

/// <summary>
/// The two Agent Service protocols through the whole API, against the embedded simulator: one process with the
/// <c>bing-grounding</c> agent moved to the new protocol by configuration alone (<c>Agents:bing-grounding:Protocol</c>,
/// its name defaulting to the entry's) and the <c>plain</c> agent still classic, compared with the default (all classic)
/// process.
/// </summary>
public sealed class AgentProtocolTests
{
    /// <summary>What moves the Bing agent to the new protocol; the embedded simulator's classic ids stay configured beside it.</summary>
    private static readonly Dictionary<string, string> NewBingAgent = new()
    {
        ["Agents:bing-grounding:Protocol"] = "responses",
    };

    private AgentApiFactory _mixed = null!;
    private AgentApiFactory _classic = null!;
    private HttpClient _mixedClient = null!;
    private HttpClient _classicClient = null!;

    private FoundryStore Foundry => _mixed.Simulator.Services.GetRequiredService<FoundryStore>();

    [OneTimeSetUp]
    public void StartApis()
    {
        _mixed = new AgentApiFactory(settings: NewBingAgent);
        _mixedClient = _mixed.CreateClient();
        _classic = new AgentApiFactory();
        _classicClient = _classic.CreateClient();
        _mixed.Simulator.Options.Agents.RunStepDelayMs = 5;
        _classic.Simulator.Options.Agents.RunStepDelayMs = 5;
    }

    [OneTimeTearDown]
    public async Task StopApis()
    {
        _mixedClient.Dispose();
        _classicClient.Dispose();
        await _mixed.DisposeAsync();
        await _classic.DisposeAsync();
    }

    [SetUp]
    public void ResetSimulators()
    {
        _mixed.Store.Reset();
        Foundry.Reset();
        _classic.Store.Reset();
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> AskAsync(HttpClient client, string path, string json)
    {
        using var response = await client.PostAsync(path, HttpAssertions.Json(json));
        var body = await response.ReadJsonAsync();
        return (response.StatusCode, body);
    }

    [Test]
    public async Task BingGrounding_AnswersTheSameShape_FromEitherProtocol()
    {
        const string question = """{"query":"What happened in finance today?"}""";

        var (newStatus, fromNew) = await AskAsync(_mixedClient, "/bing-grounding", question);
        var (classicStatus, fromClassic) = await AskAsync(_classicClient, "/bing-grounding", question);

        var newCitations = fromNew.GetProperty("citations").EnumerateArray().ToList();
        var classicCitations = fromClassic.GetProperty("citations").EnumerateArray().ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(newStatus, Is.EqualTo(HttpStatusCode.OK), fromNew.ToString());
            Assert.That(classicStatus, Is.EqualTo(HttpStatusCode.OK), fromClassic.ToString());
            Assert.That(fromNew.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "content", "citations" }));
            Assert.That(fromNew.EnumerateObject().Select(p => p.Name), Is.EqualTo(fromClassic.EnumerateObject().Select(p => p.Name)));
            Assert.That(fromNew.GetProperty("content").GetString(), Does.Contain("What happened in finance today").And.Not.Contain("【").And.Not.Contain("  "));
            Assert.That(newCitations.Select(c => c.GetProperty("id").GetInt32()), Is.EqualTo(new[] { 1, 2, 3 }));
            Assert.That(newCitations.Select(c => c.ToString()), Is.EqualTo(classicCitations.Select(c => c.ToString())),
                "the same sources, numbered and titled alike");
            Assert.That(Foundry.GetCounters().ResponsesCompleted, Is.EqualTo(1), "the new protocol answered");
            Assert.That(_mixed.Store.GetCounters().ThreadsCreated, Is.Zero, "no classic thread was made for it");
            Assert.That(Foundry.GetCounters().ConversationsCreated, Is.Zero, "a question that keeps nothing makes no conversation");
        }
    }

    [Test]
    public async Task OneClassicAndOneNewAgent_AreServedByOneProcess()
    {
        var (bingStatus, bing) = await AskAsync(_mixedClient, "/agents/bing-grounding", """{"query":"weather"}""");
        var (plainStatus, plain) = await AskAsync(_mixedClient, "/agents/plain", """{"query":"Tell me a joke"}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(bingStatus, Is.EqualTo(HttpStatusCode.OK), bing.ToString());
            Assert.That(plainStatus, Is.EqualTo(HttpStatusCode.OK), plain.ToString());
            Assert.That(bing.GetProperty("citations").GetArrayLength(), Is.EqualTo(3));
            Assert.That(plain.GetProperty("content").GetString(), Does.Contain("Tell me a joke").And.Contain("plain-agent"),
                "the classic plain agent (asst_plain) answered");
            Assert.That(Foundry.GetCounters().ResponsesCompleted, Is.EqualTo(1), "bing-grounding on the new protocol");
            Assert.That(_mixed.Store.GetCounters().RunsCompleted, Is.EqualTo(1), "plain on a classic run");
            Assert.That((_mixed.Store.GetCounters().ThreadsCreated, _mixed.Store.GetCounters().ThreadsDeleted), Is.EqualTo((1, 1)));
        }
    }

    [Test]
    public async Task KeepingTheConversation_OfANewAgent_KeepsAConversationOwnedByTheCaller()
    {
        var (status, body) = await AskAsync(_mixedClient, "/bing-grounding", """{"query":"Remember this","keep_thread":true}""");

        var counters = Foundry.GetCounters();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToString());
            Assert.That(body.TryGetProperty("thread_id", out _), Is.False, "a new agent has conversations, not threads");
            Assert.That(counters.ConversationsCreated, Is.EqualTo(1));
            Assert.That(counters.ConversationsActive, Is.EqualTo(1), "kept");
            Assert.That(_mixed.Store.GetCounters().ThreadsCreated, Is.Zero);
            Assert.That(body.GetProperty("conversation_id").GetString(), Does.StartWith("conv_"));
        }
    }

    [Test]
    public async Task AKeptConversation_IsContinuedThenEnded_ThroughConversationId()
    {
        var (_, first) = await AskAsync(_mixedClient, "/bing-grounding", """{"query":"Remember this","keep_thread":true}""");
        var conversationId = first.GetProperty("conversation_id").GetString()!;

        var (nextStatus, next) = await AskAsync(_mixedClient, "/bing-grounding",
            $$"""{"query":"And now?","conversation_id":"{{conversationId}}","keep_thread":false}""");
        var (againStatus, again) = await AskAsync(_mixedClient, "/bing-grounding",
            $$"""{"query":"Still there?","conversation_id":"{{conversationId}}"}""");
        var (wrongKindStatus, wrongKind) = await AskAsync(_mixedClient, "/bing-grounding",
            """{"query":"Hi","thread_id":"thread_abc"}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(nextStatus, Is.EqualTo(HttpStatusCode.OK), next.ToString());
            Assert.That(next.TryGetProperty("conversation_id", out _), Is.False, "ended with keep_thread false");
            Assert.That(Foundry.GetCounters().ConversationsActive, Is.Zero, "deleted after answering");
            Assert.That(againStatus, Is.EqualTo(HttpStatusCode.NotFound), again.ToString());
            Assert.That(again.GetProperty("code").GetString(), Is.EqualTo("conversation_not_found"));
            Assert.That(wrongKindStatus, Is.EqualTo(HttpStatusCode.BadRequest), wrongKind.ToString());
            Assert.That(wrongKind.GetProperty("errors").TryGetProperty("thread_id", out _), Is.True, wrongKind.ToString());
        }
    }
}
