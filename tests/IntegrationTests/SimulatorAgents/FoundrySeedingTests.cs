using System.Net;
using Wrapper.Simulator;
using Wrapper.Simulator.Agents;
using Wrapper.Simulator.Foundry;

namespace Wrapper.IntegrationTests.SimulatorAgents;

/// <summary>Named agents seeded from <see cref="AgentSimulatorOptions.NamedAgents"/>, and seeded again on reset.</summary>
[TestFixture]
public sealed class FoundrySeedingTests
{
    private SimulatorServer _server = null!;
    private AgentServiceClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            Agents = new AgentSimulatorOptions
            {
                NamedAgents =
                [
                    new SimulatedNamedAgent { Name = "news", Version = "7", Kind = SimulatedAgentKind.BingGrounding, Model = "gpt-4o-mini" },
                    new SimulatedNamedAgent { Name = "chat", Kind = SimulatedAgentKind.Plain, Instructions = "Be kind." },
                ],
            },
        });
        _client = new AgentServiceClient(_server, "any-token");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task ConfiguredAgentsReplaceTheDefaults()
    {
        var news = await _client.GetAsync("agents/news");
        var chat = await _client.GetAsync("agents/chat/versions/1");
        var defaultAgent = await _client.GetAsync("agents/bing-grounding");

        Assert.Multiple(() =>
        {
            Assert.That(news.Body!["versions"]!["latest"]!["version"]!.GetValue<string>(), Is.EqualTo("7"));
            Assert.That(news.Body!["versions"]!["latest"]!["definition"]!["model"]!.GetValue<string>(), Is.EqualTo("gpt-4o-mini"));
            Assert.That(news.Body!["versions"]!["latest"]!["definition"]!["tools"]![0]!["type"]!.GetValue<string>(), Is.EqualTo("bing_grounding"));
            Assert.That(chat.Body!["definition"]!["instructions"]!.GetValue<string>(), Is.EqualTo("Be kind."));
            Assert.That(defaultAgent.Status, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task ResetForgetsCreatedVersionsAndConversations_AndSeedsAgain()
    {
        var created = await _client.PostAsync("agents/news/versions", new { definition = new { kind = "prompt", model = "gpt-4o" } });
        var conversation = await _client.PostAsync("openai/v1/conversations", new { });
        using var http = new HttpClient { BaseAddress = _server.HttpAddress };

        using var reset = await http.DeleteAsync(FoundryEndpoints.StateRoute);
        var news = await _client.GetAsync("agents/news");
        var gone = await _client.GetAsync($"openai/v1/conversations/{conversation.Id}");
        var counters = await http.GetStringAsync(FoundryEndpoints.StateRoute);

        Assert.Multiple(() =>
        {
            Assert.That(created.Body!["version"]!.GetValue<string>(), Is.EqualTo("8"));
            Assert.That(reset.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(news.Body!["versions"]!["latest"]!["version"]!.GetValue<string>(), Is.EqualTo("7"));
            Assert.That(gone.Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(counters, Does.Contain("\"conversations_created\":0"));
        });
    }
}
