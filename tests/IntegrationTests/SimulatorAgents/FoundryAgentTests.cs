using System.Net;
using System.Text.Json.Nodes;

namespace Wrapper.IntegrationTests.SimulatorAgents;

/// <summary>The new Agent Service's agents by name and version: <c>{project}/agents/{agent_name}[/versions[/{version}]]</c>.</summary>
public sealed class FoundryAgentTests : AgentSimulatorFixture
{
    private static object PromptDefinition(string model = "gpt-4o-mini", params object[] tools) =>
        new { definition = new { kind = "prompt", model, instructions = "Be brief.", tools }, description = "Made by a test." };

    [Test]
    public async Task SeededBingAgent_HasItsLatestVersionWithABingGroundingTool()
    {
        var reply = await Client.GetAsync("agents/bing-grounding");

        reply.EnsureOk();
        var latest = reply.Body!["versions"]!["latest"]!;
        Assert.Multiple(() =>
        {
            Assert.That(reply.Body!["object"]!.GetValue<string>(), Is.EqualTo("agent"));
            Assert.That(reply.Body!["name"]!.GetValue<string>(), Is.EqualTo("bing-grounding"));
            Assert.That(latest["object"]!.GetValue<string>(), Is.EqualTo("agent.version"));
            Assert.That(latest["version"]!.GetValue<string>(), Is.EqualTo("1"));
            Assert.That(latest["id"]!.GetValue<string>(), Is.EqualTo("bing-grounding:1"));
            Assert.That(latest["definition"]!["kind"]!.GetValue<string>(), Is.EqualTo("prompt"));
            Assert.That(latest["definition"]!["tools"]![0]!["type"]!.GetValue<string>(), Is.EqualTo("bing_grounding"));
            Assert.That(latest["definition"]!["tools"]![0]!["bing_grounding"]!["search_configurations"]![0]!["project_connection_id"], Is.Not.Null);
        });
    }

    [Test]
    public async Task CreatingVersions_NumbersThem_AndTheAgentPointsAtTheLatest()
    {
        var name = "made-" + Guid.NewGuid().ToString("N")[..8];

        var first = await Client.PostAsync($"agents/{name}/versions", PromptDefinition());
        var second = await Client.PostAsync($"agents/{name}/versions", PromptDefinition("gpt-4o", new { type = "bing_grounding" }));
        var agent = await Client.GetAsync($"agents/{name}");
        var versionOne = await Client.GetAsync($"agents/{name}/versions/1");
        var list = await Client.GetAsync($"agents/{name}/versions");
        var ascending = await Client.GetAsync($"agents/{name}/versions?order=asc&limit=1");

        Assert.Multiple(() =>
        {
            Assert.That(first.Body!["version"]!.GetValue<string>(), Is.EqualTo("1"));
            Assert.That(first.Body!["description"]!.GetValue<string>(), Is.EqualTo("Made by a test."));
            Assert.That(second.Body!["version"]!.GetValue<string>(), Is.EqualTo("2"));
            Assert.That(agent.Body!["versions"]!["latest"]!["version"]!.GetValue<string>(), Is.EqualTo("2"));
            Assert.That(agent.Body!["versions"]!["latest"]!["definition"]!["model"]!.GetValue<string>(), Is.EqualTo("gpt-4o"));
            Assert.That(versionOne.Body!["definition"]!["model"]!.GetValue<string>(), Is.EqualTo("gpt-4o-mini"));
            Assert.That(list.Body!["object"]!.GetValue<string>(), Is.EqualTo("list"));
            Assert.That(list.Body!["data"]!.AsArray().Select(v => v!["version"]!.GetValue<string>()), Is.EqualTo(new[] { "2", "1" }));
            Assert.That(ascending.Body!["data"]!.AsArray().Select(v => v!["version"]!.GetValue<string>()), Is.EqualTo(new[] { "1" }));
            Assert.That(ascending.Body!["has_more"]!.GetValue<bool>(), Is.True);
        });
    }

    [Test]
    public async Task ACreatedBingVersion_AnswersWithCitations()
    {
        var name = "bing-" + Guid.NewGuid().ToString("N")[..8];
        (await Client.PostAsync($"agents/{name}/versions", PromptDefinition("gpt-4o", new { type = "bing_grounding" }))).EnsureOk();

        var response = await Client.PostAsync("openai/v1/responses", new
        {
            agent_reference = new { type = "agent_reference", name },
            input = "Weather in Oslo?",
        });

        response.EnsureOk();
        Assert.That(response.Body!["output"]![0]!["content"]![0]!["annotations"]!.AsArray(), Has.Count.EqualTo(4));
    }

    [TestCase("agents/no-such-agent")]
    [TestCase("agents/no-such-agent/versions")]
    [TestCase("agents/bing-grounding/versions/99")]
    public async Task UnknownAgentOrVersion_Is404NotFound(string path)
    {
        var reply = await Client.GetAsync(path);

        Assert.Multiple(() =>
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(reply.ErrorCode, Is.EqualTo("not_found"));
        });
    }

    [TestCase("-leading-hyphen")]
    [TestCase("has_underscore")]
    public async Task ABadAgentName_Is400NamingTheParameter(string name)
    {
        var reply = await Client.PostAsync($"agents/{name}/versions", PromptDefinition());

        Assert.Multiple(() =>
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(reply.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo("agent_name"));
        });
    }

    [Test]
    public async Task ABadDefinition_Is400NamingTheField()
    {
        var missing = await Client.PostAsync("agents/x1/versions", new { description = "no definition" });
        var hosted = await Client.PostAsync("agents/x1/versions", new { definition = new { kind = "hosted", model = "gpt-4o" } });
        var noModel = await Client.PostAsync("agents/x1/versions", new { definition = new { kind = "prompt" } });

        Assert.Multiple(() =>
        {
            Assert.That(missing.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo("definition"));
            Assert.That(hosted.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo("definition.kind"));
            Assert.That(noModel.Body!["error"]!["param"]!.GetValue<string>(), Is.EqualTo("definition.model"));
            Assert.That(new[] { missing.Status, hosted.Status, noModel.Status }, Is.All.EqualTo(HttpStatusCode.BadRequest));
        });
    }

    [Test]
    public async Task AgentRoutes_NeedAnApiVersion_AndABearerToken()
    {
        using var noVersion = new AgentServiceClient(Server, Token, apiVersion: null);
        using var anonymous = new AgentServiceClient(Server, token: null);
        using var preview = new AgentServiceClient(Server, Token, apiVersion: "2025-11-15-preview");
        using var classicOnly = new AgentServiceClient(Server, Token, apiVersion: "2025-05-01");

        var missing = await noVersion.GetAsync("agents/plain");
        var unauthorized = await anonymous.GetAsync("agents/plain");
        var previewReply = await preview.GetAsync("agents/plain");
        var classic = await classicOnly.GetAsync("agents/plain");

        Assert.Multiple(() =>
        {
            Assert.That(missing.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(missing.ErrorCode, Is.EqualTo("missing_required_parameter"));
            Assert.That(unauthorized.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(previewReply.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(classic.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(classic.ErrorCode, Is.EqualTo("unsupported_api_version"));
        });
    }

    [Test]
    public async Task StateRoute_CountsCreatedVersions()
    {
        var before = Foundry.GetCounters().AgentVersionsCreated;

        (await Client.PostAsync($"agents/count-{Guid.NewGuid().ToString("N")[..8]}/versions", PromptDefinition())).EnsureOk();

        Assert.That(Foundry.GetCounters().AgentVersionsCreated, Is.EqualTo(before + 1));
    }

    internal static JsonArray Annotations(JsonNode response) => response["output"]![0]!["content"]![0]!["annotations"]!.AsArray();
}
