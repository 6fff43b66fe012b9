using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Wrapper.Gateway.Status;

namespace Wrapper.EndToEndTests.Cluster;

/// <summary>
/// The whole local deployment as separate processes on 127.0.0.1: the Azure OpenAI simulator, N API instances
/// talking to it (each with its own <c>INSTANCE_ID</c>), and the gateway in front of them, with timings short
/// enough for a test. Every process is killed (with its children) on dispose.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    public const string SimulatorKey = "e2e-simulator-key";

    /// <summary>How long a failed instance stays out of the pool when its answer carried no Retry-After.</summary>
    public static readonly TimeSpan ReactivationPeriod = TimeSpan.FromSeconds(4);

    /// <summary>How often the gateway probes every instance's readiness.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(300);

    /// <summary>The readiness path probed by the gateway.</summary>
    public const string ProbePath = "/health/ready";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Dictionary<string, int> _instancePorts = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ChildProcess?> _instances = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, string> _instanceSettings;
    private readonly IReadOnlyDictionary<string, string> _gatewaySettings;
    private readonly IReadOnlyDictionary<string, string> _simulatorSettings;
    private ChildProcess? _simulator;
    private ChildProcess? _gateway;

    private LocalCluster(
        IReadOnlyDictionary<string, string>? instanceSettings,
        IReadOnlyDictionary<string, string>? gatewaySettings,
        IReadOnlyDictionary<string, string>? simulatorSettings)
    {
        _instanceSettings = instanceSettings ?? new Dictionary<string, string>();
        _gatewaySettings = gatewaySettings ?? new Dictionary<string, string>();
        _simulatorSettings = simulatorSettings ?? new Dictionary<string, string>();
    }

    public IReadOnlyList<string> InstanceNames => _instancePorts.Keys.ToList();

    public Uri GatewayAddress => _gateway!.Address;

    public Uri SimulatorAddress => _simulator!.Address;

    /// <summary>Starts the simulator, <paramref name="instances"/> API instances and the gateway; the settings given are
    /// added to (or replace) every instance's, the gateway's and the simulator's environment.</summary>
    public static async Task<LocalCluster> StartAsync(
        int instances,
        IReadOnlyDictionary<string, string>? instanceSettings = null,
        IReadOnlyDictionary<string, string>? gatewaySettings = null,
        IReadOnlyDictionary<string, string>? simulatorSettings = null)
    {
        var cluster = new LocalCluster(instanceSettings, gatewaySettings, simulatorSettings);
        try
        {
            await cluster.StartAllAsync(instances);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartAllAsync(int instances)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var apiDll = BuildOutput.Dll("Api");
        var gatewayDll = BuildOutput.Dll("Gateway");

        // The simulator first: an instance's first readiness probe must find it (the result is kept, see below).
        var simulatorEnvironment = new Dictionary<string, string>
        {
            ["Simulator__ApiKey"] = SimulatorKey,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in _simulatorSettings)
        {
            simulatorEnvironment[key] = value;
        }

        _simulator = await ChildProcess.StartAsync("simulator", BuildOutput.Dll("Simulator"), ChildProcess.FreePort(), simulatorEnvironment, StartTimeout);

        TestContext.Progress.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] simulator answering on {_simulator.Address}");
        for (var i = 1; i <= instances; i++)
        {
            _instancePorts[$"api-{i}"] = ChildProcess.FreePort();
            _instances[$"api-{i}"] = null;
        }

        var gatewayEnvironment = new Dictionary<string, string>
        {
            ["Gateway__PassiveHealth__ReactivationPeriod"] = ReactivationPeriod.ToString("c"),
            ["Gateway__ActiveHealth__Path"] = ProbePath,
            ["Gateway__ActiveHealth__Interval"] = ProbeInterval.ToString("c"),
            ["Gateway__ActiveHealth__Timeout"] = "00:00:05",
            ["Gateway__RequestTimeout"] = "00:00:30",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var index = 0;
        foreach (var (name, port) in _instancePorts)
        {
            gatewayEnvironment[$"Gateway__Backends__{index}__Name"] = name;
            gatewayEnvironment[$"Gateway__Backends__{index}__Address"] = $"http://127.0.0.1:{port}/";
            index++;
        }

        foreach (var (key, value) in _gatewaySettings)
        {
            gatewayEnvironment[key] = value;
        }

        // The instances and the gateway start together; the gateway's probes find each instance when it is up.
        var gateway = ChildProcess.StartAsync("gateway", gatewayDll, ChildProcess.FreePort(), gatewayEnvironment, StartTimeout);
        var started = _instancePorts.Select(async pair =>
            _instances[pair.Key] = await ChildProcess.StartAsync(pair.Key, apiDll, pair.Value, InstanceEnvironment(pair.Key), StartTimeout)).ToList();
        try
        {
            _gateway = await gateway;
        }
        finally
        {
            // Whatever happens, every started process is known to DisposeAsync.
            await Task.WhenAll(started.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        }

        await Task.WhenAll(started);
        TestContext.Progress.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] {instances} instances and the gateway answering");
        await WaitUntilAllHealthyAsync();
        TestContext.Progress.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] every instance in the pool");
    }

    /// <summary>Each API instance: the external simulator as its Azure OpenAI, no silent retries (so that a fault
    /// reaches the gateway as the instance's own 503/429), and the upstream half of its readiness cached for the
    /// whole run: probes then never take the faults a test injects for client requests, which keeps the scenario
    /// independent of probe timing. Readiness still fails when the process is down, and a restarted instance
    /// probes its upstream afresh.</summary>
    private IReadOnlyDictionary<string, string> InstanceEnvironment(string name)
    {
        var environment = DefaultInstanceEnvironment(name);
        foreach (var (key, value) in _instanceSettings)
        {
            environment[key] = value;
        }

        return environment;
    }

    private Dictionary<string, string> DefaultInstanceEnvironment(string name) => new()
    {
        ["OPENAI_ENDPOINT"] = _simulator!.Address.ToString(),
        ["OPENAI_API_KEY"] = SimulatorKey,
        ["OPENAI_SIMULATED"] = "true",
        // No Agent Service here: the embedded simulator answers the agents, which Production allows only on request.
        ["WRAPPER_ALLOW_SIMULATOR"] = "true",
        ["OPENAI_MODEL_DEPLOYMENT_NAME"] = "gpt-4o-mini",
        ["INSTANCE_ID"] = name,
        ["AzureOpenAI__MaxRetries"] = "0",
        ["Health__CacheSeconds"] = "3600",
        ["SIMULATOR_LATENCY_PER_TOKEN_MS"] = "0",
        ["Serilog__MinimumLevel__Default"] = "Warning",
        // The gateway's probes and every client arrive from one address: a per-IP limit would throttle them all.
        ["RateLimiting__PermitLimit"] = "0",
    };

    /// <summary>Waits until the gateway has every instance in its pool with a passed probe.</summary>
    public async Task WaitUntilAllHealthyAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                var status = await StatusAsync();
                if (status.Backends.Count == _instancePorts.Count && status.Backends.All(b => b.Available && b.ActiveHealth == "Healthy"))
                {
                    return;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"Not every instance became healthy: {JsonSerializer.Serialize(status)}{Environment.NewLine}{Diagnostics()}");
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow <= deadline)
            {
            }

            await Task.Delay(100);
        }
    }

    /// <summary>A client of the gateway: with a cookie jar (so the affinity cookie pins it) or without.</summary>
    public HttpClient CreateClient(bool withCookies) =>
        new(new SocketsHttpHandler { UseCookies = withCookies, CookieContainer = new CookieContainer() })
        {
            BaseAddress = GatewayAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    public async Task<GatewayStatus> StatusAsync()
    {
        using var client = CreateClient(withCookies: false);
        return (await client.GetFromJsonAsync<GatewayStatus>("gateway/status"))!;
    }

    public async Task<BackendStatus> StatusOfAsync(string instance) =>
        (await StatusAsync()).Backends.Single(b => b.Name == instance);

    /// <summary>Queues a simulator fault (<c>POST /_simulator/faults</c>).</summary>
    public async Task InjectFaultAsync(object fault)
    {
        using var client = new HttpClient { BaseAddress = SimulatorAddress };
        using var response = await client.PostAsJsonAsync("_simulator/faults", fault);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
    }

    public async Task<int> PendingFaultsAsync()
    {
        using var client = new HttpClient { BaseAddress = SimulatorAddress };
        var faults = await client.GetFromJsonAsync<JsonElement>("_simulator/faults");
        return faults.GetArrayLength();
    }

    public async Task ClearFaultsAsync()
    {
        using var client = new HttpClient { BaseAddress = SimulatorAddress };
        using var _ = await client.DeleteAsync("_simulator/faults");
    }

    /// <summary>Kills one API instance's process.</summary>
    public async Task KillInstanceAsync(string name)
    {
        if (_instances[name] is { } process)
        {
            await process.DisposeAsync();
            _instances[name] = null;
        }
    }

    /// <summary>Starts a killed instance again on its port.</summary>
    public async Task RestartInstanceAsync(string name)
    {
        if (_instances[name] is null)
        {
            _instances[name] = await ChildProcess.StartAsync(name, BuildOutput.Dll("Api"), _instancePorts[name], InstanceEnvironment(name), StartTimeout);
        }
    }

    /// <summary>The last output of every process, for a failure message.</summary>
    public string Diagnostics()
    {
        var parts = new List<string>();
        foreach (var process in new[] { _gateway, _simulator }.Concat(_instances.Values))
        {
            if (process is not null)
            {
                parts.Add($"--- {process.Name} ({(process.HasExited ? "exited" : "running")}) ---{Environment.NewLine}{process.Output}");
            }
        }

        return string.Join(Environment.NewLine, parts);
    }

    public async ValueTask DisposeAsync()
    {
        var processes = new[] { _gateway, _simulator }.Concat(_instances.Values).OfType<ChildProcess>().ToList();
        await Task.WhenAll(processes.Select(p => p.DisposeAsync().AsTask()));
        _instances.Clear();
    }
}
