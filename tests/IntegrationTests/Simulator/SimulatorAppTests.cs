using Microsoft.Extensions.DependencyInjection;
using Wrapper.Simulator;

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
}
