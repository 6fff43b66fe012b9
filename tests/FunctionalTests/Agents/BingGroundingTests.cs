extern alias simulator;

using System.Net;
using System.Text.Json;
using Wrapper.FunctionalTests.Infrastructure;
using simulator::Wrapper.Simulator;

namespace Wrapper.FunctionalTests.Agents;

/// <summary>POST /bing-grounding through the whole API, against the embedded simulator over https.</summary>
public sealed class BingGroundingTests : AgentApiTests
{
    [SetUp]
    public void ResetSimulator()
    {
        Factory.Simulator.Faults.Clear();
        Factory.Store.Reset();
    }

    private Task<HttpResponseMessage> Ask(string queryString, string? json = null) =>
        Client.PostAsync("/bing-grounding" + queryString, json is null ? null : HttpAssertions.Json(json));

    private void AssertEveryThreadDeleted()
    {
        var counters = Factory.Store.GetCounters();
        Assert.That((counters.ThreadsCreated, counters.ThreadsDeleted), Is.EqualTo((1, 1)), "one thread, deleted");
    }

    [Test]
    public async Task ShouldAnswerTheQueryStringQuestion_WithoutMarkers_AndWithNumberedCitations()
    {
        using var response = await Ask("?query=" + Uri.EscapeDataString("What happened in finance today?"));

        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var body = JsonDocument.Parse(text).RootElement;
        var citations = body.GetProperty("citations").EnumerateArray().ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(body.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "content", "citations" }));
            Assert.That(body.GetProperty("content").GetString(), Does.Contain("What happened in finance today").And.Not.Contain("【").And.Not.Contain("  "));
            Assert.That(citations.Select(c => c.GetProperty("id").GetInt32()), Is.EqualTo(new[] { 1, 2, 3 }));
            Assert.That(citations.Select(c => c.GetProperty("type").GetString()), Is.All.EqualTo("url"));
            Assert.That(citations[0].EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "id", "type", "url", "title" }));
            Assert.That(citations[0].GetProperty("url").GetString(), Is.EqualTo("https://www.bing.com/search?q=What%20happened%20in%20finance%20today"));
            Assert.That(citations[0].GetProperty("title").GetString(), Is.EqualTo("What happened in finance today - Bing"));
            Assert.That(text, Does.Not.Contain(Factory.Simulator.Options.AgentBearerToken!), "the simulator's token never shows");
        }

        AssertEveryThreadDeleted();
    }

    [Test]
    public async Task ShouldAcceptAJsonBody()
    {
        using var response = await Ask("", """{"query":"Qué pasó hoy en los mercados 📈?"}""");

        var body = await response.ReadJsonAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        Assert.That(body.GetProperty("content").GetString(), Does.Contain("Qué pasó hoy en los mercados 📈"));
    }

    [Test]
    public async Task ShouldPreferTheQueryStringOverTheBody()
    {
        using var response = await Ask("?query=from-the-url", """{"query":"from the body"}""");

        var body = await response.ReadJsonAsync();
        Assert.That(body.GetProperty("content").GetString(), Does.Contain("from-the-url").And.Not.Contain("from the body"));
    }

    [TestCase("")]
    [TestCase("?query=")]
    [TestCase("?query=%20%20")]
    [TestCase("?query=bad%00byte")]
    public async Task ShouldRejectAMissingBlankOrControlCharacterQuery(string queryString)
    {
        using var response = await Ask(queryString);

        await response.AssertValidationProblemAsync("query");
        Assert.That(Factory.Store.GetCounters().ThreadsCreated, Is.Zero, "nothing reached the Agent Service");
    }

    [Test]
    public async Task ShouldRejectAnOverlongQuery()
    {
        using var response = await Ask("", JsonSerializer.Serialize(new { query = new string('a', 32_001) }));

        await response.AssertValidationProblemAsync("query");
    }

    [Test]
    public async Task ShouldRejectMalformedJson()
    {
        using var response = await Ask("", """{"query": """);

        await response.AssertValidationProblemAsync("body");
    }

    [TestCase("?query=hi&thread_id=..%2Fassistants", "thread_id")]
    [TestCase("?query=hi&keep_thread=maybe", "keep_thread")]
    public async Task ShouldRejectBadConversationFields(string queryString, string field)
    {
        using var response = await Ask(queryString);

        await response.AssertValidationProblemAsync(field);
    }

    [Test]
    public async Task ShouldContinueAKeptConversation_AndEndItOnRequest()
    {
        using var first = await Ask("", """{"query":"Who won the match?","keep_thread":true}""");
        var threadId = (await first.ReadJsonAsync()).GetProperty("thread_id").GetString();
        Assert.That(threadId, Does.StartWith("thread_"));

        using var second = await Ask($"?query=And%20the%20score%3F&thread_id={threadId}");
        var secondBody = await second.ReadJsonAsync();
        Assert.That(secondBody.GetProperty("thread_id").GetString(), Is.EqualTo(threadId));
        Assert.That(Factory.Store.FindThread(threadId!)!.MessageCount, Is.EqualTo(4));

        using var last = await Ask("", $$"""{"query":"Thanks","thread_id":"{{threadId}}","keep_thread":false}""");
        var lastBody = await last.ReadJsonAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(last.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(lastBody.TryGetProperty("thread_id", out _), Is.False);
            Assert.That(Factory.Store.FindThread(threadId!)!.Deleted, Is.True);
        }
    }

    [Test]
    public async Task ShouldAnswer404ForAThreadThatDoesNotExist()
    {
        using var response = await Ask("?query=hi&thread_id=thread_gone");

        var problem = await response.AssertProblemAsync(HttpStatusCode.NotFound, "thread_not_found");
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("thread_id"));
        Assert.That(Factory.Store.GetCounters().MessagesCreated, Is.Zero, "nothing was asked");
    }

    [TestCase(401, HttpStatusCode.BadGateway, "upstream_authentication_failed")]
    [TestCase(403, HttpStatusCode.BadGateway, "upstream_authentication_failed")]
    [TestCase(404, HttpStatusCode.BadGateway, "upstream_not_found")]
    [TestCase(500, HttpStatusCode.ServiceUnavailable, "upstream_unavailable")]
    [TestCase(503, HttpStatusCode.ServiceUnavailable, "upstream_unavailable")]
    [TestCase(504, HttpStatusCode.GatewayTimeout, "upstream_timeout")]
    public async Task ShouldMapAgentServiceErrorsToHonestStatuses(int upstream, HttpStatusCode expected, string code)
    {
        Factory.Simulator.Faults.Add(new FaultSpec { Status = upstream, Target = FaultInjector.AgentsTarget });

        using var response = await Ask("?query=hi");

        await response.AssertProblemAsync(expected, code);
    }

    [Test]
    public async Task ShouldPassThrottlingOnWithRetryAfter()
    {
        Factory.Simulator.Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 30, Target = FaultInjector.AgentsTarget });

        using var response = await Ask("?query=hi");

        await response.AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.That(response.RetryAfter(), Is.EqualTo("30"));
    }

    [TestCase("[simulate:fail]", HttpStatusCode.ServiceUnavailable, "upstream_unavailable")]
    [TestCase("[simulate:rate_limit]", HttpStatusCode.TooManyRequests, "rate_limited")]
    [TestCase("[simulate:expire]", HttpStatusCode.GatewayTimeout, "upstream_timeout")]
    [TestCase("[simulate:empty]", HttpStatusCode.BadGateway, "upstream_bad_response")]
    public async Task ShouldReportARunThatDidNotComplete_AndDeleteItsThread(string question, HttpStatusCode expected, string code)
    {
        using var response = await Ask("?query=" + Uri.EscapeDataString(question));

        await response.AssertProblemAsync(expected, code);
        AssertEveryThreadDeleted();
    }
}

/// <summary>The run deadline through the whole API: a short one (3 s, against a <c>[simulate:slow]</c> run that stays
/// in_progress for two minutes), on a connection warmed up first, so that a busy machine cannot spend the deadline
/// before the run exists.</summary>
public sealed class RunDeadlineTests() : AgentApiTests(runDeadlineSeconds: "3")
{
    [OneTimeSetUp]
    public async Task WarmUp()
    {
        // Warm up (JIT, TLS to the simulator), so that the deadline below is spent on the run itself.
        using var warmUp = await Client.PostAsync("/bing-grounding?query=warm-up", null);
        Factory.Store.Reset();
    }

    [Test]
    public async Task ShouldCancelARunPastTheDeadline_AndAnswer504()
    {
        using var response = await Client.PostAsync("/bing-grounding?query=" + Uri.EscapeDataString("[simulate:slow] hi"), null);

        var problem = await response.AssertProblemAsync(HttpStatusCode.GatewayTimeout, "upstream_timeout");
        var counters = Factory.Store.GetCounters();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("3 seconds"));
            Assert.That(counters.CancelRequests, Is.EqualTo(1), "the run was cancelled");
            Assert.That((counters.ThreadsCreated, counters.ThreadsDeleted), Is.EqualTo((1, 1)), "one thread, deleted");
        }
    }
}
