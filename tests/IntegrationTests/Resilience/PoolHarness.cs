using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Infrastructure;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.Resilience;

/// <summary>Simulators on 127.0.0.1 (one per upstream) shared by a fixture, and for each test a fresh adapter built by
/// <c>AddInfrastructure</c> from an <c>AzureOpenAI:Upstreams</c> list pointing at them, with a
/// <see cref="FakeTimeProvider"/> so that breaker cool-downs pass when a test says so.</summary>
internal sealed class SimulatorPool : IAsyncDisposable
{
    public const string Key = "pool-key";
    public const string Deployment = "gpt-4o-mini";
    public const string ChatRoute = "POST /openai/deployments/{deployment}/chat/completions";

    private SimulatorPool(IReadOnlyList<SimulatorServer> simulators) => Simulators = simulators;

    public IReadOnlyList<SimulatorServer> Simulators { get; }

    public SimulatorServer this[int index] => Simulators[index];

    public static async Task<SimulatorPool> StartAsync(int count)
    {
        var simulators = new List<SimulatorServer>();
        for (var i = 0; i < count; i++)
        {
            var sim = await SimulatorServer.StartAsync(new SimulatorOptions
            {
                ApiKey = Key,
                Deployments = [Deployment],
                LatencyPerTokenMs = 0,
                TokensPerMinute = 0,
            });
            simulators.Add(sim);
            await WarmUpAsync(sim);
        }

        return new SimulatorPool(simulators);
    }

    /// <summary>One request before the tests, so that loading the tokenizer on a busy machine does not eat into the
    /// first test's deadline. Tests reset the counters anyway.</summary>
    private static async Task WarmUpAsync(SimulatorServer sim)
    {
        using var http = new HttpClient { BaseAddress = sim.HttpAddress, Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"openai/deployments/{Deployment}/chat/completions?api-version=2025-04-01-preview")
        {
            Content = new StringContent("""{"messages":[{"role":"user","content":"warm up"}]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("api-key", Key);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Upstream names by index: a, b, c.</summary>
    public static string Name(int index) => ((char)('a' + index)).ToString();

    /// <summary>Clears faults, counters and latency of every simulator.</summary>
    public void Reset()
    {
        foreach (var sim in Simulators)
        {
            sim.Faults.Clear();
            sim.Counters.Reset();
            sim.Options.LatencyPerTokenMs = 0;
        }
    }

    /// <summary>Chat requests simulator <paramref name="index"/> received, of one outcome or all.</summary>
    public long Requests(int index, string? outcome = null) => Simulators[index].Counters.Count(ChatRoute, outcome);

    /// <summary>Settings for upstreams a, b, c, ... with the given priorities (weight 1 each) and fast, explicit
    /// breaker settings: 2 failures in the window open a circuit, 30 s break, 300 s after 401/404.</summary>
    public Dictionary<string, string?> Settings(params int[] priorities)
    {
        var settings = new Dictionary<string, string?>
        {
            // Dated API: these tests count the dated routes (the v1 API, the default, has its own tests).
            ["OPENAI_API_VERSION"] = "2025-04-01-preview",
            ["AzureOpenAI:RequestTimeoutSeconds"] = "10",
            ["AzureOpenAI:RetryBaseDelayMs"] = "10",
            ["AzureOpenAI:CircuitBreaker:MinimumThroughput"] = "2",
            ["AzureOpenAI:CircuitBreaker:FailureRatio"] = "0.5",
            ["AzureOpenAI:CircuitBreaker:BreakDurationSeconds"] = "30",
            ["AzureOpenAI:CircuitBreaker:MisconfigurationBreakSeconds"] = "300",
        };
        for (var i = 0; i < Simulators.Count; i++)
        {
            var prefix = $"AzureOpenAI:Upstreams:{i}:";
            settings[prefix + "Name"] = Name(i);
            settings[prefix + "Endpoint"] = Simulators[i].HttpAddress.ToString();
            settings[prefix + "ApiKey"] = Key;
            settings[prefix + "Deployment"] = Deployment;
            settings[prefix + "Priority"] = (i < priorities.Length ? priorities[i] : i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return settings;
    }

    public ValueTask DisposeAsync() => DisposeAllAsync(Simulators);

    private static async ValueTask DisposeAllAsync(IEnumerable<SimulatorServer> simulators)
    {
        foreach (var sim in simulators)
        {
            await sim.DisposeAsync();
        }
    }
}

/// <summary>The adapter over a pool, as the Api composes it, with fake time.</summary>
internal sealed class PoolAdapter : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private PoolAdapter(ServiceProvider services, FakeTimeProvider time)
    {
        _services = services;
        Time = time;
    }

    public FakeTimeProvider Time { get; }

    public IChatCompletionService Chat => _services.GetRequiredService<IChatCompletionService>();

    public IUpstreamPoolState State => _services.GetRequiredService<IUpstreamPoolState>();

    public UpstreamStatus Upstream(string name) => State.Upstreams.Single(u => u.Name == name);

    public static PoolAdapter Create(Dictionary<string, string?> settings)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(time).AddInfrastructure(configuration);
        return new PoolAdapter(services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }), time);
    }

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
