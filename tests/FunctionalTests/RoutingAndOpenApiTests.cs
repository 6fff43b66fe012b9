using System.Net;
using System.Text.Json;
using Wrapper.FunctionalTests.Infrastructure;

namespace Wrapper.FunctionalTests;

public sealed class RoutingAndOpenApiTests : EmbeddedApiTests
{
    [Test]
    public async Task ShouldAnswerUnknownRouteWith404ProblemDetails()
    {
        using var response = await Client.GetAsync("/no-such-route");

        var problem = await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.That(problem.GetProperty("instance").GetString(), Is.EqualTo("/no-such-route"));
    }

    [Test]
    public async Task ShouldAnswerWrongMethodWith405ProblemDetails()
    {
        using var response = await Client.DeleteAsync("/completion");

        await response.AssertProblemAsync(HttpStatusCode.MethodNotAllowed);
    }

    [Test]
    public async Task ShouldServeSwaggerUi()
    {
        using var response = await Client.GetAsync("/swagger/index.html");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
    }

    [Test]
    public async Task ShouldDescribeEveryEndpointResponseAndError()
    {
        using var response = await Client.GetAsync("/swagger/v1/swagger.json");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var document = await response.ReadJsonAsync();

        Assert.That(document.GetProperty("info").GetProperty("title").GetString(), Is.EqualTo("Wrapper"));
        Assert.That(document.GetProperty("info").GetProperty("description").GetString(), Does.Contain("SIMULATED"));
        var paths = document.GetProperty("paths");
        Assert.Multiple(() =>
        {
            AssertResponses(paths, "/completion", "get", "200", "400", "429", "500", "502", "503", "504");
            AssertResponses(paths, "/chat", "post", "200", "400", "413", "415", "429", "500", "502", "503", "504");
            AssertResponses(paths, "/health", "get", "200", "401", "429", "500", "503");
        });

        var completion = paths.GetProperty("/completion").GetProperty("get");
        Assert.That(completion.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()),
            Is.SupersetOf(new[] { "query", "X-APIM-Correlation-Id" }));
        Assert.That(completion.GetProperty("responses").GetProperty("429").GetProperty("headers").TryGetProperty("Retry-After", out _), Is.True);

        var schemas = document.GetProperty("components").GetProperty("schemas");
        Assert.Multiple(() =>
        {
            Assert.That(Properties(schemas, "CompletionResponse"), Is.SupersetOf(new[] { "content", "model", "finish_reason", "usage" }));
            Assert.That(Properties(schemas, "UsageResponse"), Is.EquivalentTo(new[] { "prompt_tokens", "completion_tokens", "total_tokens" }));
            Assert.That(Properties(schemas, "ChatRequest"), Is.EquivalentTo(new[] { "messages", "stream" }));
            Assert.That(Properties(schemas, "ChatMessageRequest"), Is.EquivalentTo(new[] { "role", "content" }));
            Assert.That(Properties(schemas, "HealthResponse"), Is.SupersetOf(new[] { "status", "azure_openai" }));
            Assert.That(Properties(schemas, "HealthErrorResponse"), Is.EquivalentTo(new[] { "status", "error", "message", "details" }));
            Assert.That(schemas.TryGetProperty("ValidationProblemDetails", out _), Is.True);
        });
    }

    [Test]
    public async Task ShouldDescribeTheChatEventStream()
    {
        using var response = await Client.GetAsync("/swagger/v1/swagger.json");
        var document = await response.ReadJsonAsync();
        var events = document.GetProperty("paths").GetProperty("/chat").GetProperty("post").GetProperty("responses")
            .GetProperty("200").GetProperty("content").GetProperty("text/event-stream");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(events.GetProperty("schema").GetProperty("description").GetString(), Does.Contain("ChatStreamDoneEvent"));
            Assert.That(events.GetProperty("example").GetString(), Does.Contain("event: done\ndata: {\"model\":"));
            Assert.That(Properties(document.GetProperty("components").GetProperty("schemas"), "ChatStreamDoneEvent"),
                Is.EquivalentTo(new[] { "model", "finish_reason", "usage" }));
        }
    }

    [TestCase("/bing-grounding")]
    [TestCase("/agents/{name}")]
    public async Task ShouldDescribeConversationIds_StreamingAndTheirErrors(string path)
    {
        using var response = await Client.GetAsync("/swagger/v1/swagger.json");
        var document = await response.ReadJsonAsync();
        var operation = document.GetProperty("paths").GetProperty(path).GetProperty("post");
        var responses = operation.GetProperty("responses");
        var schemas = document.GetProperty("components").GetProperty("schemas");

        var ok = responses.GetProperty("200").GetProperty("content");
        var events = ok.GetProperty("text/event-stream");
        var eventText = events.GetProperty("schema").GetProperty("description").GetString();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(operation.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()),
                Is.SupersetOf(new[] { "query", "thread_id", "conversation_id", "keep_thread", "stream" }));
            Assert.That(Properties(schemas, "AgentQuestionRequest"), Is.EquivalentTo(new[] { "query", "thread_id", "conversation_id", "keep_thread", "stream" }));
            Assert.That(Properties(schemas, "AgentAnswerResponse"), Is.EquivalentTo(new[] { "content", "citations", "thread_id", "conversation_id" }));
            Assert.That(ok.GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString(), Does.EndWith("/AgentAnswerResponse"));
            Assert.That(events.GetProperty("schema").GetProperty("type").GetString(), Is.EqualTo("string"));
            Assert.That(eventText, Does.Contain("`delta`").And.Contain("`done`").And.Contain("`error`").And.Contain("AgentAnswerResponse"));
            Assert.That(events.GetProperty("example").GetString(), Does.StartWith("event: delta\ndata: {\"content\":").And.Contain("event: done\ndata: {\"content\":"));
            Assert.That(events.GetProperty("x-oai-itemSchema").GetProperty("oneOf").EnumerateArray().Select(s => s.GetProperty("$ref").GetString()),
                Is.EqualTo(new[] { "#/components/schemas/StreamDeltaEvent", "#/components/schemas/AgentAnswerResponse", "#/components/schemas/StreamErrorEvent" }));
            Assert.That(Properties(schemas, "StreamDeltaEvent"), Is.EquivalentTo(new[] { "content" }));
            Assert.That(Properties(schemas, "StreamErrorEvent"), Is.EquivalentTo(new[] { "type", "status", "title", "detail", "code", "retryAfterSeconds" }));
            Assert.That(responses.GetProperty("404").GetProperty("description").GetString(), Does.Contain("conversation_not_found").And.Contain("thread_not_found"));
            Assert.That(responses.GetProperty("400").GetProperty("description").GetString(), Does.Contain("conversation_id").And.Contain("wrong kind"));
            Assert.That(operation.GetProperty("description").GetString(), Does.Contain("stream=true").And.Contain("conversation_id"));
        }
    }

    private static void AssertResponses(JsonElement paths, string path, string method, params string[] statuses)
    {
        Assert.That(paths.TryGetProperty(path, out var item), Is.True, $"{path} is documented");
        var responses = item.GetProperty(method).GetProperty("responses");
        foreach (var status in statuses)
        {
            Assert.That(responses.TryGetProperty(status, out var response), Is.True, $"{method} {path} documents {status}");
            Assert.That(response.GetProperty("description").GetString(), Is.Not.Empty, $"{method} {path} {status} is described");
        }
    }

    private static IEnumerable<string> Properties(JsonElement schemas, string name) =>
        schemas.GetProperty(name).GetProperty("properties").EnumerateObject().Select(p => p.Name).ToArray();
}
