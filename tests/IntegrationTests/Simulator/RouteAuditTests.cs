using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.Simulator;

/// <summary>Locks each row of the route audit table in src/Simulator/README.md: every route the simulator serves
/// answers at every api-version Azure serves it at, and what Azure does not serve (a route, or a route at that version)
/// answers as Azure does.</summary>
[TestFixture]
public sealed class RouteAuditTests
{
    /// <summary>The dated versions Azure.AI.OpenAI 2.9.0-beta.1 sends (README table).</summary>
    private static readonly string[] DatedVersions =
    [
        "2024-06-01", "2024-08-01-preview", "2024-09-01-preview", "2024-10-01-preview", "2024-10-21",
        "2024-12-01-preview", "2025-01-01-preview", "2025-03-01-preview", "2025-04-01-preview",
    ];

    private static readonly string[] AgentVersions = ["v1", "2025-05-01"];

    /// <summary>The new Agent Service's agents-by-name routes (agents/routes.tsp; README table).</summary>
    private static readonly string[] NamedAgentVersions = ["v1", "2025-11-15-preview"];

    private SimulatorServer _server = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await SimulatorServer.StartAsync();
        _client = SimulatorHttp.CreateClient(_server);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [SetUp]
    public void Reset() => _server.Options.Agents.RunStepDelayMs = 0;

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonObject? body = null, string? key = "simulator-key",
        string? bearer = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Add("api-key", key);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return await _client.SendAsync(request);
    }

    private static async Task AssertAzureNotFound(HttpResponseMessage response)
    {
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("404"));
            Assert.That(error.GetProperty("message").GetString(), Is.EqualTo("Resource not found"));
        });
    }

    private static JsonObject Chat(string? model = null)
    {
        var body = SimulatorHttp.Body("Hello?");
        body["max_tokens"] = 5;
        if (model is not null)
        {
            body["model"] = model;
        }

        return body;
    }

    // --- Azure OpenAI, dated versions -------------------------------------------------------------------------------

    [TestCaseSource(nameof(DatedVersions))]
    public async Task DatedChatCompletionsAreServed(string apiVersion)
    {
        using var response = await SendAsync(HttpMethod.Post, SimulatorHttp.ChatPath("gpt-4o", apiVersion), Chat());

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCaseSource(nameof(DatedVersions))]
    public async Task DatedModelsAreListed(string apiVersion)
    {
        using var response = await SendAsync(HttpMethod.Get, $"openai/models?api-version={apiVersion}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("object").GetString(), Is.EqualTo("list"));
            Assert.That(json.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()), Does.Contain("gpt-4o"));
        });
    }

    [Test]
    public async Task DatedModelsRefuseAWrongKey()
    {
        using var response = await SendAsync(HttpMethod.Get, "openai/models?api-version=2024-10-21", key: "wrong");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [TestCaseSource(nameof(DatedVersions))]
    public async Task GetDeploymentIsNotServedAtAnyAcceptedVersion(string apiVersion)
    {
        // Deployments_Get left the data plane with api-version 2023-05-15 (authoring spec); Azure answers 404.
        using var response = await SendAsync(HttpMethod.Get, $"openai/deployments/gpt-4o?api-version={apiVersion}");

        await AssertAzureNotFound(response);
    }

    [TestCase("GET", "openai/deployments?api-version=2024-10-21")]
    [TestCase("GET", "openai/deployments/gpt-4o")]
    [TestCase("POST", "openai/deployments/gpt-4o/completions-unknown?api-version=2024-10-21")]
    [TestCase("GET", "openai/v1/deployments")]
    public async Task OtherOpenAIRoutesAnswerAzuresNotFound(string method, string path)
    {
        using var response = await SendAsync(new HttpMethod(method), path);

        await AssertAzureNotFound(response);
    }

    [TestCase("openai/models")]
    [TestCase("openai/deployments/gpt-4o/chat/completions")]
    public async Task ADatedRouteWithoutApiVersionIsNotFound(string path)
    {
        using var response = path.EndsWith("models", StringComparison.Ordinal)
            ? await SendAsync(HttpMethod.Get, path)
            : await SendAsync(HttpMethod.Post, path, Chat());

        await AssertAzureNotFound(response);
    }

    [TestCase("2023-05-15")]
    [TestCase("v1")]
    [TestCase("2099-01-01")]
    public async Task ADatedRouteRefusesAVersionItDoesNotServe(string apiVersion)
    {
        using var chat = await SendAsync(HttpMethod.Post, SimulatorHttp.ChatPath("gpt-4o", apiVersion), Chat());
        using var models = await SendAsync(HttpMethod.Get, $"openai/models?api-version={apiVersion}");

        Assert.Multiple(() =>
        {
            Assert.That(chat.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(models.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        });
    }

    // --- Azure OpenAI, v1 -------------------------------------------------------------------------------------------

    [TestCase("")]
    [TestCase("?api-version=v1")]
    public async Task V1ChatCompletionsAreServed(string query)
    {
        using var response = await SendAsync(HttpMethod.Post, "openai/v1/chat/completions" + query, Chat("gpt-4o"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(json.GetProperty("model").GetString(), Is.EqualTo("gpt-4o"));
    }

    [Test]
    public async Task V1AcceptsTheKeyAsABearerTokenAsOpenAIClientsSendIt()
    {
        using var response = await SendAsync(HttpMethod.Post, "openai/v1/chat/completions", Chat("gpt-4o"), key: null, bearer: "simulator-key");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task V1RefusesAWrongKey()
    {
        using var response = await SendAsync(HttpMethod.Post, "openai/v1/chat/completions", Chat("gpt-4o"), key: "wrong");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task V1NeedsAModel()
    {
        using var response = await SendAsync(HttpMethod.Post, "openai/v1/chat/completions", Chat());

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.That(error.GetProperty("param").GetString(), Is.EqualTo("model"));
    }

    [Test]
    public async Task V1AnswersAnUnknownDeploymentWithDeploymentNotFound()
    {
        using var response = await SendAsync(HttpMethod.Post, "openai/v1/chat/completions", Chat("missing"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("DeploymentNotFound"));
    }

    [TestCase("")]
    [TestCase("?api-version=v1")]
    public async Task V1ModelsAreListed(string query)
    {
        using var response = await SendAsync(HttpMethod.Get, "openai/v1/models" + query);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(json.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("object").GetString()), Is.All.EqualTo("model"));
    }

    [TestCase("2024-10-21")]
    [TestCase("preview")]
    public async Task V1RoutesRefuseADatedVersion(string apiVersion)
    {
        using var chat = await SendAsync(HttpMethod.Post, $"openai/v1/chat/completions?api-version={apiVersion}", Chat("gpt-4o"));
        using var models = await SendAsync(HttpMethod.Get, $"openai/v1/models?api-version={apiVersion}");

        Assert.Multiple(() =>
        {
            Assert.That(chat.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(models.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        });
    }

    // --- Agent Service ----------------------------------------------------------------------------------------------

    [TestCaseSource(nameof(AgentCases))]
    public async Task EveryAgentServiceRouteIsServedAtEveryAcceptedVersion(string prefix, string apiVersion)
    {
        var q = $"?api-version={apiVersion}";
        async Task<JsonElement> Call(HttpMethod method, string path, JsonObject? body = null)
        {
            using var response = await SendAsync(method, prefix + path + (path.Contains('?', StringComparison.Ordinal) ? "&" + q[1..] : q), body,
                key: null, bearer: "agent-token");
            Assert.That((int)response.StatusCode, Is.InRange(200, 299), $"{method} {path} at {apiVersion}");
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }

        var agents = await Call(HttpMethod.Get, "assistants");
        var agentId = agents.GetProperty("data")[0].GetProperty("id").GetString()!;
        await Call(HttpMethod.Get, $"assistants/{agentId}");
        var thread = (await Call(HttpMethod.Post, "threads", new JsonObject())).GetProperty("id").GetString()!;
        await Call(HttpMethod.Get, "threads");
        await Call(HttpMethod.Get, $"threads/{thread}");
        await Call(HttpMethod.Post, $"threads/{thread}", new JsonObject { ["metadata"] = new JsonObject { ["k"] = "v" } });
        var message = (await Call(HttpMethod.Post, $"threads/{thread}/messages", new JsonObject { ["role"] = "user", ["content"] = "Hi" }))
            .GetProperty("id").GetString()!;
        await Call(HttpMethod.Get, $"threads/{thread}/messages/{message}");
        var run = (await Call(HttpMethod.Post, $"threads/{thread}/runs", new JsonObject { ["assistant_id"] = agentId })).GetProperty("id").GetString()!;
        await Call(HttpMethod.Get, $"threads/{thread}/runs");
        await Call(HttpMethod.Get, $"threads/{thread}/runs/{run}");
        await Call(HttpMethod.Get, $"threads/{thread}/messages?order=desc");
        await Call(HttpMethod.Post, "threads/runs", new JsonObject { ["assistant_id"] = agentId });
        var slow = (await Call(HttpMethod.Post, $"threads/{thread}/runs", new JsonObject { ["assistant_id"] = agentId }));
        using (var cancel = await SendAsync(HttpMethod.Post, $"{prefix}threads/{thread}/runs/{slow.GetProperty("id").GetString()}/cancel{q}",
                   key: null, bearer: "agent-token"))
        {
            // A run that already ended cannot be cancelled (400); the route itself is served either way.
            Assert.That(cancel.StatusCode, Is.Not.EqualTo(HttpStatusCode.NotFound));
        }

        await Call(HttpMethod.Delete, $"threads/{thread}");
    }

    private static IEnumerable<TestCaseData> AgentCases() =>
        from prefix in new[] { "", "api/projects/p1/" }
        from version in AgentVersions
        select new TestCaseData(prefix, version);

    [TestCase("")]
    [TestCase("?api-version=2024-07-01-preview")]
    [TestCase("?api-version=2025-05-15-preview")]
    public async Task AgentServiceRoutesRefuseAVersionTheyDoNotServe(string query)
    {
        using var response = await SendAsync(HttpMethod.Get, "assistants" + query, key: null, bearer: "agent-token");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [TestCaseSource(nameof(AgentVersions))]
    public async Task ClassicRunsStreamAtEveryAcceptedVersion(string apiVersion)
    {
        foreach (var prefix in new[] { "", "api/projects/p1/" })
        {
            using var run = await SendAsync(HttpMethod.Post, $"{prefix}threads/runs?api-version={apiVersion}",
                new JsonObject { ["assistant_id"] = "asst_plain", ["stream"] = true }, key: null, bearer: "agent-token");
            var text = await run.Content.ReadAsStringAsync();

            Assert.Multiple(() =>
            {
                Assert.That(run.StatusCode, Is.EqualTo(HttpStatusCode.OK), prefix);
                Assert.That(run.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
                Assert.That(text, Does.StartWith("event: thread.created\n"));
                Assert.That(text, Does.EndWith("event: done\ndata: [DONE]\n\n"));
            });
        }
    }

    // --- new Agent Service (agents by name, conversations, responses) ---------------------------------------------

    [TestCaseSource(nameof(NamedAgentVersions))]
    public async Task EveryNamedAgentRouteIsServedAtEveryAcceptedVersion(string apiVersion)
    {
        var q = $"?api-version={apiVersion}";
        async Task Call(HttpMethod method, string path, JsonObject? body = null)
        {
            using var response = await SendAsync(method, "api/projects/p1/" + path + q, body, key: null, bearer: "agent-token");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{method} {path} at {apiVersion}");
        }

        await Call(HttpMethod.Get, "agents/bing-grounding");
        await Call(HttpMethod.Post, "agents/audit-agent/versions",
            new JsonObject { ["definition"] = new JsonObject { ["kind"] = "prompt", ["model"] = "gpt-4o" } });
        await Call(HttpMethod.Get, "agents/audit-agent/versions");
        await Call(HttpMethod.Get, "agents/audit-agent/versions/1");
    }

    [TestCase("")]
    [TestCase("?api-version=2025-05-01")]
    [TestCase("?api-version=2025-05-15-preview")]
    public async Task NamedAgentRoutesRefuseAVersionTheyDoNotServe(string query)
    {
        using var response = await SendAsync(HttpMethod.Get, "api/projects/p1/agents/bing-grounding" + query, key: null, bearer: "agent-token");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [TestCase("")]
    [TestCase("?api-version=v1")]
    public async Task EveryConversationAndResponseRouteIsServed(string query)
    {
        async Task<JsonElement> Call(HttpMethod method, string path, JsonObject? body = null)
        {
            using var response = await SendAsync(method, "api/projects/p1/openai/v1/" + path + query, body, key: null, bearer: "agent-token");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{method} {path}{query}");
            var text = await response.Content.ReadAsStringAsync();
            return text.StartsWith("event:", StringComparison.Ordinal) ? default : JsonDocument.Parse(text).RootElement.Clone();
        }

        var conversation = (await Call(HttpMethod.Post, "conversations", new JsonObject { ["metadata"] = new JsonObject { ["k"] = "v" } }))
            .GetProperty("id").GetString()!;
        await Call(HttpMethod.Get, $"conversations/{conversation}");
        await Call(HttpMethod.Post, $"conversations/{conversation}", new JsonObject { ["metadata"] = new JsonObject { ["k"] = "w" } });
        var item = (await Call(HttpMethod.Post, $"conversations/{conversation}/items",
                new JsonObject { ["items"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hi" }) }))
            .GetProperty("data")[0].GetProperty("id").GetString()!;
        await Call(HttpMethod.Get, $"conversations/{conversation}/items");
        await Call(HttpMethod.Get, $"conversations/{conversation}/items/{item}");
        var agent = new JsonObject { ["type"] = "agent_reference", ["name"] = "bing-grounding" };
        var response = (await Call(HttpMethod.Post, "responses",
            new JsonObject { ["agent_reference"] = agent, ["input"] = "Hello?", ["conversation"] = conversation })).GetProperty("id").GetString()!;
        await Call(HttpMethod.Post, "responses",
            new JsonObject { ["agent_reference"] = agent.DeepClone(), ["input"] = "Streamed?", ["stream"] = true });
        await Call(HttpMethod.Get, $"responses/{response}");
        await Call(HttpMethod.Delete, $"conversations/{conversation}/items/{item}");
        await Call(HttpMethod.Delete, $"conversations/{conversation}");
    }

    [TestCase("2025-05-01")]
    [TestCase("2025-11-15-preview")]
    [TestCase("preview")]
    public async Task ConversationAndResponseRoutesRefuseAnyVersionButV1(string apiVersion)
    {
        using var response = await SendAsync(HttpMethod.Post, $"api/projects/p1/openai/v1/conversations?api-version={apiVersion}",
            new JsonObject(), key: null, bearer: "agent-token");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [TestCase("POST", "openai/v1/responses")]
    [TestCase("POST", "openai/v1/conversations")]
    [TestCase("POST", "api/projects/p1/openai/responses?api-version=2025-11-15-preview")]
    [TestCase("POST", "api/projects/p1/openai/conversations?api-version=2025-11-15-preview")]
    public async Task NewAgentServiceRoutesAreServedOnlyOnTheProjectPath(string method, string path)
    {
        using var response = await SendAsync(new HttpMethod(method), path, new JsonObject(), key: null, bearer: "agent-token");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
