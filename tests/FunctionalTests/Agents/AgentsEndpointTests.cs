extern alias simulator;

using System.Net;
using simulator::Wrapper.Simulator;
using Wrapper.FunctionalTests.Infrastructure;

namespace Wrapper.FunctionalTests.Agents;

/// <summary>POST /agents/{name} (the second, plain agent: the extension point exercised) and the agent part of /health.</summary>
public sealed class AgentsEndpointTests : AgentApiTests
{
    [Test]
    public async Task ShouldAnswerWithThePlainAgent_WithoutCitations()
    {
        using var response = await Client.PostAsync("/agents/plain?query=Tell%20me%20a%20joke", null);

        var body = await response.ReadJsonAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
            Assert.That(body.GetProperty("content").GetString(), Does.Contain("Tell me a joke").And.Contain("plain-agent"));
            Assert.That(body.GetProperty("citations").GetArrayLength(), Is.Zero);
        }
    }

    [Test]
    public async Task ShouldServeTheBingAgentByNameToo()
    {
        using var response = await Client.PostAsync("/agents/bing-grounding", HttpAssertions.Json("""{"query":"weather"}"""));

        var body = await response.ReadJsonAsync();
        Assert.That(body.GetProperty("citations").GetArrayLength(), Is.EqualTo(3));
    }

    [Test]
    public async Task ShouldRejectAnUnknownAgent_NamingTheKnownOnes()
    {
        using var response = await Client.PostAsync("/agents/nope?query=hi", null);

        var problem = await response.AssertValidationProblemAsync("agent");
        Assert.That(problem.GetProperty("errors").GetProperty("agent")[0].GetString(), Does.Contain("bing-grounding").And.Contain("plain"));
    }

    [Test]
    public async Task HealthShouldReportTheSimulatedAgentService_WithoutCreatingThreads()
    {
        var before = Factory.Store.GetCounters().ThreadsCreated;

        using var response = await Client.GetAsync("/health");

        var body = await response.ReadJsonAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("ok"));
            Assert.That(body.GetProperty("azure_openai").GetString(), Is.EqualTo("simulated"));
            Assert.That(body.GetProperty("agent_service").GetString(), Is.EqualTo("simulated"));
            Assert.That(Factory.Store.GetCounters().ThreadsCreated, Is.EqualTo(before));
        }
    }

    [Test]
    public async Task HealthShouldStayOk_WhenTheAgentServiceRefusesUs()
    {
        Factory.Simulator.Faults.Add(new FaultSpec { Status = 401, Target = FaultInjector.AgentsTarget });

        using var response = await Client.GetAsync("/health");

        var body = await response.ReadJsonAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body.GetProperty("agent_service").GetString(), Is.EqualTo("unauthorized"));
    }
}
