using Microsoft.Extensions.Configuration;
using Wrapper.Api.Simulation;
using Wrapper.Application.Agents;

namespace Wrapper.UnitTests.Api.Simulation;

/// <summary>The host's one statement of what a simulated side looks like in /health, the MCP health tool and readiness
/// (Application reports <c>connected</c>; only the host knows a simulator answered).</summary>
public sealed class SimulatedSidesTests
{
    private static IConfiguration Configuration(string? openAISimulated) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["OPENAI_SIMULATED"] = openAISimulated }).Build();

    [TestCase(true, "simulated")]
    [TestCase(false, "connected")]
    public void TheAzureOpenAISide_IsSimulatedOrConnected(bool simulated, string expected) =>
        Assert.That(new SimulatedSides(simulated, false).OpenAIStatus, Is.EqualTo(expected));

    [TestCase(true, AgentServiceStatus.Connected, "simulated")]
    [TestCase(false, AgentServiceStatus.Connected, "connected")]
    [TestCase(true, AgentServiceStatus.NotConfigured, "not_configured")]
    [TestCase(true, AgentServiceStatus.Unreachable, "unreachable")]
    [TestCase(false, AgentServiceStatus.AgentNotFound, "agent_not_found")]
    public void TheAgentSide_SaysSimulatedOnlyWhereItWouldSayConnected(bool simulated, AgentServiceStatus status, string expected) =>
        Assert.That(new SimulatedSides(false, simulated).AgentServiceStatusOf(status), Is.EqualTo(expected));

    [TestCase("true", true)]
    [TestCase(" True ", true)]
    [TestCase("false", false)]
    [TestCase("", false)]
    [TestCase(null, false)]
    public void OpenAISimulated_IsReadFromConfiguration(string? value, bool expected) =>
        Assert.That(SimulatedSides.IsOpenAISimulated(Configuration(value)), Is.EqualTo(expected));

    [Test]
    public void AnInvalidOpenAISimulated_FailsTheStartNamingIt()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => SimulatedSides.IsOpenAISimulated(Configuration("yes")));

        Assert.That(ex!.Message, Does.Contain("OPENAI_SIMULATED must be true or false"));
    }
}
