extern alias simulator;

using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using simulator::Wrapper.Simulator;

namespace Wrapper.FunctionalTests.Infrastructure;

/// <summary>The API pointed (OPENAI_ENDPOINT) at a separately started simulator, as it would be pointed at Azure,
/// so that tests can inject upstream faults. No silent retries keep fault tests fast. The upstream deadline is a
/// generous 30 s, so that a cold host on a busy machine never reads as a timeout; tests about the deadline take a
/// host with a short one from <see cref="WithRequestTimeout"/> and inject a latency far longer than it.</summary>
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
        await WarmUpAsync(simulator);
        return new UpstreamApiFactory(simulator);
    }

    /// <summary>A host (sharing this simulator) whose upstream deadline is <paramref name="seconds"/>: for tests of the
    /// deadline itself, which should inject a latency many times longer (e.g. 30 s against 1 s).</summary>
    public WebApplicationFactory<Program> WithRequestTimeout(double seconds) =>
        WithWebHostBuilder(b => b.UseSetting("AzureOpenAI:RequestTimeoutSeconds", seconds.ToString(CultureInfo.InvariantCulture)));

    /// <summary>One chat request before the tests, so that loading the tokenizer on a busy machine is not spent in the
    /// first test; the counters start from zero afterwards.</summary>
    private static async Task WarmUpAsync(SimulatorServer simulator)
    {
        using var http = new HttpClient { BaseAddress = simulator.HttpAddress, Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"openai/deployments/{Deployment}/chat/completions?api-version=2025-04-01-preview")
        {
            Content = new StringContent("""{"messages":[{"role":"user","content":"warm up"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("api-key", ApiKey);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        simulator.Counters.Reset();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Outside Development the embedded simulator answers only on request.
        builder.UseSetting("WRAPPER_ALLOW_SIMULATOR", "true");
        builder.UseSetting("OPENAI_ENDPOINT", Simulator.HttpAddress.ToString());
        builder.UseSetting("OPENAI_API_KEY", ApiKey);
        builder.UseSetting("OPENAI_MODEL_DEPLOYMENT_NAME", Deployment);
        // Dated API: these tests count the dated routes (the v1 API, the default, has its own tests).
        builder.UseSetting("OPENAI_API_VERSION", "2025-04-01-preview");
        builder.UseSetting("OPENAI_SIMULATED", string.Empty);
        builder.UseSetting("AzureOpenAI:MaxRetries", "0");
        builder.UseSetting("AzureOpenAI:RequestTimeoutSeconds", "30");
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
