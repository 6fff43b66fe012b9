using System.Net;
using System.Text.Json.Nodes;

namespace Wrapper.IntegrationTests.SimulatorAgents;

/// <summary>The <c>[simulate:…]</c> prompts and run cancellation, over https.</summary>
public sealed class AgentRunOutcomeTests : AgentSimulatorFixture
{
    [TestCase("[simulate:fail] What is new?", "failed", "server_error")]
    [TestCase("What is new? [simulate:rate_limit]", "failed", "rate_limit_exceeded")]
    [TestCase("[simulate:expire] What is new?", "expired", null)]
    public async Task SimulatePrompt_EndsTheRunWithoutAnAnswer(string prompt, string status, string? errorCode)
    {
        var (threadId, run) = await Client.AskAsync("asst_bing", prompt);

        var messages = await Client.GetAsync($"threads/{threadId}/messages");

        Assert.Multiple(() =>
        {
            Assert.That(run["status"]!.GetValue<string>(), Is.EqualTo(status));
            Assert.That(run["last_error"]?["code"]?.GetValue<string>(), Is.EqualTo(errorCode));
            Assert.That(run["last_error"]?["message"]?.GetValue<string>(), errorCode is null ? Is.Null : Is.Not.Empty);
            Assert.That(run[status == "failed" ? "failed_at" : "expires_at"], Is.Not.Null);
            Assert.That(run["completed_at"], Is.Null);
            Assert.That(Roles(messages.Body!), Is.EqualTo(new[] { "user" }));
        });
    }

    [Test]
    public async Task SimulateEmpty_CompletesWithoutAnAssistantMessage()
    {
        var (threadId, run) = await Client.AskAsync("asst_bing", "[simulate:empty] anything");

        var messages = await Client.GetAsync($"threads/{threadId}/messages");

        Assert.Multiple(() =>
        {
            Assert.That(run["status"]!.GetValue<string>(), Is.EqualTo("completed"));
            Assert.That(Roles(messages.Body!), Is.EqualTo(new[] { "user" }));
        });
    }

    [Test]
    public async Task SlowRun_StaysInProgress_AndCancelGoesCancellingThenCancelled()
    {
        var countersBefore = Store.GetCounters();
        var thread = await Client.PostAsync("threads", new { messages = new[] { new { role = "user", content = "[simulate:slow] long research" } } });
        var created = await Client.PostAsync($"threads/{thread.Id}/runs", new { assistant_id = "asst_bing" });
        Assert.That(created.Body!["status"]!.GetValue<string>(), Is.EqualTo("queued"));

        var started = await Client.PollAsync(thread.Id, created.Id, status => status != "queued");
        Assert.That(started["status"]!.GetValue<string>(), Is.EqualTo("in_progress"));
        Assert.That(started["started_at"], Is.Not.Null);
        await Task.Delay(100); // many step delays later, a slow run is still working
        var stillRunning = await Client.GetAsync($"threads/{thread.Id}/runs/{created.Id}");
        Assert.That(stillRunning.Body!["status"]!.GetValue<string>(), Is.EqualTo("in_progress"));

        var cancelling = await Client.PostAsync($"threads/{thread.Id}/runs/{created.Id}/cancel");
        cancelling.EnsureOk();
        Assert.That(cancelling.Body!["status"]!.GetValue<string>(), Is.EqualTo("cancelling"));

        var cancelled = await Client.PollAsync(thread.Id, created.Id);
        var cancelAgain = await Client.PostAsync($"threads/{thread.Id}/runs/{created.Id}/cancel");
        var deleted = await Client.DeleteAsync($"threads/{thread.Id}");
        var counters = Store.GetCounters();

        Assert.Multiple(() =>
        {
            Assert.That(cancelled["status"]!.GetValue<string>(), Is.EqualTo("cancelled"));
            Assert.That(cancelled["cancelled_at"], Is.Not.Null);
            Assert.That(cancelled["completed_at"], Is.Null);
            Assert.That(cancelAgain.Status, Is.EqualTo(HttpStatusCode.BadRequest), "a cancelled run cannot be cancelled again");
            Assert.That(deleted.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Store.FindRun(created.Id)!.Status, Is.EqualTo("cancelled"));
            Assert.That(Store.FindRun(created.Id)!.CancelRequested, Is.True);
            Assert.That(Store.FindThread(thread.Id)!.Deleted, Is.True);
            Assert.That(counters.RunsCancelled, Is.EqualTo(countersBefore.RunsCancelled + 1));
            Assert.That(counters.CancelRequests, Is.EqualTo(countersBefore.CancelRequests + 1));
            Assert.That(counters.ThreadsDeleted, Is.EqualTo(countersBefore.ThreadsDeleted + 1));
        });
    }

    [Test]
    public async Task FollowUpQuestion_OnTheSameThread_IsAnsweredWithANewMarkerGroup()
    {
        var (threadId, first) = await Client.AskAsync("asst_bing", "First question");
        await Client.PostAsync($"threads/{threadId}/messages", new { role = "user", content = "Second question" });
        var second = await Client.PostAsync($"threads/{threadId}/runs", new { assistant_id = "asst_bing" });
        await Client.PollAsync(threadId, second.Id);

        var messages = await Client.GetAsync($"threads/{threadId}/messages?order=asc");

        var data = messages.Body!["data"]!.AsArray();
        Assert.Multiple(() =>
        {
            Assert.That(Roles(messages.Body!), Is.EqualTo(new[] { "user", "assistant", "user", "assistant" }));
            Assert.That(data[1]!["run_id"]!.GetValue<string>(), Is.EqualTo(first["id"]!.GetValue<string>()));
            Assert.That(data[3]!["run_id"]!.GetValue<string>(), Is.EqualTo(second.Id));
            Assert.That(Marker(data[1]!), Is.Not.EqualTo(Marker(data[3]!)));
        });
    }

    private static string[] Roles(JsonNode list) =>
        list["data"]!.AsArray().Select(m => m!["role"]!.GetValue<string>()).ToArray();

    private static string Marker(JsonNode message) =>
        message["content"]![0]!["text"]!["annotations"]![0]!["text"]!.GetValue<string>();
}
