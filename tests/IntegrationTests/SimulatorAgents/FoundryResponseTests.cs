using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.SimulatorAgents;

/// <summary>Responses of the new Agent Service (<c>{project}/openai/v1/responses</c>): plain, streamed, stored, refused.</summary>
public sealed partial class FoundryResponseTests : AgentSimulatorFixture
{
    private const string ResponsesRoute = "POST /api/projects/{project}/openai/v1/responses";

    private static object Ask(string question, string agent = "bing-grounding", string? version = null, bool stream = false) => new
    {
        agent_reference = version is null
            ? (object)new { type = "agent_reference", name = agent }
            : new { type = "agent_reference", name = agent, version },
        input = question,
        stream,
    };

    [Test]
    public async Task BingAgent_AnswersAMessageWithUrlCitationsWhoseIndexesAreTheMarkers()
    {
        var reply = await Client.PostAsync("openai/v1/responses", Ask("Who won the 2026 World Cup?"));

        reply.EnsureOk();
        var text = FoundryConversationTests.OutputText(reply);
        var annotations = FoundryConversationTests.AnnotationsOf(reply);
        var message = reply.Body!["output"]![0]!;
        Assert.Multiple(() =>
        {
            Assert.That(reply.Id, Does.StartWith("resp_"));
            Assert.That(reply.Body!["object"]!.GetValue<string>(), Is.EqualTo("response"));
            Assert.That(reply.Body!["status"]!.GetValue<string>(), Is.EqualTo("completed"));
            Assert.That(reply.Body!["agent"]!["name"]!.GetValue<string>(), Is.EqualTo("bing-grounding"));
            Assert.That(reply.Body!["agent"]!["version"]!.GetValue<string>(), Is.EqualTo("1"));
            Assert.That(reply.Body!["usage"]!["total_tokens"]!.GetValue<int>(), Is.GreaterThan(0));
            Assert.That(message["type"]!.GetValue<string>(), Is.EqualTo("message"));
            Assert.That(message["role"]!.GetValue<string>(), Is.EqualTo("assistant"));
            Assert.That(annotations, Has.Count.EqualTo(4));
            AssertMarkers(text, annotations);
            Assert.That(annotations.Select(a => a!["url"]!.GetValue<string>()).Distinct().Count(), Is.EqualTo(3));
            Assert.That(annotations[0]!["title"]!.GetValue<string>(), Is.Not.Empty);
        });
    }

    [Test]
    public async Task PlainAgent_AnswersWithoutAnnotations()
    {
        var reply = await Client.PostAsync("openai/v1/responses", Ask("Tell me a fact", "plain"));

        reply.EnsureOk();
        Assert.Multiple(() =>
        {
            Assert.That(FoundryConversationTests.AnnotationsOf(reply), Is.Empty);
            Assert.That(FoundryConversationTests.OutputText(reply), Does.Not.Contain("†source"));
            Assert.That(reply.Body!["tools"]!.AsArray(), Is.Empty);
        });
    }

    [Test]
    public async Task TheOlderAgentField_IsRefusedAsTheServiceRefusesIt()
    {
        var older = await Client.PostAsync("openai/v1/responses", new { agent = new { type = "agent_reference", name = "bing-grounding" }, input = "Hi?" });
        var both = await Client.PostAsync("openai/v1/responses", new
        {
            agent = new { type = "agent_reference", name = "bing-grounding" },
            agent_reference = new { type = "agent_reference", name = "bing-grounding" },
            input = "Hi?",
        });

        Assert.Multiple(() =>
        {
            Assert.That(older.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(older.ErrorCode, Is.EqualTo("invalid_payload"));
            Assert.That(older.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo("agent"));
            Assert.That(older.Body!["error"]!["message"]!.GetValue<string>(), Does.Contain("Use 'agent_reference' instead"));
            Assert.That(both.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        });
    }

    [Test]
    public async Task AVersionPinsTheAgentVersion()
    {
        var name = "pinned-" + Guid.NewGuid().ToString("N")[..8];
        (await Client.PostAsync($"agents/{name}/versions", new { definition = new { kind = "prompt", model = "gpt-4o-mini" } })).EnsureOk();
        (await Client.PostAsync($"agents/{name}/versions", new { definition = new { kind = "prompt", model = "gpt-4o" } })).EnsureOk();

        var pinned = await Client.PostAsync("openai/v1/responses", Ask("Hi?", name, "1"));
        var latest = await Client.PostAsync("openai/v1/responses", Ask("Hi?", name));

        Assert.Multiple(() =>
        {
            Assert.That(pinned.Body!["model"]!.GetValue<string>(), Is.EqualTo("gpt-4o-mini"));
            Assert.That(pinned.Body!["agent"]!["version"]!.GetValue<string>(), Is.EqualTo("1"));
            Assert.That(latest.Body!["model"]!.GetValue<string>(), Is.EqualTo("gpt-4o"));
        });
    }

    [Test]
    public async Task UnknownAgent_Is404()
    {
        var unknown = await Client.PostAsync("openai/v1/responses", Ask("Hi?", "no-such-agent"));
        var unknownVersion = await Client.PostAsync("openai/v1/responses", Ask("Hi?", "plain", "42"));

        Assert.Multiple(() =>
        {
            Assert.That(unknown.Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(unknown.ErrorCode, Is.EqualTo("not_found"));
            Assert.That(unknown.Body!["error"]!["message"]!.GetValue<string>(), Does.Contain("no-such-agent"));
            Assert.That(unknownVersion.Status, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task BadRequests_Are400NamingTheField()
    {
        var noAgent = await Client.PostAsync("openai/v1/responses", new { input = "Hi?" });
        var badType = await Client.PostAsync("openai/v1/responses", new { agent_reference = new { type = "agent_id", name = "plain" }, input = "Hi?" });
        var noInput = await Client.PostAsync("openai/v1/responses", new { agent_reference = new { type = "agent_reference", name = "plain" } });
        var both = await Client.PostAsync("openai/v1/responses",
            new { agent_reference = new { type = "agent_reference", name = "plain" }, input = "Hi?", conversation = "conv_x", previous_response_id = "resp_x" });
        var notJson = await Client.PostRawAsync("openai/v1/responses", "{not json");

        Assert.Multiple(() =>
        {
            Assert.That(noAgent.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo("agent_reference"));
            Assert.That(badType.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo("agent_reference.type"));
            Assert.That(noInput.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo("input"));
            Assert.That(both.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo("conversation"));
            Assert.That(new[] { noAgent.Status, badType.Status, noInput.Status, both.Status, notJson.Status }, Is.All.EqualTo(HttpStatusCode.BadRequest));
        });
    }

    [Test]
    public async Task AModelWithoutAnAgent_IsAnsweredByTheDeployment_AndAnUnknownOneIs404()
    {
        var model = await Client.PostAsync("openai/v1/responses", new { model = "gpt-4o-mini", input = "Hi?" });
        var unknown = await Client.PostAsync("openai/v1/responses", new { model = "gpt-0", input = "Hi?" });

        Assert.Multiple(() =>
        {
            Assert.That(model.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(model.Body!["agent"], Is.Null);
            Assert.That(model.Body!["model"]!.GetValue<string>(), Is.EqualTo("gpt-4o-mini"));
            Assert.That(unknown.Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(unknown.ErrorCode, Is.EqualTo("model_not_found"));
        });
    }

    [Test]
    public async Task AFilteredPrompt_Is400ContentFilter()
    {
        var reply = await Client.PostAsync("openai/v1/responses", Ask("please trigger-content-filter now"));

        Assert.Multiple(() =>
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(reply.ErrorCode, Is.EqualTo("content_filter"));
        });
    }

    [TestCase("[simulate:fail]", "server_error")]
    [TestCase("[simulate:rate_limit]", "rate_limit_exceeded")]
    public async Task APromptAskingForAFailure_GetsAFailedResponse(string @switch, string code)
    {
        var reply = await Client.PostAsync("openai/v1/responses", Ask($"Hello {@switch}"));

        reply.EnsureOk();
        Assert.Multiple(() =>
        {
            Assert.That(reply.Body!["status"]!.GetValue<string>(), Is.EqualTo("failed"));
            Assert.That(reply.Body!["error"]!["code"]!.GetValue<string>(), Is.EqualTo(code));
            Assert.That(reply.Body!["output"]!.AsArray(), Is.Empty);
        });
    }

    [Test]
    public async Task AStoredResponse_CanBeRead_AndChained()
    {
        var first = await Client.PostAsync("openai/v1/responses", Ask("First question about tea"));
        var fetched = await Client.GetAsync($"openai/v1/responses/{first.Id}");
        var second = await Client.PostAsync("openai/v1/responses", new
        {
            agent_reference = new { type = "agent_reference", name = "bing-grounding" },
            input = "Follow-up about coffee",
            previous_response_id = first.Id,
        });
        var unknown = await Client.GetAsync("openai/v1/responses/resp_missing");
        var unstored = await Client.PostAsync("openai/v1/responses", new { agent_reference = new { type = "agent_reference", name = "plain" }, input = "x", store = false });
        var unstoredGet = await Client.GetAsync($"openai/v1/responses/{unstored.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(fetched.Body!["output"]!.ToJsonString(), Is.EqualTo(first.Body!["output"]!.ToJsonString()));
            Assert.That(second.Body!["previous_response_id"]!.GetValue<string>(), Is.EqualTo(first.Id));
            Assert.That(second.Body!["usage"]!["input_tokens"]!.GetValue<int>(), Is.GreaterThan(first.Body!["usage"]!["input_tokens"]!.GetValue<int>()));
            Assert.That(unknown.Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(unstoredGet.Status, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task AStreamedResponse_SendsTheResponsesEventsInOrder()
    {
        var (status, contentType, text) = await Client.PostForTextAsync("openai/v1/responses", Ask("Stream me the news", stream: true));

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(contentType, Is.EqualTo("text/event-stream"));
        var events = ServerSentEvents(text);
        var types = events.Select(e => e.Type).ToList();
        var deltas = events.Where(e => e.Type == "response.output_text.delta").ToList();
        var completed = events[^1].Data["response"]!;
        var finalText = completed["output"]![0]!["content"]![0]!["text"]!.GetValue<string>();
        var streamedText = string.Concat(deltas.Select(d => d.Data["delta"]!.GetValue<string>()));
        Assert.Multiple(() =>
        {
            Assert.That(types.Take(4), Is.EqualTo(new[]
            {
                "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
            }));
            Assert.That(types.TakeLast(4), Is.EqualTo(new[]
            {
                "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed",
            }));
            Assert.That(events.Select(e => e.Data["type"]!.GetValue<string>()), Is.EqualTo(types), "each data carries its type");
            Assert.That(events.Select(e => e.Data["sequence_number"]!.GetValue<int>()), Is.EqualTo(Enumerable.Range(0, events.Count)));
            Assert.That(deltas, Has.Count.GreaterThan(5));
            Assert.That(streamedText, Is.EqualTo(finalText));
            Assert.That(events.Single(e => e.Type == "response.output_text.done").Data["text"]!.GetValue<string>(), Is.EqualTo(finalText));
            Assert.That(events[0].Data["response"]!["status"]!.GetValue<string>(), Is.EqualTo("in_progress"));
            Assert.That(completed["status"]!.GetValue<string>(), Is.EqualTo("completed"));
            Assert.That(text, Does.Not.Contain("[DONE]"));
        });
    }

    [Test]
    public async Task AStreamedResponse_AnnouncesEachAnnotationRightAfterItsMarker()
    {
        var (_, _, text) = await Client.PostForTextAsync("openai/v1/responses", Ask("Stream me citations", stream: true));

        var events = ServerSentEvents(text);
        var streamed = "";
        var announced = new JsonArray();
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].Type == "response.output_text.delta")
            {
                streamed += events[i].Data["delta"]!.GetValue<string>();
            }
            else if (events[i].Type == "response.output_text.annotation.added")
            {
                var annotation = events[i].Data["annotation"]!;
                Assert.That(events[i - 1].Type, Is.EqualTo("response.output_text.delta"));
                Assert.That(annotation["end_index"]!.GetValue<int>(), Is.EqualTo(streamed.Length), "announced once its marker is streamed");
                Assert.That(events[i].Data["annotation_index"]!.GetValue<int>(), Is.EqualTo(announced.Count));
                announced.Add(annotation.DeepClone());
            }
        }

        var final = events[^1].Data["response"]!["output"]![0]!["content"]![0]!["annotations"]!;
        Assert.Multiple(() =>
        {
            Assert.That(announced, Has.Count.EqualTo(4));
            AssertMarkers(streamed, announced);
            Assert.That(announced.ToJsonString(), Is.EqualTo(final.ToJsonString()));
        });
    }

    [Test]
    public async Task AStreamedFailure_EndsWithResponseFailed()
    {
        var (_, _, text) = await Client.PostForTextAsync("openai/v1/responses", Ask("Break [simulate:fail]", stream: true));

        var events = ServerSentEvents(text);
        Assert.Multiple(() =>
        {
            Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { "response.created", "response.in_progress", "response.failed" }));
            Assert.That(events[^1].Data["response"]!["error"]!["code"]!.GetValue<string>(), Is.EqualTo("server_error"));
        });
    }

    [Test]
    public async Task AStreamedResponse_IsStored_AndAppendedToItsConversation()
    {
        var conversation = (await Client.PostAsync("openai/v1/conversations", new { })).Id;
        var (_, _, text) = await Client.PostForTextAsync("openai/v1/responses", new
        {
            agent_reference = new { type = "agent_reference", name = "bing-grounding" },
            input = "Streamed into a conversation",
            conversation,
            stream = true,
        });
        var id = ServerSentEvents(text)[0].Data["response"]!["id"]!.GetValue<string>();

        var stored = await Client.GetAsync($"openai/v1/responses/{id}");
        var items = await Client.GetAsync($"openai/v1/conversations/{conversation}/items");

        Assert.Multiple(() =>
        {
            Assert.That(stored.Body!["status"]!.GetValue<string>(), Is.EqualTo("completed"));
            Assert.That(items.Body!["data"]!.AsArray(), Has.Count.EqualTo(2));
        });
    }

    [Test]
    public async Task RateLimitFault_Is429WithRetryAfter_AndCounted()
    {
        Server.Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 3, Target = FaultInjector.AgentsTarget });
        var before = Server.Counters.Count(ResponsesRoute, "429");

        var limited = await Client.PostAsync("openai/v1/responses", Ask("Hi?"));
        var next = await Client.PostAsync("openai/v1/responses", Ask("Hi?"));

        Assert.Multiple(() =>
        {
            Assert.That(limited.Status, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(limited.ErrorCode, Is.EqualTo("rate_limit_exceeded"));
            Assert.That(limited.Headers.GetValues("retry-after"), Is.EqualTo(new[] { "3" }));
            Assert.That(next.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Server.Counters.Count(ResponsesRoute, "429"), Is.EqualTo(before + 1));
        });
    }

    [TestCase(503, "service_unavailable")]
    [TestCase(401, "unauthorized")]
    [TestCase(504, "gateway_timeout")]
    public async Task StatusFaults_ApplyToConversationsToo(int status, string code)
    {
        Server.Faults.Add(new FaultSpec { Status = status, Target = FaultInjector.AgentsTarget });

        var reply = await Client.PostAsync("openai/v1/conversations", new { });

        Assert.Multiple(() =>
        {
            Assert.That((int)reply.Status, Is.EqualTo(status));
            Assert.That(reply.ErrorCode, Is.EqualTo(code));
        });
    }

    [Test]
    public async Task DropFault_ClosesTheConnection()
    {
        Server.Faults.Add(new FaultSpec { Drop = true, Target = FaultInjector.AgentsTarget });
        using var fresh = new AgentServiceClient(Server, Token);

        Assert.ThrowsAsync<HttpRequestException>(() => fresh.PostAsync("openai/v1/responses", Ask("Hi?")));
        await SimulatorRecords.WaitUntilAsync(() => Server.Counters.Count(ResponsesRoute, RequestCounters.Dropped) > 0);
    }

    [Test]
    public async Task NoBearerToken_Is401()
    {
        using var anonymous = new AgentServiceClient(Server, token: null);

        var reply = await anonymous.PostAsync("openai/v1/responses", Ask("Hi?"));

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    /// <summary>Every annotation's [start_index, end_index) is a 【n:m†source】 marker of <paramref name="text"/>.</summary>
    internal static void AssertMarkers(string text, JsonArray annotations)
    {
        foreach (var annotation in annotations)
        {
            var start = annotation!["start_index"]!.GetValue<int>();
            var end = annotation["end_index"]!.GetValue<int>();
            Assert.That(Marker().IsMatch(text[start..end]), Is.True, $"[{start},{end}) of the text is '{text[start..end]}'");
        }
    }

    internal static List<(string Type, JsonNode Data)> ServerSentEvents(string stream)
    {
        var events = new List<(string, JsonNode)>();
        foreach (var block in stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            var type = lines.Single(l => l.StartsWith("event: ", StringComparison.Ordinal))["event: ".Length..];
            var data = lines.Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..];
            events.Add((type, JsonNode.Parse(data)!));
        }

        return events;
    }

    [GeneratedRegex(@"^【\d+:\d+†source】$")]
    private static partial Regex Marker();
}
