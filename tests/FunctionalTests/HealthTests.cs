using System.Net;
using Wrapper.FunctionalTests.Infrastructure;

namespace Wrapper.FunctionalTests;

public sealed class HealthTests
{
    [Test]
    public async Task ShouldReportSimulatedWhenNoEndpointIsConfigured()
    {
        await using var factory = new EmbeddedApiFactory();
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/health");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        await AssertHealthyAsync(response, "simulated");
        Assert.That(response.Headers.GetValues("X-Wrapper-Simulated").Single(), Is.EqualTo("openai, agents"));
    }

    [Test]
    public async Task ShouldReportConnectedWhenTheConfiguredEndpointAnswers()
    {
        await using var factory = await UpstreamApiFactory.StartAsync();
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/health");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        await AssertHealthyAsync(response, "connected");
        // Azure OpenAI is configured; the agents (no AZURE_AI_PROJECT_ENDPOINT here) are still simulated, and only they are named.
        Assert.That(response.Headers.GetValues("X-Wrapper-Simulated").Single(), Is.EqualTo("agents"));
    }

    /// <summary>The original shape, <c>{"status":"ok","azure_openai":"..."}</c>, first and unchanged; the agent
    /// endpoint adds an informational <c>agent_service</c> after it.</summary>
    private static async Task AssertHealthyAsync(HttpResponseMessage response, string azureOpenAi)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(text, Does.StartWith("{\"status\":\"ok\",\"azure_openai\":\"" + azureOpenAi + "\""));
        var names = (await response.ReadJsonAsync()).EnumerateObject().Select(p => p.Name);
        Assert.That(names, Is.SubsetOf(new[] { "status", "azure_openai", "agent_service" }));
    }
}
