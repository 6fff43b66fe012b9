using System.Net;
using System.Text;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Wrapper.FunctionalTests.Security;

namespace Wrapper.FunctionalTests.Mcp;

/// <summary>/mcp driven by the official C# MCP client over the in-memory test server.</summary>
public sealed class McpToolTests
{
    private SecuredApiFactory _factory = null!;
    private McpClient _mcp = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _factory = new SecuredApiFactory(SecuredApiFactory.WithKeys());
        _mcp = await McpTestClient.ConnectAsync(_factory, SecuredApiFactory.AliceKey);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _mcp.DisposeAsync();
        await _factory.DisposeAsync();
    }


    [Test]
    public async Task ShouldListEveryToolWithTypedSchemas()
    {
        var tools = await _mcp.ListToolsAsync();
        var names = tools.Select(t => t.Name).ToList();
        Assert.That(names, Is.SupersetOf(new[] { "chat", "complete", "bing_grounding", "health", "ask_agent_bing_grounding", "ask_agent_plain" }));

        var agent = tools.Single(t => t.Name == "ask_agent_plain").JsonSchema.GetProperty("properties");
        Assert.That(agent.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "query", "thread_id", "keep_thread", "conversation_id" }));

        var chat = tools.Single(t => t.Name == "chat");
        var schema = chat.JsonSchema;
        Assert.Multiple(() =>
        {
            Assert.That(chat.Description, Is.Not.Empty);
            Assert.That(schema.GetProperty("properties").GetProperty("messages").GetProperty("type").GetString(), Is.EqualTo("array"));
            Assert.That(schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()), Does.Contain("messages"));
            Assert.That(chat.ProtocolTool.OutputSchema, Is.Not.Null);
        });
    }

    [Test]
    public async Task ShouldChatThroughTheSameUseCase()
    {
        var result = await _mcp.CallToolAsync("chat", new Dictionary<string, object?>
        {
            ["messages"] = new[] { new { role = "user", content = "What is the capital of France?" } },
        });
        Assert.That(result.IsError, Is.Not.True, McpTestClient.Text(result));
        var structured = result.StructuredContent!.Value;
        Assert.Multiple(() =>
        {
            Assert.That(structured.GetProperty("content").GetString(), Is.Not.Empty);
            Assert.That(structured.GetProperty("usage").GetProperty("total_tokens").GetInt32(), Is.GreaterThan(0));
        });
    }

    [Test]
    public async Task ShouldCompleteAndReportHealth()
    {
        var complete = await _mcp.CallToolAsync("complete", new Dictionary<string, object?> { ["query"] = "hello" });
        var health = await _mcp.CallToolAsync("health");
        Assert.Multiple(() =>
        {
            Assert.That(complete.IsError, Is.Not.True, McpTestClient.Text(complete));
            Assert.That(complete.StructuredContent!.Value.GetProperty("model").GetString(), Is.Not.Empty);
            Assert.That(health.IsError, Is.Not.True, McpTestClient.Text(health));
            Assert.That(health.StructuredContent!.Value.GetProperty("azure_openai").GetString(), Is.EqualTo("simulated"));
        });
    }

    [Test]
    public async Task ShouldAnswerWithCitations()
    {
        var result = await _mcp.CallToolAsync("bing_grounding", new Dictionary<string, object?> { ["query"] = "What happened in finance today?" });
        Assert.That(result.IsError, Is.Not.True, McpTestClient.Text(result));
        var structured = result.StructuredContent!.Value;
        Assert.That(structured.GetProperty("content").GetString(), Is.Not.Empty);
        Assert.That(structured.GetProperty("citations").ValueKind, Is.EqualTo(JsonValueKind.Array));
    }

    [Test]
    public async Task ShouldAskANamedAgent()
    {
        var result = await _mcp.CallToolAsync("ask_agent_plain", new Dictionary<string, object?> { ["query"] = "hello" });
        Assert.That(result.IsError, Is.Not.True, McpTestClient.Text(result));
        Assert.That(result.StructuredContent!.Value.GetProperty("content").GetString(), Is.Not.Empty);
    }

    [Test]
    public async Task ShouldReturnValidationFailuresAsToolErrors()
    {
        var result = await _mcp.CallToolAsync("chat", new Dictionary<string, object?>
        {
            ["messages"] = new[] { new { role = "wizard", content = "hi" } },
        });
        Assert.Multiple(() =>
        {
            Assert.That(result.IsError, Is.True);
            Assert.That(McpTestClient.Text(result), Does.StartWith("validation_failed (400)").And.Contain("messages[0].role"));
        });
    }

    [Test]
    public async Task ShouldRejectABlankQueryAsAToolError()
    {
        var result = await _mcp.CallToolAsync("complete", new Dictionary<string, object?> { ["query"] = "   " });
        Assert.That(result.IsError, Is.True);
        Assert.That(McpTestClient.Text(result), Does.StartWith("validation_failed"));
    }

    [Test]
    public async Task ShouldRejectArgumentsOfTheWrongType()
    {
        var result = await _mcp.CallToolAsync("chat", new Dictionary<string, object?> { ["messages"] = "not a list" });
        Assert.That(result.IsError, Is.True);
        Assert.That(McpTestClient.Text(result), Does.StartWith("invalid_arguments (400)").And.Not.Contain("Wrapper."));
    }

    [Test]
    public async Task ShouldRejectAMissingArgument()
    {
        var result = await _mcp.CallToolAsync("complete", new Dictionary<string, object?>());
        Assert.That(result.IsError, Is.True);
        Assert.That(McpTestClient.Text(result), Does.StartWith("invalid_arguments (400)").And.Contain("query"));
    }

    [Test]
    public async Task ShouldRefuseAClientWithoutAKey()
    {
        using var http = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp")
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        using var response = await http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.ThrowsAsync(Is.InstanceOf<Exception>(), async () => await McpTestClient.ConnectAsync(_factory, "wrong-key"));
    }
}
