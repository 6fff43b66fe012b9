using Microsoft.Extensions.DependencyInjection;
using Wrapper.Simulator;
using Wrapper.Simulator.Agents;

namespace Wrapper.IntegrationTests.Simulator;

[TestFixture]
public sealed class SimulatorAppTests
{
    [Test]
    public async Task ShouldBindOptionsFromConfigurationReplacingTheDefaultDeployments()
    {
        await using var app = SimulatorApp.Build(
            ["--Simulator:Deployments=alpha, beta", "--Simulator:ApiKey=k1", "--Simulator:TokensPerMinute=1000"],
            options => options.LatencyPerTokenMs = 3);

        var options = app.Services.GetRequiredService<SimulatorOptions>();
        Assert.Multiple(() =>
        {
            Assert.That(options.Deployments, Is.EqualTo(new[] { "alpha", "beta" }));
            Assert.That(options.ApiKey, Is.EqualTo("k1"));
            Assert.That(options.TokensPerMinute, Is.EqualTo(1000));
            Assert.That(options.LatencyPerTokenMs, Is.EqualTo(3));
        });
    }

    [Test]
    public async Task ShouldBindIndexedDeployments()
    {
        await using var app = SimulatorApp.Build(["--Simulator:Deployments:0=only-one"]);

        Assert.That(app.Services.GetRequiredService<SimulatorOptions>().Deployments, Is.EqualTo(new[] { "only-one" }));
    }

    [Test]
    public async Task ShouldKeepTheDefaultsWithoutConfiguration()
    {
        await using var app = SimulatorApp.Build([]);

        var options = app.Services.GetRequiredService<SimulatorOptions>();
        Assert.That(options.Deployments, Is.EqualTo(new[] { "gpt-4o-mini", "gpt-4o" }));
        Assert.That(options.ApiKey, Is.EqualTo("simulator-key"));
    }

    [Test]
    public async Task ShouldBindNamedAgentsFromConfiguration()
    {
        await using var app = SimulatorApp.Build(
        [
            "--Simulator:Agents:NamedAgents:0:Name=support",
            "--Simulator:Agents:NamedAgents:0:Kind=BingGrounding",
            "--Simulator:Agents:NamedAgents:0:Version=3",
            "--Simulator:Agents:NamedAgents:1:Name=plain",
        ]);

        var named = app.Services.GetRequiredService<SimulatorOptions>().Agents.NamedAgents;
        Assert.Multiple(() =>
        {
            Assert.That(named.Select(a => a.Name), Is.EqualTo(new[] { "support", "plain" }));
            Assert.That(named[0].Kind, Is.EqualTo(SimulatedAgentKind.BingGrounding));
            Assert.That(named[0].Version, Is.EqualTo("3"));
            Assert.That(named[1].Version, Is.EqualTo("1"));
        });
    }

    [TestCase("bad_name", "1")]
    [TestCase("fine-name", "")]
    public void ShouldRefuseToStartWithAnInvalidNamedAgent(string name, string version)
    {
        var error = Assert.Throws<InvalidOperationException>(() => SimulatorApp.Build(
            [$"--Simulator:Agents:NamedAgents:0:Name={name}", $"--Simulator:Agents:NamedAgents:0:Version={version}"]));

        Assert.That(error!.Message, Does.Contain("Simulator:Agents:NamedAgents"));
    }
}
