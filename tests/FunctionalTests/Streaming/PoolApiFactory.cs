extern alias simulator;

using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using simulator::Wrapper.Simulator;

namespace Wrapper.FunctionalTests.Streaming;

/// <summary>The API in front of a pool of simulators on 127.0.0.1 configured as <c>AzureOpenAI:Upstreams</c>
/// (a, b, ... with priorities 1, 2, ...), the way several Azure OpenAI resources would be configured.</summary>
public sealed class PoolApiFactory : WebApplicationFactory<Program>
{
    public const string ApiKey = "pool-functional-tests-key-7d2e";
    public const string Deployment = "gpt-4o-mini";
    public const string ChatRoute = "POST /openai/deployments/{deployment}/chat/completions";

    private readonly Dictionary<string, string?> _settings;

    private PoolApiFactory(IReadOnlyList<SimulatorServer> simulators, Dictionary<string, string?> settings)
    {
        Simulators = simulators;
        _settings = settings;
    }

    public IReadOnlyList<SimulatorServer> Simulators { get; }

    /// <summary>Starts <paramref name="count"/> simulators; <paramref name="settings"/> may add or override settings.</summary>
    public static async Task<PoolApiFactory> StartAsync(int count, Action<Dictionary<string, string?>>? settings = null)
    {
        var simulators = new List<SimulatorServer>();
        var values = new Dictionary<string, string?>
        {
            // The pool list wins over OPENAI_ENDPOINT; setting it anyway keeps the Api from starting its embedded
            // OpenAI simulator (and from reporting simulated mode).
            ["OPENAI_API_KEY"] = string.Empty,
            // Dated API: these tests count the dated routes (the v1 API, the default, has its own tests).
            ["OPENAI_API_VERSION"] = "2025-04-01-preview",
            ["OPENAI_SIMULATED"] = string.Empty,
            // The agents are still simulated, which outside Development happens only on request.
            ["WRAPPER_ALLOW_SIMULATOR"] = "true",
            ["AzureOpenAI:RequestTimeoutSeconds"] = "10",
            ["Health:CacheSeconds"] = "0",
            ["Serilog:MinimumLevel:Default"] = "Warning",
        };
        for (var i = 0; i < count; i++)
        {
            var sim = await SimulatorServer.StartAsync(new SimulatorOptions { ApiKey = ApiKey, Deployments = [Deployment], LatencyPerTokenMs = 0 });
            simulators.Add(sim);
            await WarmUpAsync(sim);
            values.TryAdd("OPENAI_ENDPOINT", sim.HttpAddress.ToString());
            var prefix = $"AzureOpenAI:Upstreams:{i}:";
            values[prefix + "Name"] = ((char)('a' + i)).ToString();
            values[prefix + "Endpoint"] = sim.HttpAddress.ToString();
            values[prefix + "ApiKey"] = ApiKey;
            values[prefix + "Deployment"] = Deployment;
            values[prefix + "Priority"] = (i + 1).ToString(CultureInfo.InvariantCulture);
        }

        settings?.Invoke(values);
        return new PoolApiFactory(simulators, values);
    }

    /// <summary>One request before the tests, so that loading the tokenizer on a busy machine does not eat into the
    /// first test's deadline.</summary>
    private static async Task WarmUpAsync(SimulatorServer sim)
    {
        using var http = new HttpClient { BaseAddress = sim.HttpAddress, Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"openai/deployments/{Deployment}/chat/completions?api-version=2025-04-01-preview")
        {
            Content = new StringContent("""{"messages":[{"role":"user","content":"warm up"}]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("api-key", ApiKey);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        sim.Counters.Reset();
    }

    /// <summary>Chat requests simulator <paramref name="index"/> received, of one outcome or all.</summary>
    public long Requests(int index, string? outcome = null) => Simulators[index].Counters.Count(ChatRoute, outcome);

    public void Reset()
    {
        foreach (var sim in Simulators)
        {
            sim.Faults.Clear();
            sim.Counters.Reset();
            sim.Options.LatencyPerTokenMs = 0;
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var sim in Simulators)
        {
            await sim.DisposeAsync();
        }
    }
}
