using System.Net;
using System.Text.Json.Nodes;

namespace Wrapper.IntegrationTests.SimulatorAgents;

/// <summary>The Agent Service routes over https, as the official client calls them.</summary>
public sealed class AgentServiceFlowTests : AgentSimulatorFixture
{
    [Test]
    public async Task FullFlow_ThreadMessageRunPollListDelete_GivesAGroundedAnswerWithExactAnnotations()
    {
        var agent = await Client.GetAsync("assistants/asst_bing");
        agent.EnsureOk();
        Assert.Multiple(() =>
        {
            Assert.That(agent.Body!["object"]!.GetValue<string>(), Is.EqualTo("assistant"));
            Assert.That(agent.Body!["tools"]![0]!["type"]!.GetValue<string>(), Is.EqualTo("bing_grounding"));
            Assert.That(agent.Body!["tools"]![0]!["bing_grounding"]!["search_configurations"]![0]!["connection_id"], Is.Not.Null);
        });

        var thread = await Client.PostAsync("threads", new { });
        thread.EnsureOk();
        var threadId = thread.Id;
        Assert.Multiple(() =>
        {
            Assert.That(threadId, Does.StartWith("thread_"));
            Assert.That(thread.Body!["object"]!.GetValue<string>(), Is.EqualTo("thread"));
            Assert.That(thread.Body!["created_at"]!.GetValue<long>(), Is.EqualTo(DateTimeOffset.UtcNow.ToUnixTimeSeconds()).Within(60));
        });

        var message = await Client.PostAsync($"threads/{threadId}/messages", new { role = "user", content = "What happened in the Mars mission 🚀 this week?" });
        message.EnsureOk();
        Assert.Multiple(() =>
        {
            Assert.That(message.Id, Does.StartWith("msg_"));
            Assert.That(message.Body!["object"]!.GetValue<string>(), Is.EqualTo("thread.message"));
            Assert.That(message.Body!["thread_id"]!.GetValue<string>(), Is.EqualTo(threadId));
            Assert.That(message.Body!["content"]![0]!["text"]!["value"]!.GetValue<string>(), Does.StartWith("What happened"));
        });

        var created = await Client.PostAsync($"threads/{threadId}/runs", new { assistant_id = "asst_bing" });
        created.EnsureOk();
        Assert.Multiple(() =>
        {
            Assert.That(created.Id, Does.StartWith("run_"));
            Assert.That(created.Body!["object"]!.GetValue<string>(), Is.EqualTo("thread.run"));
            Assert.That(created.Body!["status"]!.GetValue<string>(), Is.EqualTo("queued"));
            Assert.That(created.Body!["assistant_id"]!.GetValue<string>(), Is.EqualTo("asst_bing"));
            Assert.That(created.Body!["thread_id"]!.GetValue<string>(), Is.EqualTo(threadId));
            Assert.That(created.Body!["model"]!.GetValue<string>(), Is.EqualTo("gpt-4o"));
            Assert.That(created.Body!["tools"]!.AsArray(), Has.Count.EqualTo(1));
            Assert.That(created.Body!["started_at"], Is.Null);
            Assert.That(created.Body!["expires_at"], Is.Not.Null);
        });

        var run = await Client.PollAsync(threadId, created.Id);
        Assert.Multiple(() =>
        {
            Assert.That(run["status"]!.GetValue<string>(), Is.EqualTo("completed"));
            Assert.That(run["started_at"]!.GetValue<long>(), Is.GreaterThanOrEqualTo(run["created_at"]!.GetValue<long>()));
            Assert.That(run["completed_at"]!.GetValue<long>(), Is.GreaterThanOrEqualTo(run["started_at"]!.GetValue<long>()));
            Assert.That(run["last_error"], Is.Null);
            Assert.That(run["usage"]!["total_tokens"]!.GetValue<int>(), Is.GreaterThan(0));
        });

        var latest = await Client.GetAsync($"threads/{threadId}/messages?order=desc&limit=1");
        latest.EnsureOk();
        var answer = latest.Body!["data"]![0]!;
        var text = answer["content"]![0]!["text"]!;
        var value = text["value"]!.GetValue<string>();
        var annotations = text["annotations"]!.AsArray();
        Assert.Multiple(() =>
        {
            Assert.That(latest.Body!["object"]!.GetValue<string>(), Is.EqualTo("list"));
            Assert.That(latest.Body!["first_id"]!.GetValue<string>(), Is.EqualTo(answer["id"]!.GetValue<string>()));
            Assert.That(latest.Body!["last_id"]!.GetValue<string>(), Is.EqualTo(answer["id"]!.GetValue<string>()));
            Assert.That(latest.Body!["has_more"]!.GetValue<bool>(), Is.True);
            Assert.That(answer["role"]!.GetValue<string>(), Is.EqualTo("assistant"));
            Assert.That(answer["run_id"]!.GetValue<string>(), Is.EqualTo(created.Id));
            Assert.That(answer["assistant_id"]!.GetValue<string>(), Is.EqualTo("asst_bing"));
            Assert.That(value, Does.Contain("Mars mission 🚀 this week"));
            Assert.That(annotations, Has.Count.EqualTo(4));
            foreach (var annotation in annotations)
            {
                var start = annotation!["start_index"]!.GetValue<int>();
                var end = annotation["end_index"]!.GetValue<int>();
                Assert.That(annotation["type"]!.GetValue<string>(), Is.EqualTo("url_citation"));
                Assert.That(value.Substring(start, end - start), Is.EqualTo(annotation["text"]!.GetValue<string>()));
                Assert.That(annotation["text"]!.GetValue<string>(), Does.Match(@"^【\d+:\d+†source】$"));
                Assert.That(annotation["url_citation"]!["url"]!.GetValue<string>(), Does.StartWith("https://"));
                Assert.That(annotation["url_citation"]!["title"]!.GetValue<string>(), Is.Not.Empty);
            }
        });

        var deleted = await Client.DeleteAsync($"threads/{threadId}");
        deleted.EnsureOk();
        Assert.That(deleted.Body!.ToJsonString(), Is.EqualTo($"{{\"id\":\"{threadId}\",\"object\":\"thread.deleted\",\"deleted\":true}}"));

        var gone = await Client.GetAsync($"threads/{threadId}");
        Assert.Multiple(() =>
        {
            Assert.That(gone.Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(gone.ErrorCode, Is.EqualTo("not_found"));
            Assert.That(Store.FindThread(threadId)!.Deleted, Is.True);
        });
    }

    [Test]
    public async Task Routes_AreServedAtTheRootAndUnderTheProjectPath()
    {
        using var root = new AgentServiceClient(Server, Token, basePath: "");

        var atRoot = await root.GetAsync("assistants/asst_plain");
        var inProject = await Client.GetAsync("assistants/asst_plain");

        atRoot.EnsureOk();
        inProject.EnsureOk();
        Assert.That(atRoot.Body!.ToJsonString(), Is.EqualTo(inProject.Body!.ToJsonString()));
    }

    [Test]
    public async Task ListAssistants_ReturnsTheConfiguredAgents()
    {
        var list = await Client.GetAsync("assistants?order=asc");

        list.EnsureOk();
        Assert.That(list.Body!["data"]!.AsArray().Select(a => a!["id"]!.GetValue<string>()), Is.EqualTo(new[] { "asst_bing", "asst_plain", "asst_files" }));
    }

    [Test]
    public async Task PlainAgent_AnswersWithoutCitations()
    {
        var (threadId, run) = await Client.AskAsync("asst_plain", "Say hello");

        var messages = await Client.GetAsync($"threads/{threadId}/messages?run_id={run["id"]!.GetValue<string>()}");

        var text = messages.Body!["data"]![0]!["content"]![0]!["text"]!;
        Assert.Multiple(() =>
        {
            Assert.That(run["status"]!.GetValue<string>(), Is.EqualTo("completed"));
            Assert.That(text["annotations"]!.AsArray(), Is.Empty);
            Assert.That(text["value"]!.GetValue<string>(), Does.Not.Contain("【"));
        });
    }

    [Test]
    public async Task FileSearchAgent_AnswersWithFileCitations()
    {
        var (threadId, run) = await Client.AskAsync("asst_files", "How many vacation days do I get?");

        var messages = await Client.GetAsync($"threads/{threadId}/messages?run_id={run["id"]!.GetValue<string>()}");

        var text = messages.Body!["data"]![0]!["content"]![0]!["text"]!;
        var value = text["value"]!.GetValue<string>();
        Assert.Multiple(() =>
        {
            foreach (var annotation in text["annotations"]!.AsArray())
            {
                var start = annotation!["start_index"]!.GetValue<int>();
                var end = annotation["end_index"]!.GetValue<int>();
                Assert.That(annotation["type"]!.GetValue<string>(), Is.EqualTo("file_citation"));
                Assert.That(annotation["file_citation"]!["file_id"]!.GetValue<string>(), Does.StartWith("assistant-"));
                Assert.That(annotation["file_citation"]!["quote"]!.GetValue<string>(), Is.Not.Empty);
                Assert.That(annotation["url_citation"], Is.Null);
                Assert.That(value.Substring(start, end - start), Is.EqualTo(annotation["text"]!.GetValue<string>()));
            }
        });
    }

    [Test]
    public async Task CreateThreadAndRun_RunsOnANewThreadWithItsMessages()
    {
        var created = await Client.PostAsync("threads/runs", new
        {
            assistant_id = "asst_bing",
            thread = new { messages = new[] { new { role = "user", content = new object[] { new { type = "text", text = "Latest news on fusion power" } } } } },
        });
        created.EnsureOk();
        var threadId = created.Body!["thread_id"]!.GetValue<string>();

        var run = await Client.PollAsync(threadId, created.Id);
        var messages = await Client.GetAsync($"threads/{threadId}/messages?order=asc");

        Assert.Multiple(() =>
        {
            Assert.That(run["status"]!.GetValue<string>(), Is.EqualTo("completed"));
            Assert.That(messages.Body!["data"]!.AsArray().Select(m => m!["role"]!.GetValue<string>()), Is.EqualTo(new[] { "user", "assistant" }));
            Assert.That(messages.Body!["data"]![1]!["content"]![0]!["text"]!["value"]!.GetValue<string>(), Does.Contain("Latest news on fusion power"));
        });
    }

    [Test]
    public async Task ListMessages_PagesWithOrderLimitAfterAndBefore()
    {
        var thread = await Client.PostAsync("threads", new
        {
            messages = Enumerable.Range(0, 5).Select(i => new { role = "user", content = $"message {i}" }).ToArray(),
        });
        thread.EnsureOk();
        var all = await Client.GetAsync($"threads/{thread.Id}/messages?order=asc");
        var ids = all.Body!["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ToArray();
        Assert.That(ids, Has.Length.EqualTo(5));

        async Task<PageView> Page(string query)
        {
            var page = await Client.GetAsync($"threads/{thread.Id}/messages?{query}");
            page.EnsureOk();
            return new PageView(
                string.Join(",", page.Body!["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>())),
                page.Body!["has_more"]!.GetValue<bool>(),
                page.Body!["first_id"]?.GetValue<string>(),
                page.Body!["last_id"]?.GetValue<string>());
        }

        string Ids(params int[] indexes) => string.Join(",", indexes.Select(i => ids[i]));

        var first = await Page("order=asc&limit=2");
        var second = await Page($"order=asc&limit=2&after={first.Last}");
        var third = await Page($"order=asc&limit=2&after={second.Last}");
        var newest = await Page("limit=2");
        var olderThanCursor = await Page($"limit=2&after={ids[3]}");
        var beforeCursor = await Page($"order=asc&limit=2&before={ids[3]}");
        var window = await Page($"order=asc&after={ids[0]}&before={ids[4]}");
        var pastTheEnd = await Page($"order=asc&after={ids[4]}");
        var contents = all.Body!["data"]!.AsArray().Select(m => m!["content"]![0]!["text"]!["value"]!.GetValue<string>());

        Assert.Multiple(() =>
        {
            Assert.That(contents, Is.EqualTo(Enumerable.Range(0, 5).Select(i => $"message {i}")));
            Assert.That(first, Is.EqualTo(new PageView(Ids(0, 1), true, ids[0], ids[1])));
            Assert.That(second, Is.EqualTo(new PageView(Ids(2, 3), true, ids[2], ids[3])));
            Assert.That(third, Is.EqualTo(new PageView(Ids(4), false, ids[4], ids[4])));
            Assert.That(newest, Is.EqualTo(new PageView(Ids(4, 3), true, ids[4], ids[3])), "desc is the default order");
            Assert.That(olderThanCursor, Is.EqualTo(new PageView(Ids(2, 1), true, ids[2], ids[1])));
            Assert.That(beforeCursor, Is.EqualTo(new PageView(Ids(1, 2), true, ids[1], ids[2])), "before pages back from the cursor");
            Assert.That(window, Is.EqualTo(new PageView(Ids(1, 2, 3), false, ids[1], ids[3])));
            Assert.That(pastTheEnd, Is.EqualTo(new PageView("", false, null, null)));
        });
    }

    [TestCase("order=sideways", "order")]
    [TestCase("limit=0", "limit")]
    [TestCase("limit=101", "limit")]
    [TestCase("limit=ten", "limit")]
    [TestCase("after=msg_unknown", "after")]
    public async Task ListMessages_RefusesBadPagingParameters(string query, string param)
    {
        var thread = await Client.PostAsync("threads", new { messages = new[] { new { role = "user", content = "hi" } } });

        var page = await Client.GetAsync($"threads/{thread.Id}/messages?{query}");

        Assert.Multiple(() =>
        {
            Assert.That(page.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(page.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo(param));
            Assert.That(page.Body!["error"]!["message"]!.GetValue<string>(), Is.Not.Empty);
        });
    }

    [Test]
    public async Task ListRuns_ListsTheRunsOfAThread()
    {
        var (threadId, run) = await Client.AskAsync("asst_plain", "first");

        var runs = await Client.GetAsync($"threads/{threadId}/runs");

        runs.EnsureOk();
        Assert.That(runs.Body!["data"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()), Is.EqualTo(new[] { run["id"]!.GetValue<string>() }));
    }

    [Test]
    public async Task StateRoute_ReportsTheCounters()
    {
        var before = Store.GetCounters();
        var thread = await Client.PostAsync("threads", new { });
        await Client.DeleteAsync($"threads/{thread.Id}");

        using var http = new HttpClient { BaseAddress = Server.HttpAddress };
        var state = JsonNode.Parse(await http.GetStringAsync("_simulator/agents/state"))!;

        Assert.Multiple(() =>
        {
            Assert.That(state["threads_created"]!.GetValue<int>(), Is.EqualTo(before.ThreadsCreated + 1));
            Assert.That(state["threads_deleted"]!.GetValue<int>(), Is.EqualTo(before.ThreadsDeleted + 1));
            Assert.That(state["runs_cancelled"], Is.Not.Null);
            Assert.That(state["cancel_requests"], Is.Not.Null);
        });
    }

    private sealed record PageView(string Ids, bool HasMore, string? First, string? Last);
}
