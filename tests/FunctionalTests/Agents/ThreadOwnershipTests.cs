extern alias simulator;

using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Wrapper.Application.Agents;
using Wrapper.FunctionalTests.Infrastructure;
using Wrapper.FunctionalTests.Mcp;

namespace Wrapper.FunctionalTests.Agents;

/// <summary>
/// Thread ownership through the whole API, with two client keys (alice and bob) over the embedded simulator: a kept
/// thread belongs to the client that made it. Another client's thread and a thread that does not exist both answer
/// 404 <c>thread_not_found</c>, the same way, for continuing (<c>thread_id</c>) and ending (<c>keep_thread</c> false) on
/// <c>POST /bing-grounding</c>, <c>POST /agents/{name}</c> and the MCP tools; the owner continues and ends its thread.
/// </summary>
public sealed class ThreadOwnershipTests
{
    private const string AliceKey = "alice-thread-owner-key-0123456789abcdef";
    private const string BobKey = "bob-thread-owner-key-fedcba9876543210";
    private const string UnknownThread = "thread_DoesNotExist0123456789";

    private AgentApiFactory _factory = null!;
    private HttpClient _http = null!;

    private static string Sha256Hex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    [OneTimeSetUp]
    public void StartApi()
    {
        _factory = new AgentApiFactory(settings: new Dictionary<string, string>
        {
            ["API_KEYS"] = string.Empty,
            ["Auth:ApiKeys:0:Name"] = "alice",
            ["Auth:ApiKeys:0:KeyHash"] = Sha256Hex(AliceKey),
            ["Auth:ApiKeys:1:Name"] = "bob",
            ["Auth:ApiKeys:1:KeyHash"] = Sha256Hex(BobKey),
        });
        _http = _factory.CreateClient();
        _factory.Simulator.Options.Agents.RunStepDelayMs = 5;
    }

    [OneTimeTearDown]
    public async Task StopApi()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
    }

    [SetUp]
    public void ResetSimulator() => _factory.Store.Reset();

    private async Task<HttpResponseMessage> Ask(string key, string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = HttpAssertions.Json(JsonSerializer.Serialize(body)) };
        request.Headers.Add("api-key", key);
        return await _http.SendAsync(request);
    }

    private async Task<string> AliceKeepsAThread()
    {
        using var response = await Ask(AliceKey, "/bing-grounding", new { query = "Who won the match?", keep_thread = true });
        var body = await response.ReadJsonAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        return body.GetProperty("thread_id").GetString()!;
    }

    private static async Task<string> AssertThreadNotFoundAsync(HttpResponseMessage response)
    {
        var problem = await response.AssertProblemAsync(HttpStatusCode.NotFound, "thread_not_found");
        Assert.That(problem.GetProperty("type").GetString(), Is.EqualTo("https://tools.ietf.org/html/rfc9110#section-15.5.5"));
        return problem.GetProperty("title").GetString() + " | " + problem.GetProperty("detail").GetString();
    }

    public static IEnumerable<TestCaseData> ContinueAndEnd()
    {
        foreach (var path in new[] { "/bing-grounding", "/agents/plain", "/agents/bing-grounding" })
        {
            yield return new TestCaseData(path, null).SetArgDisplayNames(path, "continue");
            yield return new TestCaseData(path, true).SetArgDisplayNames(path, "continue, keep_thread true");
            yield return new TestCaseData(path, false).SetArgDisplayNames(path, "end, keep_thread false");
        }
    }

    [TestCaseSource(nameof(ContinueAndEnd))]
    public async Task AnotherClientsThread_AndAnUnknownThread_Answer404ThreadNotFound_TheSameWay(string path, bool? keep)
    {
        var threadId = await AliceKeepsAThread();

        using var foreign = await Ask(BobKey, path, new { query = "Let me in", thread_id = threadId, keep_thread = keep });
        using var unknown = await Ask(BobKey, path, new { query = "Let me in", thread_id = UnknownThread, keep_thread = keep });
        using var unknownToAlice = await Ask(AliceKey, path, new { query = "Hello?", thread_id = UnknownThread, keep_thread = keep });

        var foreignProblem = await AssertThreadNotFoundAsync(foreign);
        var unknownProblem = await AssertThreadNotFoundAsync(unknown);
        await AssertThreadNotFoundAsync(unknownToAlice);
        var thread = _factory.Store.FindThread(threadId)!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(unknownProblem, Is.EqualTo(foreignProblem), "bob cannot tell alice's thread from one that does not exist");
            Assert.That(thread.Deleted, Is.False, "alice's thread is not deleted");
            Assert.That(thread.MessageCount, Is.EqualTo(2), "nothing was added to alice's thread");
            Assert.That(thread.RunIds, Has.Count.EqualTo(1), "no run was started on alice's thread");
        }
    }

    [TestCase("/bing-grounding")]
    [TestCase("/agents/plain")]
    public async Task TheOwner_ContinuesItsThread_AndEndsIt(string path)
    {
        var threadId = await AliceKeepsAThread();

        using var next = await Ask(AliceKey, path, new { query = "And the score?", thread_id = threadId });
        var nextBody = await next.ReadJsonAsync();
        Assert.That(next.StatusCode, Is.EqualTo(HttpStatusCode.OK), nextBody.ToString());
        Assert.That(nextBody.GetProperty("thread_id").GetString(), Is.EqualTo(threadId));

        using var last = await Ask(AliceKey, path, new { query = "Thanks", thread_id = threadId, keep_thread = false });
        var lastBody = await last.ReadJsonAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(last.StatusCode, Is.EqualTo(HttpStatusCode.OK), lastBody.ToString());
            Assert.That(lastBody.TryGetProperty("thread_id", out _), Is.False);
            Assert.That(_factory.Store.FindThread(threadId)!.Deleted, Is.True);
            Assert.That(_factory.Store.FindThread(threadId)!.MessageCount, Is.EqualTo(6));
        }

        using var afterwards = await Ask(AliceKey, path, new { query = "Still there?", thread_id = threadId });
        await AssertThreadNotFoundAsync(afterwards);
    }

    [TestCase("/bing-grounding")]
    [TestCase("/agents/plain")]
    public async Task Streaming_AnotherClientsThread_Is404BeforeAnyEvent_AndTheOwnerStreamsOnIt(string path)
    {
        var threadId = await AliceKeepsAThread();

        using var foreign = await Ask(BobKey, path + "?stream=true", new { query = "Let me in", thread_id = threadId });
        using var unknown = await Ask(BobKey, path + "?stream=true", new { query = "Let me in", thread_id = UnknownThread });
        using var own = await Ask(AliceKey, path + "?stream=true", new { query = "And the score?", thread_id = threadId });

        Assert.That(await AssertThreadNotFoundAsync(foreign), Is.EqualTo(await AssertThreadNotFoundAsync(unknown)));
        var ownText = await own.Content.ReadAsStringAsync();
        var done = ServerSentEvent.Parse(ownText)[^1];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(own.StatusCode, Is.EqualTo(HttpStatusCode.OK), ownText);
            Assert.That(own.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
            Assert.That(done.Name, Is.EqualTo("done"));
            Assert.That(done.Json.GetProperty("thread_id").GetString(), Is.EqualTo(threadId));
            Assert.That(_factory.Store.FindThread(threadId)!.MessageCount, Is.EqualTo(4), "only alice's question was added");
        }
    }

    [Test]
    public async Task TheThreadRecordsAHashOfItsOwner_NeverItsNameOrKey()
    {
        var threadId = await AliceKeepsAThread();

        var metadata = _factory.Store.GetThread(threadId).Metadata;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(metadata.Keys, Is.EqualTo(new[] { "wrapper_owner" }));
            Assert.That(metadata["wrapper_owner"], Is.EqualTo(ThreadOwnership.OwnerOf("alice")));
            Assert.That(metadata["wrapper_owner"], Does.Match("^[0-9a-f]{64}$"));
            Assert.That(string.Concat(metadata.Values), Does.Not.Contain("alice").And.Not.Contain(AliceKey).And.Not.Contain(Sha256Hex(AliceKey)));
        }
    }

    [Test]
    public async Task TheMcpTools_ApplyTheSameRule()
    {
        var threadId = await AliceKeepsAThread();
        await using var bob = await McpTestClient.ConnectAsync(_factory, BobKey);
        await using var alice = await McpTestClient.ConnectAsync(_factory, AliceKey);

        var results = new List<(string Who, CallToolResult Result)>();
        foreach (var tool in new[] { "bing_grounding", "ask_agent_plain" })
        {
            foreach (var keep in new bool?[] { null, false })
            {
                results.Add(($"bob {tool} {keep} on alice's thread", await bob.CallToolAsync(tool,
                    new Dictionary<string, object?> { ["query"] = "Let me in", ["thread_id"] = threadId, ["keep_thread"] = keep })));
                results.Add(($"bob {tool} {keep} on an unknown thread", await bob.CallToolAsync(tool,
                    new Dictionary<string, object?> { ["query"] = "Let me in", ["thread_id"] = UnknownThread, ["keep_thread"] = keep })));
            }
        }

        using (Assert.EnterMultipleScope())
        {
            foreach (var (who, result) in results)
            {
                Assert.That(result.IsError, Is.True, who);
                Assert.That(McpTestClient.Text(result), Does.StartWith("thread_not_found (404): "), who);
            }

            Assert.That(results.Select(r => McpTestClient.Text(r.Result)).Distinct().Count(), Is.EqualTo(1), "foreign and unknown threads read the same");
            Assert.That(_factory.Store.FindThread(threadId)!.Deleted, Is.False);
            Assert.That(_factory.Store.FindThread(threadId)!.MessageCount, Is.EqualTo(2));
        }

        var ended = await alice.CallToolAsync("ask_agent_plain",
            new Dictionary<string, object?> { ["query"] = "Thanks", ["thread_id"] = threadId, ["keep_thread"] = false });
        Assert.That(ended.IsError, Is.Not.True, McpTestClient.Text(ended));
        Assert.That(_factory.Store.FindThread(threadId)!.Deleted, Is.True);
    }

}

/// <summary>With authentication off (no client key, no Entra ID), every caller is the one client <c>anonymous</c>: they
/// share their threads, as they share everything else on an open service.</summary>
public sealed class AnonymousThreadOwnershipTests : AgentApiTests
{
    [Test]
    public async Task AnonymousCallers_AreOneOwner()
    {
        Factory.Store.Reset();
        using var first = await Client.PostAsync("/bing-grounding", HttpAssertions.Json("""{"query":"Hi","keep_thread":true}"""));
        var threadId = (await first.ReadJsonAsync()).GetProperty("thread_id").GetString()!;
        var owner = Factory.Store.GetThread(threadId).Metadata["wrapper_owner"];

        using var other = Factory.CreateClient();
        using var second = await other.PostAsync("/agents/plain", HttpAssertions.Json($$"""{"query":"And then?","thread_id":"{{threadId}}","keep_thread":false}"""));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK), await second.Content.ReadAsStringAsync());
            Assert.That(Factory.Store.FindThread(threadId)!.Deleted, Is.True);
            Assert.That(owner, Is.EqualTo(ThreadOwnership.OwnerOf("anonymous")));
        }
    }
}
