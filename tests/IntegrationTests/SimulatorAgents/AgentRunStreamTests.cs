using System.Net;
using System.Text.Json.Nodes;

namespace Wrapper.IntegrationTests.SimulatorAgents;

/// <summary>Streamed classic runs (<c>"stream": true</c> on <c>POST /threads/{id}/runs</c> and <c>POST /threads/runs</c>):
/// the event names and payloads @azure/ai-agents 1.1.0 reads, ending with <c>done</c> / <c>[DONE]</c>.</summary>
public sealed class AgentRunStreamTests : AgentSimulatorFixture
{
    [Test]
    public async Task AStreamedRun_SendsRunStepAndMessageEventsInOrder_AndEndsWithDone()
    {
        var thread = await Client.PostAsync("threads", new { messages = new[] { new { role = "user", content = "Stream the news about tea" } } });

        var (status, contentType, text) = await Client.PostForTextAsync($"threads/{thread.Id}/runs", new { assistant_id = "asst_bing", stream = true });

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var events = Events(text);
        var names = events.Select(e => e.Name).Where(n => n != "thread.message.delta").ToList();
        var streamed = string.Concat(events.Where(e => e.Name == "thread.message.delta")
            .Select(e => e.Data!["delta"]!["content"]![0]!["text"]!["value"]!.GetValue<string>()));
        var completed = events.Single(e => e.Name == "thread.message.completed").Data!;
        var stored = await Client.GetAsync($"threads/{thread.Id}/messages?limit=1");
        Assert.Multiple(() =>
        {
            Assert.That(contentType, Is.EqualTo("text/event-stream"));
            Assert.That(names, Is.EqualTo(new[]
            {
                "thread.run.created", "thread.run.queued", "thread.run.in_progress",
                "thread.run.step.created", "thread.run.step.in_progress",
                "thread.message.created", "thread.message.in_progress",
                "thread.message.completed", "thread.run.step.completed",
                "thread.run.completed", "done",
            }));
            Assert.That(events.Count(e => e.Name == "thread.message.delta"), Is.GreaterThan(5));
            Assert.That(events[^1].Raw, Is.EqualTo("[DONE]"));
            Assert.That(events[0].Data!["status"]!.GetValue<string>(), Is.EqualTo("queued"));
            Assert.That(events.Single(e => e.Name == "thread.run.completed").Data!["usage"]!["total_tokens"]!.GetValue<int>(), Is.GreaterThan(0));
            Assert.That(streamed, Is.EqualTo(completed["content"]![0]!["text"]!["value"]!.GetValue<string>()));
            Assert.That(completed["id"]!.GetValue<string>(), Is.EqualTo(stored.Body!["data"]![0]!["id"]!.GetValue<string>()));
            Assert.That(events.Single(e => e.Name == "thread.run.step.completed").Data!["step_details"]!["message_creation"]!["message_id"]!.GetValue<string>(),
                Is.EqualTo(completed["id"]!.GetValue<string>()));
            Assert.That(events.Single(e => e.Name == "thread.message.created").Data!["content"]!.AsArray(), Is.Empty);
        });
    }

    [Test]
    public async Task DeltaAnnotations_ComeWithTheirMarkers_AtTheMarkersIndexes()
    {
        var thread = await Client.PostAsync("threads", new { messages = new[] { new { role = "user", content = "Cite the news about coffee" } } });

        var (_, _, text) = await Client.PostForTextAsync($"threads/{thread.Id}/runs", new { assistant_id = "asst_bing", stream = true });

        var streamed = "";
        var annotations = new JsonArray();
        foreach (var (name, data, _) in Events(text))
        {
            if (name != "thread.message.delta")
            {
                continue;
            }

            var piece = data!["delta"]!["content"]![0]!["text"]!;
            var before = streamed.Length;
            streamed += piece["value"]!.GetValue<string>();
            foreach (var annotation in piece["annotations"]?.AsArray() ?? [])
            {
                Assert.That(annotation!["start_index"]!.GetValue<int>(), Is.EqualTo(before), "the annotation comes with its marker");
                Assert.That(annotation["index"]!.GetValue<int>(), Is.EqualTo(annotations.Count));
                Assert.That(annotation["url_citation"]!["url"]!.GetValue<string>(), Does.StartWith("https://"));
                annotations.Add(annotation.DeepClone());
            }
        }

        Assert.That(annotations, Has.Count.EqualTo(4));
        FoundryResponseTests.AssertMarkers(streamed, annotations);
    }

    [Test]
    public async Task AStreamedThreadAndRun_StartsWithThreadCreated()
    {
        var (_, _, text) = await Client.PostForTextAsync("threads/runs", new
        {
            assistant_id = "asst_plain",
            thread = new { messages = new[] { new { role = "user", content = "Hello" } } },
            stream = true,
        });

        var events = Events(text);
        Assert.Multiple(() =>
        {
            Assert.That(events[0].Name, Is.EqualTo("thread.created"));
            Assert.That(events[0].Data!["object"]!.GetValue<string>(), Is.EqualTo("thread"));
            Assert.That(events[1].Data!["thread_id"]!.GetValue<string>(), Is.EqualTo(events[0].Data!["id"]!.GetValue<string>()));
            Assert.That(events[^2].Name, Is.EqualTo("thread.run.completed"));
            Assert.That(events.Where(e => e.Name == "thread.message.delta").SelectMany(e => e.Data!["delta"]!["content"]![0]!["text"]!["annotations"]?.AsArray() ?? []),
                Is.Empty);
        });
    }

    [TestCase("[simulate:fail]", "thread.run.failed")]
    [TestCase("[simulate:rate_limit]", "thread.run.failed")]
    [TestCase("[simulate:expire]", "thread.run.expired")]
    public async Task ARunThatDoesNotComplete_EndsWithItsStatusEvent_AndNoMessage(string @switch, string last)
    {
        var thread = await Client.PostAsync("threads", new { messages = new[] { new { role = "user", content = $"Hello {@switch}" } } });

        var (_, _, text) = await Client.PostForTextAsync($"threads/{thread.Id}/runs", new { assistant_id = "asst_bing", stream = true });

        var names = Events(text).Select(e => e.Name).ToList();
        Assert.That(names, Is.EqualTo(new[] { "thread.run.created", "thread.run.queued", "thread.run.in_progress", last, "done" }));
    }

    [Test]
    public async Task AStreamedRunOnAThreadWithAnActiveRun_IsRefusedLikeAPolledOne()
    {
        var thread = await Client.PostAsync("threads", new { messages = new[] { new { role = "user", content = "Slow [simulate:slow]" } } });
        (await Client.PostAsync($"threads/{thread.Id}/runs", new { assistant_id = "asst_plain" })).EnsureOk();

        var (status, contentType, _) = await Client.PostForTextAsync($"threads/{thread.Id}/runs", new { assistant_id = "asst_plain", stream = true });

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(contentType, Is.EqualTo("application/json"));
        });
    }

    internal static List<(string Name, JsonNode? Data, string Raw)> Events(string stream)
    {
        var events = new List<(string, JsonNode?, string)>();
        foreach (var block in stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            var name = lines.Single(l => l.StartsWith("event: ", StringComparison.Ordinal))["event: ".Length..];
            var raw = lines.Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..];
            events.Add((name, raw == "[DONE]" ? null : JsonNode.Parse(raw), raw));
        }

        return events;
    }
}
