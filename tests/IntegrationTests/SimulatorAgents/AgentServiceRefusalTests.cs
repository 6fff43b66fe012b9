using System.Net;

namespace Wrapper.IntegrationTests.SimulatorAgents;

/// <summary>Authentication, api-version, unknown ids and bad bodies, answered in the service's error shape.</summary>
public sealed class AgentServiceRefusalTests : AgentSimulatorFixture
{
    [Test]
    public async Task MissingBearerToken_Is401()
    {
        using var anonymous = new AgentServiceClient(Server, token: null);

        var reply = await anonymous.GetAsync("assistants/asst_bing");

        Assert.Multiple(() =>
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(reply.ErrorCode, Is.EqualTo("unauthorized"));
            Assert.That(reply.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
        });
    }

    [Test]
    public async Task WrongBearerToken_Is401_AndTheTokenIsNotEchoed()
    {
        using var intruder = new AgentServiceClient(Server, token: "not-the-token");

        var reply = await intruder.PostAsync("threads", new { });

        Assert.Multiple(() =>
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(reply.ErrorCode, Is.EqualTo("unauthorized"));
            Assert.That(reply.Body!.ToJsonString(), Does.Not.Contain("not-the-token").And.Not.Contain(Token));
        });
    }

    [Test]
    public async Task AnyToken_IsAccepted_WhenNoTokenIsConfigured()
    {
        Server.Options.AgentBearerToken = null;
        try
        {
            using var client = new AgentServiceClient(Server, token: "whatever-entra-gave-me");

            var reply = await client.GetAsync("assistants/asst_bing");

            reply.EnsureOk();
        }
        finally
        {
            Server.Options.AgentBearerToken = Token;
        }
    }

    [TestCase(null, "missing_required_parameter")]
    [TestCase("2024-02-15-preview", "unsupported_api_version")]
    public async Task ApiVersion_MustBeASupportedOne(string? apiVersion, string code)
    {
        using var client = new AgentServiceClient(Server, Token, apiVersion: apiVersion);

        var reply = await client.GetAsync("assistants/asst_bing");

        Assert.Multiple(() =>
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(reply.ErrorCode, Is.EqualTo(code));
            Assert.That(reply.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo("api-version"));
        });
    }

    [Test]
    public async Task ApiVersion_20250501_IsAccepted()
    {
        using var client = new AgentServiceClient(Server, Token, apiVersion: "2025-05-01");

        var reply = await client.GetAsync("assistants/asst_bing");

        reply.EnsureOk();
    }

    [Test]
    public async Task UnknownAgent_Is404NotFound()
    {
        var get = await Client.GetAsync("assistants/asst_nobody");
        var thread = await Client.PostAsync("threads", new { });
        var run = await Client.PostAsync($"threads/{thread.Id}/runs", new { assistant_id = "asst_nobody" });

        Assert.Multiple(() =>
        {
            Assert.That(get.Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(get.ErrorCode, Is.EqualTo("not_found"));
            Assert.That(get.Body!["error"]!["message"]!.GetValue<string>(), Does.Contain("asst_nobody"));
            Assert.That(run.Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(run.ErrorCode, Is.EqualTo("not_found"));
        });
    }

    [TestCase("GET", "threads/thread_nope")]
    [TestCase("DELETE", "threads/thread_nope")]
    [TestCase("GET", "threads/thread_nope/messages")]
    [TestCase("GET", "threads/thread_nope/runs/run_nope")]
    [TestCase("POST", "threads/thread_nope/runs/run_nope/cancel")]
    public async Task UnknownThread_Is404NotFound(string method, string path)
    {
        var reply = await Client.SendAsync(new HttpMethod(method), path);

        Assert.Multiple(() =>
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(reply.ErrorCode, Is.EqualTo("not_found"));
        });
    }

    [TestCase("{not json", null)]
    [TestCase("[1,2]", null)]
    [TestCase("{\"role\":\"user\"}", "content")]
    [TestCase("{\"role\":\"user\",\"content\":\"  \"}", "content")]
    [TestCase("{\"role\":\"system\",\"content\":\"hi\"}", "role")]
    [TestCase("{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x\"}}]}", "content[0].type")]
    public async Task BadMessageBody_Is400(string body, string? param)
    {
        var thread = await Client.PostAsync("threads", new { });

        var reply = await Client.PostRawAsync($"threads/{thread.Id}/messages", body);

        Assert.Multiple(() =>
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(reply.ErrorCode, Is.EqualTo("invalid_request_error"));
            Assert.That(reply.Body!["error"]!["param"]?.GetValue<string>(), Is.EqualTo(param));
        });
    }

    [TestCase("{}", "assistant_id")]
    [TestCase("{\"assistant_id\":42}", "assistant_id")]
    [TestCase("{\"assistant_id\":\"asst_bing\",\"stream\":\"yes\"}", "stream")]
    [TestCase("{\"assistant_id\":\"asst_bing\",\"metadata\":{\"k\":1}}", "metadata")]
    public async Task BadRunBody_Is400(string body, string param)
    {
        var thread = await Client.PostAsync("threads", new { });

        var reply = await Client.PostRawAsync($"threads/{thread.Id}/runs", body);

        Assert.Multiple(() =>
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(reply.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo(param));
        });
    }

    /// <summary>Metadata limits as @azure/ai-agents 1.1.0 documents them: up to 16 pairs, keys up to 64 characters,
    /// values up to 512.</summary>
    [TestCase(17, 1, 1)]
    [TestCase(1, 65, 1)]
    [TestCase(1, 1, 513)]
    public async Task ThreadMetadataOverTheLimits_Is400(int pairs, int keyLength, int valueLength)
    {
        var metadata = Enumerable.Range(0, pairs).ToDictionary(i => i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture).PadRight(keyLength, 'k'), _ => new string('v', valueLength));

        var reply = await Client.PostAsync("threads", new { metadata });

        Assert.Multiple(() =>
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(reply.ErrorCode, Is.EqualTo("invalid_request_error"));
            Assert.That(reply.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo("metadata"));
        });
    }

    [Test]
    public async Task ThreadMetadataAtTheLimits_IsStored_AndReturnedByGet()
    {
        var metadata = Enumerable.Range(0, 16).ToDictionary(i => i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture).PadRight(64, 'k'), _ => new string('v', 512));

        var created = await Client.PostAsync("threads", new { metadata });
        var read = await Client.GetAsync($"threads/{created.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(created.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(read.Body!.AsObject().Select(p => p.Key), Is.EquivalentTo(new[] { "id", "object", "created_at", "tool_resources", "metadata" }));
            Assert.That(read.Body!["object"]!.GetValue<string>(), Is.EqualTo("thread"));
            Assert.That(read.Body!["metadata"]!.AsObject().Select(p => (p.Key, p.Value!.GetValue<string>())), Is.EquivalentTo(metadata.Select(p => (p.Key, p.Value))));
        });
    }

    [Test]
    public async Task MessageDuringAnActiveRun_Is400()
    {
        var thread = await Client.PostAsync("threads", new { messages = new[] { new { role = "user", content = "[simulate:slow] wait" } } });
        var run = await Client.PostAsync($"threads/{thread.Id}/runs", new { assistant_id = "asst_bing" });

        var message = await Client.PostAsync($"threads/{thread.Id}/messages", new { role = "user", content = "are you there?" });
        var secondRun = await Client.PostAsync($"threads/{thread.Id}/runs", new { assistant_id = "asst_bing" });
        await Client.PostAsync($"threads/{thread.Id}/runs/{run.Id}/cancel");

        Assert.Multiple(() =>
        {
            Assert.That(message.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(message.Body!["error"]!["message"]!.GetValue<string>(), Does.Contain(run.Id));
            Assert.That(secondRun.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        });
    }
}
