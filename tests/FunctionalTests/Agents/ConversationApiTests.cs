using System.Net;
using System.Text;
using System.Text.Json;
using Moq;
using Wrapper.Application.Agents;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Agents;
using Wrapper.FunctionalTests.Infrastructure;
using Wrapper.FunctionalTests.Mcp;

namespace Wrapper.FunctionalTests.Agents;

/// <summary><c>conversation_id</c> through REST and MCP, with one agent on each protocol (a Moq gateway): the id of the
/// agent's kind is continued and returned, the other kind or both is a 400 naming the field, and a conversation that is
/// not the caller's is 404 <c>conversation_not_found</c>.</summary>
public sealed class ConversationApiTests : FakeGatewayApiTests
{
    private static readonly Citation Source = new(1, CitationType.Url, "https://www.example.com/a", "A");

    private Task<HttpResponseMessage> Post(string path, object? body = null) =>
        Client.PostAsync(path, body is null ? null : HttpAssertions.Json(JsonSerializer.Serialize(body)));

    [Test]
    public async Task AConversationAgent_ContinuesAConversationId_AndAnswersItBack_WithoutAThreadId()
    {
        Answers(new AgentAnswer("Rates held.", [Source], null, OwnConversation));

        using var response = await Post($"/agents/{ResponsesAgent}?conversation_id={OwnConversation}", new { query = "And rates?" });

        var body = await response.ReadJsonAsync();
        var (agent, question) = LastQuestion();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
            Assert.That(body.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "content", "citations", "conversation_id" }));
            Assert.That(body.GetProperty("conversation_id").GetString(), Is.EqualTo(OwnConversation));
            Assert.That(agent, Is.EqualTo(ResponsesAgent));
            Assert.That(question, Is.EqualTo(new AgentQuestion("And rates?", null, KeepThread: true, ThreadOwnership.OwnerOf("anonymous"), OwnConversation)));
        }
    }

    [Test]
    public async Task KeepThreadFalse_EndsAConversation_AndTheAnswerCarriesNoId()
    {
        Answers(new AgentAnswer("Bye.", []));

        using var response = await Post($"/agents/{ResponsesAgent}", new { query = "Thanks", conversation_id = OwnConversation, keep_thread = false });

        var body = await response.ReadJsonAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
            Assert.That(body.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "content", "citations" }));
            Assert.That(LastQuestion().Question.KeepThread, Is.False);
            Assert.That(LastQuestion().Question.ConversationId, Is.EqualTo(OwnConversation));
        }
    }

    [Test]
    public async Task KeepThreadTrue_OnANewConversation_ReturnsItsConversationId()
    {
        Answers(new AgentAnswer("Hello.", [], null, "conv_new"));

        using var response = await Post($"/agents/{ResponsesAgent}?keep_thread=true&query=Hi");

        var body = await response.ReadJsonAsync();
        Assert.That(body.GetProperty("conversation_id").GetString(), Is.EqualTo("conv_new"));
        Assert.That(LastQuestion().Question, Is.EqualTo(new AgentQuestion("Hi", null, KeepThread: true, ThreadOwnership.OwnerOf("anonymous"))));
    }

    public static IEnumerable<TestCaseData> WrongKinds()
    {
        foreach (var stream in new[] { false, true })
        {
            var s = stream ? "&stream=true" : string.Empty;
            yield return new TestCaseData($"/agents/plain?query=hi&conversation_id={OwnConversation}{s}", "conversation_id",
                "'conversation_id' does not apply: agent 'plain' runs on classic threads; send 'thread_id'.").SetArgDisplayNames("classic agent, conversation_id", s);
            yield return new TestCaseData($"/bing-grounding?query=hi&conversation_id={OwnConversation}{s}", "conversation_id",
                "'conversation_id' does not apply: agent 'bing-grounding' runs on classic threads; send 'thread_id'.").SetArgDisplayNames("bing-grounding, conversation_id", s);
            yield return new TestCaseData($"/agents/{ResponsesAgent}?query=hi&thread_id={OwnThread}{s}", "thread_id",
                "'thread_id' does not apply: agent 'responses' runs on conversations (the new Agent Service protocol); send 'conversation_id'.").SetArgDisplayNames("new agent, thread_id", s);
            yield return new TestCaseData($"/agents/{ResponsesAgent}?query=hi&thread_id={OwnThread}&conversation_id={OwnConversation}{s}", "thread_id",
                "Send 'thread_id' or 'conversation_id', not both: agent 'responses' runs on conversations; send 'conversation_id' only.").SetArgDisplayNames("new agent, both", s);
            yield return new TestCaseData($"/agents/plain?query=hi&thread_id={OwnThread}&conversation_id={OwnConversation}{s}", "conversation_id",
                "Send 'thread_id' or 'conversation_id', not both: agent 'plain' runs on classic threads; send 'thread_id' only.").SetArgDisplayNames("classic agent, both", s);
        }
    }

    [TestCaseSource(nameof(WrongKinds))]
    public async Task AnIdOfTheWrongKind_OrBoth_IsA400NamingTheField_AndNothingIsAsked(string path, string field, string message)
    {
        using var response = await Post(path);

        var problem = await response.AssertValidationProblemAsync(field);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(problem.GetProperty("errors").EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { field }));
            Assert.That(problem.GetProperty("errors").GetProperty(field)[0].GetString(), Is.EqualTo(message));
        }

        Gateway.Verify(g => g.AskAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()), Times.Never);
        Gateway.Verify(g => g.StreamAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [TestCase(ForeignConversation, false)]
    [TestCase("conv_unknown", false)]
    [TestCase(ForeignConversation, true)]
    [TestCase("conv_unknown", true)]
    public async Task AnotherClientsConversation_OrAnUnknownOne_Is404ConversationNotFound_TheSameWay(string conversationId, bool stream)
    {
        Answers(new AgentAnswer("never", []));

        using var response = await Post($"/agents/{ResponsesAgent}?stream={(stream ? "true" : "false")}", new { query = "Let me in", conversation_id = conversationId });

        var problem = await response.AssertProblemAsync(HttpStatusCode.NotFound, "conversation_not_found");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(problem.GetProperty("title").GetString(), Is.EqualTo("No such conversation"));
            Assert.That(problem.GetProperty("detail").GetString(), Is.EqualTo("'conversation_id' names no conversation of this client (it may have ended or been deleted)."));
        }

        Gateway.Verify(g => g.AskAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()), Times.Never);
        Gateway.Verify(g => g.StreamAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Test]
    public async Task AConversationThatVanishesWhileAnswering_Is404ConversationNotFound()
    {
        Gateway.Setup(g => g.AskAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(ThreadNotFoundException.ForConversation(OwnConversation));

        using var response = await Post($"/agents/{ResponsesAgent}", new { query = "Hi", conversation_id = OwnConversation });

        await response.AssertProblemAsync(HttpStatusCode.NotFound, "conversation_not_found");
    }

    [Test]
    public async Task TheMcpTools_TakeAndReturnConversationIds_AndRefuseAForeignOne()
    {
        Answers(new AgentAnswer("Rates held.", [Source], null, OwnConversation));
        await using var mcp = await McpTestClient.ConnectAsync(Factory, "no-key-needed");

        var tools = await mcp.ListToolsAsync();
        var continued = await mcp.CallToolAsync("ask_agent_responses",
            new Dictionary<string, object?> { ["query"] = "And rates?", ["conversation_id"] = OwnConversation });
        var foreign = await mcp.CallToolAsync("ask_agent_responses",
            new Dictionary<string, object?> { ["query"] = "Let me in", ["conversation_id"] = ForeignConversation });
        var unknown = await mcp.CallToolAsync("ask_agent_responses",
            new Dictionary<string, object?> { ["query"] = "Let me in", ["conversation_id"] = "conv_unknown" });
        var wrongKind = await mcp.CallToolAsync("bing_grounding",
            new Dictionary<string, object?> { ["query"] = "Hi", ["conversation_id"] = OwnConversation });

        using (Assert.EnterMultipleScope())
        {
            foreach (var name in new[] { "bing_grounding", "ask_agent_responses", "ask_agent_plain" })
            {
                Assert.That(tools.Single(t => t.Name == name).JsonSchema.GetProperty("properties").TryGetProperty("conversation_id", out _), Is.True, name);
            }

            Assert.That(continued.IsError, Is.Not.True, McpTestClient.Text(continued));
            Assert.That(continued.StructuredContent!.Value.GetProperty("conversation_id").GetString(), Is.EqualTo(OwnConversation));
            Assert.That(continued.StructuredContent!.Value.TryGetProperty("thread_id", out _), Is.False);
            Assert.That(LastQuestion().Question.ConversationId, Is.EqualTo(OwnConversation));
            Assert.That(foreign.IsError, Is.True);
            Assert.That(McpTestClient.Text(foreign), Does.StartWith("conversation_not_found (404): "));
            Assert.That(McpTestClient.Text(unknown), Is.EqualTo(McpTestClient.Text(foreign)), "foreign and unknown conversations read the same");
            Assert.That(wrongKind.IsError, Is.True);
            Assert.That(McpTestClient.Text(wrongKind), Does.StartWith("validation_failed (400)").And.Contain("conversation_id: 'conversation_id' does not apply"));
        }
    }
}

/// <summary>The event stream of <c>POST /agents/{name}</c> and <c>POST /bing-grounding</c> against a Moq gateway: event
/// order and the final answer, a failure after the first event as <c>event: error</c>, a stream that ends without its
/// answer, and a client that leaves cancelling the upstream stream.</summary>
public sealed class AgentEventStreamTests : FakeGatewayApiTests
{
    private static readonly AgentAnswer Answer = new("Markets rose on Tuesday.",
        [new Citation(1, CitationType.Url, "https://www.example.com/a", "A"), new Citation(2, CitationType.File, "file_1", "handbook.pdf", "a quote")],
        null, OwnConversation);

    private Task<HttpResponseMessage> PostStream(string path, object body) =>
        Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = HttpAssertions.Json(JsonSerializer.Serialize(body)) },
            HttpCompletionOption.ResponseHeadersRead);

    [TestCase("/agents/responses")]
    [TestCase("/bing-grounding")]
    public async Task TheDeltasComeInOrder_ThenOneDoneWithTheWholeAnswer(string path)
    {
        Answers(Answer, "Markets ", "rose ", "on Tuesday.");

        using var response = await PostStream(path + "?stream=true", new { query = "Markets?" });
        var events = ServerSentEvent.Parse(await response.Content.ReadAsStringAsync());

        var done = events[^1].Json;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
            Assert.That(events.Select(e => e.Name), Is.EqualTo(new[] { "delta", "delta", "delta", "done" }));
            Assert.That(events.Take(3).Select(e => e.Json.GetRawText()), Is.EqualTo(new[]
            {
                """{"content":"Markets "}""", """{"content":"rose "}""", """{"content":"on Tuesday."}""",
            }));
            Assert.That(done.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "content", "citations", "conversation_id" }));
            Assert.That(done.GetProperty("content").GetString(), Is.EqualTo("Markets rose on Tuesday."));
            Assert.That(done.GetProperty("conversation_id").GetString(), Is.EqualTo(OwnConversation));
            Assert.That(done.GetProperty("citations").GetRawText(), Is.EqualTo(
                """[{"id":1,"type":"url","url":"https://www.example.com/a","title":"A"},{"id":2,"type":"file","url":"file_1","title":"handbook.pdf","quote":"a quote"}]"""));
        }
    }

    [Test]
    public async Task AnAnswerWithoutText_IsJustTheDoneEvent()
    {
        Answers(new AgentAnswer(string.Empty, []));

        using var response = await PostStream("/agents/plain?stream=true", new { query = "Say nothing" });
        var events = ServerSentEvent.Parse(await response.Content.ReadAsStringAsync());

        Assert.That(events.Select(e => e.Name), Is.EqualTo(new[] { "done" }));
        Assert.That(events[0].Json.GetRawText(), Is.EqualTo("""{"content":"","citations":[]}"""));
    }

    [Test]
    public async Task AFailureAfterTheFirstEvent_EndsTheStreamWithAnErrorEvent()
    {
        Gateway.Setup(g => g.StreamAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()))
            .Returns(() => Stream([new AgentTextDelta("Markets ")],
                new UpstreamException(UpstreamFailure.Throttled, "The Agent Service is throttling requests.", TimeSpan.FromSeconds(12), 429)));

        using var response = await PostStream("/agents/responses?stream=true", new { query = "Markets?" });
        var events = ServerSentEvent.Parse(await response.Content.ReadAsStringAsync());

        var error = events[^1].Json;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the status went out with the first event");
            Assert.That(events.Select(e => e.Name), Is.EqualTo(new[] { "delta", "error" }));
            Assert.That(error.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "type", "status", "title", "detail", "code", "retryAfterSeconds" }));
            Assert.That(error.GetProperty("status").GetInt32(), Is.EqualTo(429));
            Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("rate_limited"));
            Assert.That(error.GetProperty("detail").GetString(), Is.EqualTo("The Agent Service is throttling requests."));
            Assert.That(error.GetProperty("retryAfterSeconds").GetInt64(), Is.EqualTo(12));
            Assert.That(error.GetProperty("type").GetString(), Does.StartWith("https://"));
        }
    }

    [Test]
    public async Task AConversationThatVanishesMidStream_EndsWithAConversationNotFoundErrorEvent()
    {
        Gateway.Setup(g => g.StreamAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()))
            .Returns(() => Stream([new AgentTextDelta("Markets ")], ThreadNotFoundException.ForConversation(OwnConversation)));

        using var response = await PostStream("/agents/responses?stream=true", new { query = "Markets?", conversation_id = OwnConversation });
        var events = ServerSentEvent.Parse(await response.Content.ReadAsStringAsync());

        Assert.That(events.Select(e => e.Name), Is.EqualTo(new[] { "delta", "error" }));
        Assert.That(events[^1].Json.GetProperty("code").GetString(), Is.EqualTo("conversation_not_found"));
        Assert.That(events[^1].Json.GetProperty("status").GetInt32(), Is.EqualTo(404));
    }

    [Test]
    public async Task AStreamThatEndsWithoutItsAnswer_EndsWithAnErrorEvent_NotASilentCut()
    {
        Gateway.Setup(g => g.StreamAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()))
            .Returns(() => Stream([new AgentTextDelta("Markets "), new AgentTextDelta("rose")]));

        using var response = await PostStream("/agents/responses?stream=true", new { query = "Markets?" });
        var events = ServerSentEvent.Parse(await response.Content.ReadAsStringAsync());

        Assert.That(events.Select(e => e.Name), Is.EqualTo(new[] { "delta", "delta", "error" }));
        Assert.That(events[^1].Json.GetProperty("code").GetString(), Is.EqualTo("upstream_bad_response"));
        Assert.That(events[^1].Json.GetProperty("status").GetInt32(), Is.EqualTo(502));
    }

    [Test]
    public async Task AFailureBeforeTheFirstEvent_IsAnOrdinaryProblemWithRetryAfter()
    {
        Gateway.Setup(g => g.StreamAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()))
            .Returns(() => Stream([], new UpstreamException(UpstreamFailure.Unavailable, "The Agent Service is unavailable.", TimeSpan.FromSeconds(9), 503)));

        using var response = await PostStream("/bing-grounding?stream=true", new { query = "Markets?" });

        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "upstream_unavailable");
        Assert.That(response.RetryAfter(), Is.EqualTo("9"));
    }

    [Test]
    public async Task AStreamWithNoUpdateAtAll_IsA502ProblemBeforeAnyEvent()
    {
        Gateway.Setup(g => g.StreamAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()))
            .Returns(() => Stream([]));

        using var response = await PostStream("/agents/plain?stream=true", new { query = "Markets?" });

        await response.AssertProblemAsync(HttpStatusCode.BadGateway, "upstream_bad_response");
    }

    [Test]
    public async Task AClientThatLeaves_CancelsTheUpstreamStream()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Gateway.Setup(g => g.StreamAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()))
            .Returns((string _, AgentQuestion _, CancellationToken token) => SlowStream(token, cancelled));

        using (var response = await PostStream("/agents/responses?stream=true", new { query = "A long story" }))
        {
            await using var body = await response.Content.ReadAsStreamAsync();
            using var reader = new StreamReader(body, Encoding.UTF8);
            var first = await ServerSentEvent.ReadAsync(reader);
            Assert.That(first?.Name, Is.EqualTo("delta"), "the first event arrived while the answer was still being written");
            Assert.That(cancelled.Task.IsCompleted, Is.False);
        }

        // The upstream would go on for ten minutes: only the client's leaving ends it.
        var ended = await Task.WhenAny(cancelled.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.That(ended, Is.SameAs(cancelled.Task), "the upstream stream was cancelled with the client's request");
    }

    private static async IAsyncEnumerable<AgentStreamUpdate> SlowStream(CancellationToken token, TaskCompletionSource cancelled,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken enumeration = default)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(token, enumeration);
        using var registration = either.Token.Register(() => cancelled.TrySetResult());
        yield return new AgentTextDelta("Once upon a time");
        await Task.Delay(TimeSpan.FromMinutes(10), either.Token);
        yield return new AgentAnswerCompleted(new AgentAnswer("Once upon a time", []));
    }
}
