extern alias simulator;

using System.Net;
using System.Text.Json;
using Wrapper.FunctionalTests.Infrastructure;
using simulator::Wrapper.Simulator;

namespace Wrapper.FunctionalTests.Agents;

/// <summary><c>POST /bing-grounding</c> and <c>POST /agents/{name}</c> with <c>stream=true</c> through the whole API and
/// the embedded simulator over https: <c>delta</c> events, then one <c>done</c> event carrying the same answer as the JSON
/// answer (citations, thread id); failures before the first event are ordinary ProblemDetails.</summary>
public sealed class AgentStreamingTests : AgentApiTests
{
    private const string Question = "What happened in finance today?";

    [SetUp]
    public void ResetSimulator()
    {
        Factory.Simulator.Faults.Clear();
        Factory.Store.Reset();
    }

    private Task<HttpResponseMessage> Post(string path, string? json = null) =>
        Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = json is null ? null : HttpAssertions.Json(json) },
            HttpCompletionOption.ResponseHeadersRead);

    private static async Task<List<ServerSentEvent>> ReadEventsAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"), text);
        return ServerSentEvent.Parse(text);
    }

    public static IEnumerable<TestCaseData> StreamRequests()
    {
        var query = "?query=" + Uri.EscapeDataString(Question);
        yield return new TestCaseData("/bing-grounding" + query + "&stream=true", null, "/bing-grounding" + query).SetArgDisplayNames("bing-grounding, query string");
        yield return new TestCaseData("/bing-grounding", $$"""{"query":"{{Question}}","stream":true}""", "/bing-grounding" + query).SetArgDisplayNames("bing-grounding, body");
        yield return new TestCaseData("/agents/bing-grounding?stream=true", $$"""{"query":"{{Question}}"}""", "/agents/bing-grounding" + query).SetArgDisplayNames("agents/bing-grounding, mixed");
    }

    [TestCaseSource(nameof(StreamRequests))]
    public async Task StreamTrue_AnswersDeltasThenOneDone_WithTheJsonAnswersContentAndCitations(string path, string? body, string plainPath)
    {
        using var response = await Post(path, body);
        var events = await ReadEventsAsync(response);
        using var plain = await Client.PostAsync(plainPath, null);
        var whole = await plain.ReadJsonAsync();

        var deltas = events.Where(e => e.Name == "delta").Select(e => e.Json.GetProperty("content").GetString()!).ToList();
        var done = events[^1];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Headers.CacheControl?.NoCache, Is.True);
            Assert.That(events.Select(e => e.Name), Is.EqualTo(Enumerable.Repeat("delta", deltas.Count).Append("done")), "deltas, then done, nothing else");
            Assert.That(deltas, Is.Not.Empty.And.All.Not.Empty);
            Assert.That(string.Concat(deltas), Does.Not.Contain("【"));
            Assert.That(string.Concat(deltas).Trim(), Is.EqualTo(done.Json.GetProperty("content").GetString()));
            Assert.That(done.Json.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "content", "citations" }), "no thread was kept");
            Assert.That(done.Json.GetProperty("content").GetString(), Is.EqualTo(whole.GetProperty("content").GetString()));
            Assert.That(done.Json.GetProperty("citations").GetRawText(), Is.EqualTo(whole.GetProperty("citations").GetRawText()));
            Assert.That(done.Json.GetProperty("citations").GetArrayLength(), Is.EqualTo(3));
        }

        var counters = Factory.Store.GetCounters();
        Assert.That((counters.ThreadsCreated, counters.ThreadsDeleted), Is.EqualTo((2, 2)), "both questions' threads deleted");
    }

    [Test]
    public async Task TheQueryStringsStream_WinsOverTheBodys()
    {
        using var streamed = await Post("/agents/plain?stream=true", """{"query":"hi","stream":false}""");
        using var plain = await Post("/agents/plain?stream=false", """{"query":"hi","stream":true}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(streamed.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
            Assert.That(plain.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        }
    }

    [Test]
    public async Task AKeptThread_IsCarriedByTheDoneEvent_AndContinuedByTheNextStream()
    {
        using var first = await Post("/bing-grounding?stream=true", """{"query":"Who won the match?","keep_thread":true}""");
        var threadId = (await ReadEventsAsync(first))[^1].Json.GetProperty("thread_id").GetString();
        Assert.That(threadId, Does.StartWith("thread_"));

        using var second = await Post($"/agents/plain?stream=true&thread_id={threadId}", """{"query":"And the score?"}""");
        var done = (await ReadEventsAsync(second))[^1];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(done.Name, Is.EqualTo("done"));
            Assert.That(done.Json.GetProperty("thread_id").GetString(), Is.EqualTo(threadId));
            Assert.That(done.Json.TryGetProperty("conversation_id", out _), Is.False);
            Assert.That(Factory.Store.FindThread(threadId!)!.MessageCount, Is.EqualTo(4));
        }
    }

    [TestCase("/bing-grounding?stream=true&query=%20", "query")]
    [TestCase("/agents/nope?stream=true&query=hi", "agent")]
    [TestCase("/bing-grounding?stream=true&query=hi&thread_id=..%2Fx", "thread_id")]
    [TestCase("/bing-grounding?stream=true&query=hi&conversation_id=..%2Fx", "conversation_id")]
    [TestCase("/bing-grounding?stream=maybe&query=hi", "stream")]
    public async Task AnInvalidStreamedQuestion_IsAValidationProblem_BeforeAnyEvent(string path, string field)
    {
        using var response = await Post(path);

        await response.AssertValidationProblemAsync(field);
        Assert.That(Factory.Store.GetCounters().ThreadsCreated, Is.Zero, "nothing reached the Agent Service");
    }

    [Test]
    public async Task AnUnknownThread_Is404ThreadNotFound_BeforeAnyEvent()
    {
        using var response = await Post("/bing-grounding?stream=true&query=hi&thread_id=thread_gone");

        await response.AssertProblemAsync(HttpStatusCode.NotFound, "thread_not_found");
    }

    [TestCase(503, HttpStatusCode.ServiceUnavailable, "upstream_unavailable")]
    [TestCase(401, HttpStatusCode.BadGateway, "upstream_authentication_failed")]
    public async Task AnAgentServiceFailureBeforeTheFirstEvent_IsAnOrdinaryProblem(int upstream, HttpStatusCode expected, string code)
    {
        Factory.Simulator.Faults.Add(new FaultSpec { Status = upstream, Target = FaultInjector.AgentsTarget });

        using var response = await Post("/bing-grounding?stream=true&query=hi");

        await response.AssertProblemAsync(expected, code);
    }

    [Test]
    public async Task ARunThatFails_BeforeTheFirstEvent_IsAnOrdinaryProblem_AndItsThreadIsDeleted()
    {
        using var response = await Post("/agents/bing-grounding?stream=true&query=" + Uri.EscapeDataString("[simulate:fail] hi"));

        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "upstream_unavailable");
        var counters = Factory.Store.GetCounters();
        Assert.That((counters.ThreadsCreated, counters.ThreadsDeleted), Is.EqualTo((1, 1)));
    }

    [Test]
    public async Task TheEventsDataIsOneLineOfJsonEach()
    {
        using var response = await Post("/bing-grounding?stream=true&query=" + Uri.EscapeDataString("line one\nline two \"quoted\""));

        var text = await response.Content.ReadAsStringAsync();
        var blocks = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.That(blocks, Has.All.Match("^event: (delta|done)\ndata: \\{.*\\}$"));
        Assert.That(JsonDocument.Parse(blocks[^1]["event: done\ndata: ".Length..]).RootElement.GetProperty("content").GetString(),
            Does.Contain("\"quoted\""));
    }
}
