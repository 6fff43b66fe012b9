extern alias simulator;

using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using simulator::Wrapper.Simulator;

namespace Wrapper.FunctionalTests.Infrastructure;

/// <summary>The API pointed (OPENAI_ENDPOINT) at a separately started simulator, as it would be pointed at Azure,
/// so that tests can inject upstream faults. No silent retries and a 1 s upstream deadline keep fault tests fast.</summary>
public sealed class UpstreamApiFactory : WebApplicationFactory<Program>
{
    public const string ApiKey = "functional-tests-secret-key-0f3c9a7e5b1d";
    public const string Deployment = "gpt-4o-mini";

    private UpstreamApiFactory(SimulatorServer simulator) => Simulator = simulator;

    public SimulatorServer Simulator { get; }

    public static async Task<UpstreamApiFactory> StartAsync()
    {
        var simulator = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            ApiKey = ApiKey,
            Deployments = [Deployment],
            LatencyPerTokenMs = 0,
        });
        return new UpstreamApiFactory(simulator);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("OPENAI_ENDPOINT", Simulator.HttpAddress.ToString());
        builder.UseSetting("OPENAI_API_KEY", ApiKey);
        builder.UseSetting("OPENAI_MODEL_DEPLOYMENT_NAME", Deployment);
        builder.UseSetting("OPENAI_SIMULATED", string.Empty);
        builder.UseSetting("AzureOpenAI:MaxRetries", "0");
        builder.UseSetting("AzureOpenAI:RequestTimeoutSeconds", "1");
        // Fault tests inject one fault per /health request: no cached probe result (tests that cache set their own).
        builder.UseSetting("Health:CacheSeconds", "0");
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Simulator.DisposeAsync();
    }
}
