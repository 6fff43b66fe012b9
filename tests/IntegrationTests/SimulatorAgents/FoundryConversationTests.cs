using System.Net;
using System.Text.Json.Nodes;

namespace Wrapper.IntegrationTests.SimulatorAgents;

/// <summary>Conversations of the new Agent Service (<c>{project}/openai/v1/conversations</c>) and their use by responses.</summary>
public sealed class FoundryConversationTests : AgentSimulatorFixture
{
    private static object Ask(string question, string conversation, string agent = "bing-grounding") => new
    {
        agent_reference = new { type = "agent_reference", name = agent },
        input = question,
        conversation,
    };

    [Test]
    public async Task Create_KeepsMetadataAndItems_AndGetReturnsIt()
    {
        var created = await Client.PostAsync("openai/v1/conversations", new
        {
            metadata = new { wrapper_owner = "owner-tag-1" },
            items = new object[]
            {
                new { type = "message", role = "user", content = "Hello" },
                new { role = "assistant", content = new[] { new { type = "output_text", text = "Hi there" } } },
            },
        });
        created.EnsureOk();
        var fetched = await Client.GetAsync($"openai/v1/conversations/{created.Id}");
        var items = await Client.GetAsync($"openai/v1/conversations/{created.Id}/items?order=asc");

        Assert.Multiple(() =>
        {
            Assert.That(created.Id, Does.StartWith("conv_"));
            Assert.That(created.Body!["object"]!.GetValue<string>(), Is.EqualTo("conversation"));
            Assert.That(created.Body!["created_at"]!.GetValue<long>(), Is.GreaterThan(0));
            Assert.That(fetched.Body!["metadata"]!["wrapper_owner"]!.GetValue<string>(), Is.EqualTo("owner-tag-1"));
            Assert.That(items.Body!["data"]!.AsArray().Select(i => i!["role"]!.GetValue<string>()), Is.EqualTo(new[] { "user", "assistant" }));
            Assert.That(items.Body!["data"]![0]!["content"]![0]!["type"]!.GetValue<string>(), Is.EqualTo("input_text"));
            Assert.That(items.Body!["data"]![1]!["content"]![0]!["type"]!.GetValue<string>(), Is.EqualTo("output_text"));
            Assert.That(Foundry.FindConversation(created.Id)!.Metadata["wrapper_owner"], Is.EqualTo("owner-tag-1"));
        });
    }

    [Test]
    public async Task Responses_AppendTheirInputAndAnswer_AndUseTheHistory()
    {
        var conversation = (await Client.PostAsync("openai/v1/conversations", new { })).Id;

        var first = await Client.PostAsync("openai/v1/responses", Ask("What is new in Rust?", conversation));
        var second = await Client.PostAsync("openai/v1/responses", Ask("And in Go?", conversation));
        var items = await Client.GetAsync($"openai/v1/conversations/{conversation}/items");

        first.EnsureOk();
        second.EnsureOk();
        var data = items.Body!["data"]!.AsArray();
        Assert.Multiple(() =>
        {
            Assert.That(second.Body!["conversation"]!["id"]!.GetValue<string>(), Is.EqualTo(conversation));
            // Newest first by default: answer 2, question 2, answer 1, question 1.
            Assert.That(data.Select(i => i!["role"]!.GetValue<string>()), Is.EqualTo(new[] { "assistant", "user", "assistant", "user" }));
            Assert.That(data[1]!["content"]![0]!["text"]!.GetValue<string>(), Is.EqualTo("And in Go?"));
            Assert.That(data[0]!["id"]!.GetValue<string>(), Is.EqualTo(second.Body!["output"]![0]!["id"]!.GetValue<string>()));
            Assert.That(data[0]!["created_by"]!["response_id"]!.GetValue<string>(), Is.EqualTo(second.Id));
            Assert.That(second.Body!["usage"]!["input_tokens"]!.GetValue<int>(),
                Is.GreaterThan(first.Body!["usage"]!["input_tokens"]!.GetValue<int>() + first.Body!["usage"]!["output_tokens"]!.GetValue<int>()),
                "the second turn's input includes the first turn");
            Assert.That(OutputText(second), Does.Contain("in Go"));
        });
    }

    [Test]
    public async Task AddedItems_AreListed_AndCanBeReadOne_ByOne()
    {
        var conversation = (await Client.PostAsync("openai/v1/conversations", new { })).Id;

        var added = await Client.PostAsync($"openai/v1/conversations/{conversation}/items",
            new { items = new[] { new { type = "message", role = "user", content = "Remember: blue." } } });
        var itemId = added.Body!["data"]![0]!["id"]!.GetValue<string>();
        var one = await Client.GetAsync($"openai/v1/conversations/{conversation}/items/{itemId}");
        var page = await Client.GetAsync($"openai/v1/conversations/{conversation}/items?limit=1");

        Assert.Multiple(() =>
        {
            Assert.That(added.Body!["object"]!.GetValue<string>(), Is.EqualTo("list"));
            Assert.That(one.Body!["content"]![0]!["text"]!.GetValue<string>(), Is.EqualTo("Remember: blue."));
            Assert.That(page.Body!["first_id"]!.GetValue<string>(), Is.EqualTo(itemId));
            Assert.That(page.Body!["has_more"]!.GetValue<bool>(), Is.False);
        });
    }

    [Test]
    public async Task UpdatingMetadata_ReplacesIt()
    {
        var conversation = (await Client.PostAsync("openai/v1/conversations", new { metadata = new { a = "1" } })).Id;

        var updated = await Client.PostAsync($"openai/v1/conversations/{conversation}", new { metadata = new { b = "2" } });

        Assert.Multiple(() =>
        {
            Assert.That(updated.Body!["metadata"]!["b"]!.GetValue<string>(), Is.EqualTo("2"));
            Assert.That(updated.Body!["metadata"]!["a"], Is.Null);
        });
    }

    [Test]
    public async Task Delete_AnswersConversationDeleted_AndTheConversationIsGone()
    {
        var conversation = (await Client.PostAsync("openai/v1/conversations", new { })).Id;

        var deleted = await Client.DeleteAsync($"openai/v1/conversations/{conversation}");
        var get = await Client.GetAsync($"openai/v1/conversations/{conversation}");
        var items = await Client.GetAsync($"openai/v1/conversations/{conversation}/items");
        var respond = await Client.PostAsync("openai/v1/responses", Ask("Still there?", conversation));
        var again = await Client.DeleteAsync($"openai/v1/conversations/{conversation}");

        Assert.Multiple(() =>
        {
            Assert.That(deleted.Body!["object"]!.GetValue<string>(), Is.EqualTo("conversation.deleted"));
            Assert.That(deleted.Body!["deleted"]!.GetValue<bool>(), Is.True);
            Assert.That(deleted.Id, Is.EqualTo(conversation));
            Assert.That(new[] { get.Status, items.Status, respond.Status, again.Status }, Is.All.EqualTo(HttpStatusCode.NotFound));
            Assert.That(Foundry.FindConversation(conversation)!.Deleted, Is.True);
        });
    }

    [Test]
    public async Task BadConversationInput_Is400NamingTheField()
    {
        var tooMany = await Client.PostAsync("openai/v1/conversations",
            new { metadata = Enumerable.Range(0, 17).ToDictionary(i => $"k{i}", i => "v") });
        var badItem = await Client.PostAsync("openai/v1/conversations", new { items = new[] { new { type = "function_call", role = "user", content = "x" } } });
        var badRole = await Client.PostAsync("openai/v1/conversations", new { items = new[] { new { role = "robot", content = "x" } } });
        var conversation = (await Client.PostAsync("openai/v1/conversations", new { })).Id;
        var noItems = await Client.PostAsync($"openai/v1/conversations/{conversation}/items", new { items = Array.Empty<object>() });

        Assert.Multiple(() =>
        {
            Assert.That(tooMany.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo("metadata"));
            Assert.That(badItem.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo("items[0].type"));
            Assert.That(badRole.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo("items[0].role"));
            Assert.That(noItems.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo("items"));
            Assert.That(new[] { tooMany.Status, badItem.Status, badRole.Status, noItems.Status }, Is.All.EqualTo(HttpStatusCode.BadRequest));
        });
    }

    [Test]
    public async Task OpenAIRoutes_TakeNoApiVersionOrV1_AndRefuseOthers()
    {
        using var none = new AgentServiceClient(Server, Token, apiVersion: null);
        using var classic = new AgentServiceClient(Server, Token, apiVersion: "2025-05-01");

        var withoutVersion = await none.PostAsync("openai/v1/conversations", new { });
        var withClassicVersion = await classic.PostAsync("openai/v1/conversations", new { });

        Assert.Multiple(() =>
        {
            Assert.That(withoutVersion.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(withClassicVersion.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(withClassicVersion.ErrorCode, Is.EqualTo("unsupported_api_version"));
        });
    }

    internal static string OutputText(AgentServiceClient.Reply reply) =>
        string.Concat(reply.Body!["output"]!.AsArray()
            .Where(i => i!["type"]!.GetValue<string>() == "message")
            .SelectMany(i => i!["content"]!.AsArray())
            .Where(c => c!["type"]!.GetValue<string>() == "output_text")
            .Select(c => c!["text"]!.GetValue<string>()));

    internal static JsonArray AnnotationsOf(AgentServiceClient.Reply reply) => reply.Body!["output"]![0]!["content"]![0]!["annotations"]!.AsArray();
}
